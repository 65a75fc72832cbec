// Command apigateway benchmarks the warm path API request -> Lambda ->
// response through an in-process emulator.Stack with a real aws-lambda-go
// handler (testdata/project), and prints a table:
//
//   - throughput and latency under load, with wrk when it is installed (a
//     Go load generator otherwise);
//
//   - the median latency the gateway adds over a direct Invoke API call
//     (POST /2015-03-31/functions/hello/invocations on the AWS edge),
//     both measured serially with one Go client in the same run;
//
//   - `slsx dev` start-to-ready with already-built functions: exec to all
//     ports accepting connections, and exec to the first 200 from the API.
//
//     go run ./bench/apigateway -c 16 -d 10s
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/slsx/slsx/bench/internal/benchkit"
	"github.com/slsx/slsx/emulator"
	"github.com/slsx/slsx/emulator/config"
	"github.com/slsx/slsx/watch"

	"github.com/slsx/slsx/internal/projcopy"
)

func main() { os.Exit(run()) }

type opts struct {
	conns    int
	dur      time.Duration
	samples  int
	starts   int
	fixture  string
	noWrk    bool
	skipDev  bool
	cpuProf  string
	slsxMain string
}

func run() int {
	var o opts
	flag.IntVar(&o.conns, "c", 16, "connections of the load run")
	flag.DurationVar(&o.dur, "d", 10*time.Second, "duration of the load run")
	flag.IntVar(&o.samples, "n", 2000, "serial samples per path for the added latency")
	flag.IntVar(&o.starts, "starts", 10, "slsx dev start-ups to time")
	flag.StringVar(&o.fixture, "fixture", "bench/apigateway/testdata/project", "the benchmark project")
	flag.BoolVar(&o.noWrk, "no-wrk", false, "use the Go load generator even when wrk is installed")
	flag.BoolVar(&o.skipDev, "skip-dev", false, "do not time slsx dev start-up")
	flag.StringVar(&o.cpuProf, "cpuprofile", "", "write a CPU profile of this process (the stack, plus the Go load generator with -no-wrk) during the load run")
	flag.StringVar(&o.slsxMain, "slsx", "./cmd/slsx", "package of the slsx command, for the start-up timing")
	flag.Parse()
	if err := bench(o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	return 0
}

type result struct {
	name, value, target, verdict string
}

func bench(o opts) error {
	dir, err := copyFixture(o.fixture)
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	p, err := config.Load(dir)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	quiet := slog.New(slog.DiscardHandler)
	stack, err := emulator.New(emulator.Options{Project: p, Logger: quiet})
	if err != nil {
		return err
	}
	defer func() {
		c, done := context.WithTimeout(context.Background(), 3*time.Second)
		defer done()
		stack.Close(c)
	}()
	if err := stack.Start(ctx); err != nil {
		return err
	}
	builder := watch.NewBuilder(p.Dir, watch.BuildOptions{Log: quiet})
	for _, r := range builder.Ensure(ctx, p.Functions, "bench") {
		if r.Err != nil {
			return fmt.Errorf("build %s: %v\n%s", r.Function, r.Err, r.Output)
		}
		if err := stack.Deploy(p.Function(r.Function), r.Dir, r.Generation); err != nil {
			return err
		}
	}
	api := stack.APIEndpoints()[0].URL + "/hello"
	invoke := stack.AWSURL() + "/2015-03-31/functions/hello/invocations"

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	// Warm o.conns environments so the load run measures the warm path.
	if _, err := load(client, api, o.conns, 500*time.Millisecond); err != nil {
		return err
	}

	var rows []result
	stopProfile, err := benchkit.StartProfile(o.cpuProf)
	if err != nil {
		return err
	}
	wrk, werr := exec.LookPath("wrk")
	var lr loadResult
	if werr == nil && !o.noWrk {
		lr, err = runWrk(wrk, api, o.conns, o.dur)
	} else {
		lr, err = load(client, api, o.conns, o.dur)
	}
	stopProfile()
	if err != nil {
		return err
	}
	rows = append(rows,
		result{fmt.Sprintf("API -> Lambda, %d conns, %s (%s)", o.conns, o.dur, lr.tool), fmt.Sprintf("%.0f req/s", lr.rps), ">= 3000 req/s", verdict(lr.rps >= 3000)},
		result{"  latency p50 / p99", fmt.Sprintf("%s / %s", lr.p50, lr.p99), "", ""},
	)
	if lr.errors > 0 {
		rows = append(rows, result{"  non-2xx or socket errors", strconv.Itoa(lr.errors), "0", verdict(false)})
	}

	gw, direct, err := addedLatency(client, api, invoke, o.samples)
	if err != nil {
		return err
	}
	added := gw - direct
	rows = append(rows,
		result{fmt.Sprintf("serial median, API request (%d)", o.samples), us(gw), "", ""},
		result{fmt.Sprintf("serial median, direct Invoke (%d)", o.samples), us(direct), "", ""},
		result{"added latency of the gateway", us(added), "< 300µs", verdict(added < 300*time.Microsecond)},
	)

	if !o.skipDev {
		listen, first, err := startToReady(o, dir)
		if err != nil {
			return err
		}
		rows = append(rows,
			result{fmt.Sprintf("slsx dev exec -> ports accepting, median of %d", o.starts), ms(listen), "< 300ms", verdict(listen < 300*time.Millisecond)},
			result{fmt.Sprintf("slsx dev exec -> first 200 from API, median of %d", o.starts), ms(first), "", ""},
		)
	}

	fmt.Printf("slsx API Gateway benchmark · %s/%s · %d CPUs\n\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU())
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "measure\tvalue\ttarget\t")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.name, r.value, r.target, r.verdict)
	}
	return tw.Flush()
}

func verdict(ok bool) string {
	if ok {
		return "ok"
	}
	return "MISSED"
}

func us(d time.Duration) string { return fmt.Sprintf("%.0fµs", float64(d)/float64(time.Microsecond)) }
func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond)) }

// copyFixture copies the project to a temp dir (its builds stay out of the
// repository).
func copyFixture(src string) (string, error) {
	dst, err := os.MkdirTemp("", "slsx-bench-gw")
	if err != nil {
		return "", err
	}
	return dst, projcopy.Copy(dst, src)
}

type loadResult struct {
	tool     string
	rps      float64
	p50, p99 time.Duration
	errors   int
}

var (
	wrkRPS    = regexp.MustCompile(`Requests/sec:\s+([\d.]+)`)
	wrkPct    = regexp.MustCompile(`(?m)^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$`)
	wrkErrors = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)|Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
)

func runWrk(wrk, url string, conns int, d time.Duration) (loadResult, error) {
	threads := min(runtime.NumCPU(), conns)
	out, err := exec.Command(wrk, "-t", strconv.Itoa(threads), "-c", strconv.Itoa(conns), "-d", d.String(), "--latency", url).CombinedOutput()
	if err != nil {
		return loadResult{}, fmt.Errorf("wrk: %v\n%s", err, out)
	}
	r := loadResult{tool: "wrk"}
	m := wrkRPS.FindSubmatch(out)
	if m == nil {
		return r, fmt.Errorf("no Requests/sec in wrk output:\n%s", out)
	}
	r.rps, _ = strconv.ParseFloat(string(m[1]), 64)
	for _, m := range wrkPct.FindAllSubmatch(out, -1) {
		v, _ := strconv.ParseFloat(string(m[2]), 64)
		unit := map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second}[string(m[3])]
		d := time.Duration(v * float64(unit))
		if string(m[1]) == "50" {
			r.p50 = d
		} else {
			r.p99 = d
		}
	}
	for _, m := range wrkErrors.FindAllSubmatch(out, -1) {
		for _, g := range m[1:] {
			n, _ := strconv.Atoi(string(g))
			r.errors += n
		}
	}
	return r, nil
}

// load is the Go load generator: conns goroutines issuing GETs back to
// back for d.
func load(client *http.Client, url string, conns int, d time.Duration) (loadResult, error) {
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		lats   []time.Duration
		errs   atomic.Int64
		first  error
		cutoff = time.Now().Add(d)
	)
	start := time.Now()
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for time.Now().Before(cutoff) {
				t0 := time.Now()
				resp, err := client.Get(url)
				if err != nil {
					errs.Add(1)
					mu.Lock()
					first = cmpErr(first, err)
					mu.Unlock()
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					errs.Add(1)
					mu.Lock()
					first = cmpErr(first, fmt.Errorf("status %d", resp.StatusCode))
					mu.Unlock()
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lats = append(lats, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if len(lats) == 0 {
		return loadResult{}, fmt.Errorf("no request succeeded: %v", first)
	}
	sort.Slice(lats, func(i, j int) bool { return lats[i] < lats[j] })
	return loadResult{tool: "Go client", rps: float64(len(lats)) / time.Since(start).Seconds(),
		p50: lats[len(lats)/2], p99: lats[len(lats)*99/100], errors: int(errs.Load())}, nil
}

func cmpErr(prev, err error) error {
	if prev != nil {
		return prev
	}
	return err
}

// addedLatency alternates API requests and direct Invoke calls on one
// keep-alive client and returns both medians.
func addedLatency(client *http.Client, api, invoke string, n int) (time.Duration, time.Duration, error) {
	payload := []byte(`{"version":"2.0","routeKey":"GET /hello","rawPath":"/hello"}`)
	do := func(req *http.Request) (time.Duration, error) {
		t0 := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		d := time.Since(t0)
		if resp.StatusCode != 200 {
			return 0, fmt.Errorf("%s %s: status %d", req.Method, req.URL, resp.StatusCode)
		}
		return d, nil
	}
	gw := make([]time.Duration, 0, n)
	direct := make([]time.Duration, 0, n)
	for i := 0; i < n+50; i++ { // the first 50 of each only warm up
		req, _ := http.NewRequest("GET", api, nil)
		a, err := do(req)
		if err != nil {
			return 0, 0, err
		}
		req, _ = http.NewRequest("POST", invoke, bytes.NewReader(payload))
		b, err := do(req)
		if err != nil {
			return 0, 0, err
		}
		if i >= 50 {
			gw, direct = append(gw, a), append(direct, b)
		}
	}
	return median(gw), median(direct), nil
}

func median(ds []time.Duration) time.Duration {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[len(ds)/2]
}

// startToReady builds the slsx binary, then runs `slsx dev` in dir (whose
// functions the in-process run already built) o.starts times.
func startToReady(o opts, dir string) (time.Duration, time.Duration, error) {
	binDir, err := os.MkdirTemp("", "slsx-bench-bin")
	if err != nil {
		return 0, 0, err
	}
	defer os.RemoveAll(binDir)
	bin := filepath.Join(binDir, "slsx")
	if out, err := exec.Command("go", "build", "-o", bin, o.slsxMain).CombinedOutput(); err != nil {
		return 0, 0, fmt.Errorf("build slsx: %v\n%s", err, out)
	}
	var listens, firsts []time.Duration
	for range o.starts {
		apiPort, awsPort, err := freePorts()
		if err != nil {
			return 0, 0, err
		}
		l, f, err := startOnce(bin, dir, apiPort, awsPort)
		if err != nil {
			return 0, 0, err
		}
		listens, firsts = append(listens, l), append(firsts, f)
	}
	return median(listens), median(firsts), nil
}

func freePorts() (string, string, error) {
	var ports []string
	for range 2 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "", "", err
		}
		_, p, _ := net.SplitHostPort(ln.Addr().String())
		ports = append(ports, p)
		defer ln.Close()
	}
	return ports[0], ports[1], nil
}

func startOnce(bin, dir, apiPort, awsPort string) (time.Duration, time.Duration, error) {
	cmd := exec.Command(bin, "dev", "--no-tui", "--no-watch", "--in-memory", "--port", apiPort, "--aws-port", awsPort)
	cmd.Dir = dir
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return 0, 0, err
	}
	cmd.Stderr = io.Discard
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGINT)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}()
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	deadline := start.Add(30 * time.Second)
	var listen time.Duration
	for _, port := range []string{apiPort, awsPort} {
		for {
			c, err := net.DialTimeout("tcp", "127.0.0.1:"+port, 100*time.Millisecond)
			if err == nil {
				c.Close()
				break
			}
			if time.Now().After(deadline) {
				return 0, 0, errors.New("slsx dev never listened on " + port)
			}
			time.Sleep(500 * time.Microsecond)
		}
	}
	listen = time.Since(start)
	client := &http.Client{Timeout: time.Second}
	url := "http://127.0.0.1:" + apiPort + "/hello"
	for {
		resp, err := client.Get(url)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			return 0, 0, fmt.Errorf("slsx dev never answered 200 on %s", url)
		}
		time.Sleep(500 * time.Microsecond)
	}
	return listen, time.Since(start), nil
}
