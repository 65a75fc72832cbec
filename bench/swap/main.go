// Command swap measures save-to-serve: the time from writing a handler's
// source to the first HTTP response produced by the new code, through the
// real `slsx dev` binary under a constant load, against a plain
// incremental `go build` of the same handler after the same edit. It also
// counts failed requests (connection errors, non-2xx, a version older than
// one already served) over the whole run, which must be zero.
//
//	go run ./bench/swap -n 20
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/slsx/slsx/internal/projcopy"
)

func main() {
	n := flag.Int("n", 20, "edits to measure")
	clients := flag.Int("c", 4, "load goroutines requesting the API throughout")
	think := flag.Duration("think", 2*time.Millisecond, "pause between one load goroutine's requests")
	bin := flag.String("slsx", "", "slsx binary (default: build ./cmd/slsx)")
	fixture := flag.String("fixture", "cmd/slsx/testdata/reload", "project to copy and edit")
	flag.Parse()
	if err := run(*n, *clients, *think, *bin, *fixture); err != nil {
		fmt.Fprintln(os.Stderr, "swap:", err)
		os.Exit(1)
	}
}

func run(n, clients int, think time.Duration, bin, fixture string) error {
	tmp, err := os.MkdirTemp("", "slsx-bench-swap-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if bin == "" {
		bin = filepath.Join(tmp, "slsx")
		if out, err := exec.Command("go", "build", "-o", bin, "github.com/slsx/slsx/cmd/slsx").CombinedOutput(); err != nil {
			return fmt.Errorf("build slsx: %v\n%s", err, out)
		}
	}
	// Two copies: one slsx watches, one for the plain go build, so that
	// neither's edits trigger the other.
	devDir, plainDir := filepath.Join(tmp, "dev"), filepath.Join(tmp, "plain")
	for _, d := range []string{devDir, plainDir} {
		if err := projcopy.Copy(d, fixture); err != nil {
			return err
		}
	}

	d, err := startDev(bin, devDir)
	if err != nil {
		return err
	}
	defer d.stop()

	ld := &load{api: d.api, client: &http.Client{Timeout: 30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 2 * clients}}}
	if err := ld.waitFor("h0 s0", time.Minute); err != nil {
		return err
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() { defer wg.Done(); ld.run(stop, think) }()
	}

	// Edits rewrite the fixture's handlerVersion constant.
	const apiSrc = "functions/api/main.go"
	orig, err := os.ReadFile(filepath.Join(fixture, apiSrc))
	if err != nil {
		return err
	}
	if !strings.Contains(string(orig), `const handlerVersion = "h0"`) {
		return fmt.Errorf("%s lacks const handlerVersion = \"h0\"", apiSrc)
	}
	handler := func(v string) string {
		return strings.Replace(string(orig), `"h0"`, strconv.Quote(v), 1)
	}
	plainSrc := filepath.Join(plainDir, apiSrc)
	plain := func(ldflags bool) (time.Duration, error) {
		args := []string{"build", "-tags", "lambda.norpc"}
		if ldflags {
			args = append(args, "-ldflags=-s -w")
		}
		args = append(args, "-o", filepath.Join(plainDir, "out", "bootstrap"), "./functions/api")
		cmd := exec.Command("go", args...)
		cmd.Dir = plainDir
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
		start := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			return 0, fmt.Errorf("go build: %v\n%s", err, out)
		}
		return time.Since(start), nil
	}
	if _, err := plain(false); err != nil { // warm the cache for this copy
		return err
	}

	var serve, build, goBuild, goBuildSW []time.Duration
	for i := 1; i <= n; i++ {
		// A quiet start: no leftover build from the previous edit.
		if err := d.waitIdle(time.Minute); err != nil {
			return err
		}
		want := fmt.Sprintf("h%d s0", i)
		ld.expect(want)
		buildsBefore := d.finished()
		start := time.Now()
		if err := saveAtomic(filepath.Join(devDir, apiSrc), handler(fmt.Sprintf("h%d", i))); err != nil {
			return err
		}
		// Poll too, so the first new response is seen at once even if
		// every load goroutine is sleeping.
		seen, err := ld.pollUntilSeen(want, time.Minute)
		if err != nil {
			return fmt.Errorf("edit %d: %w\n%s", i, err, d.tail())
		}
		serve = append(serve, seen.Sub(start))
		if b, ok := d.lastBuild(buildsBefore); ok {
			build = append(build, b)
		}

		for _, ldflags := range []bool{false, true} {
			if err := saveAtomic(plainSrc, handler(fmt.Sprintf("p%d", 2*i+btoi(ldflags)))); err != nil {
				return err
			}
			took, err := plain(ldflags)
			if err != nil {
				return err
			}
			if ldflags {
				goBuildSW = append(goBuildSW, took)
			} else {
				goBuild = append(goBuild, took)
			}
		}
	}
	close(stop)
	wg.Wait()

	base := median(goBuild)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "path (n=%d)\tmedian\tmin\tmax\tvs go build\t\n", n)
	rowf := func(name string, ds []time.Duration) {
		if len(ds) == 0 {
			return
		}
		s := append([]time.Duration(nil), ds...)
		sort.Slice(s, func(a, b int) bool { return s[a] < s[b] })
		fmt.Fprintf(tw, "%s\t%v\t%v\t%v\t%.2fx\t\n", name, round(median(s)), round(s[0]), round(s[len(s)-1]), float64(median(s))/float64(base))
	}
	rowf("go build (plain, incremental after an edit)", goBuild)
	rowf("go build -ldflags=-s -w (what slsx runs)", goBuildSW)
	rowf("slsx build (from its 'build ok in' line)", build)
	rowf("slsx save -> first response from new code", serve)
	if err := tw.Flush(); err != nil {
		return err
	}
	ok, failed := ld.ok.Load(), ld.failures()
	fmt.Printf("\nload: %d clients, %d requests ok, %d failed during %d swaps\n", clients, ok, len(failed), n)
	for _, f := range failed {
		fmt.Println("  " + f)
	}
	if len(failed) > 0 {
		return errors.New("requests failed during swaps")
	}
	return nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// load is the traffic: constant requests plus a record of failures and of
// the first time each expected version was served.
type load struct {
	api    string
	client *http.Client
	ok     atomic.Int64

	mu     sync.Mutex
	want   string
	seenAt time.Time
	failed []string
}

func (l *load) expect(body string) {
	l.mu.Lock()
	l.want, l.seenAt = body, time.Time{}
	l.mu.Unlock()
}

func (l *load) failures() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.failed...)
}

func (l *load) fail(format string, args ...any) {
	l.mu.Lock()
	if len(l.failed) < 20 {
		l.failed = append(l.failed, time.Now().Format("15:04:05.000 ")+fmt.Sprintf(format, args...))
	}
	l.mu.Unlock()
}

var versionRe = regexp.MustCompile(`^h(\d+) s0$`)

// get requests path once and records the outcome; last is the newest
// version this caller has been served, which must never go back (each
// caller's requests are sequential, and a swap sends every request that
// starts after it to the new code).
func (l *load) get(path string, last *int64) (string, bool) {
	resp, err := l.client.Get(l.api + path)
	if err != nil {
		l.fail("GET %s: %v", path, err)
		return "", false
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	at := time.Now()
	if err != nil {
		l.fail("GET %s: reading body: %v", path, err)
		return "", false
	}
	body := string(b)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		l.fail("GET %s = %d %s", path, resp.StatusCode, body)
		return body, false
	}
	m := versionRe.FindStringSubmatch(body)
	if m == nil {
		l.fail("GET %s = %q: not a version this benchmark wrote", path, body)
		return body, false
	}
	v, _ := strconv.ParseInt(m[1], 10, 64)
	l.ok.Add(1)
	l.mu.Lock()
	if body == l.want && (l.seenAt.IsZero() || at.Before(l.seenAt)) {
		l.seenAt = at
	}
	l.mu.Unlock()
	if v < *last {
		l.fail("GET %s = %q after h%d had been served to the same client", path, body, *last)
	}
	*last = max(*last, v)
	return body, true
}

func (l *load) run(stop <-chan struct{}, think time.Duration) {
	var last int64
	for n := 0; ; n++ {
		select {
		case <-stop:
			return
		default:
		}
		path := "/version"
		if n%2 == 1 {
			path = "/version?sleep=20ms"
		}
		l.get(path, &last)
		time.Sleep(think)
	}
}

func (l *load) waitFor(body string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	var last int64
	for time.Now().Before(deadline) {
		if b, _ := l.get("/version", &last); b == body {
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("the API never answered %q", body)
}

// pollUntilSeen polls until any client has received want and returns when
// the first one did.
func (l *load) pollUntilSeen(want string, limit time.Duration) (time.Time, error) {
	deadline := time.Now().Add(limit)
	var last int64
	for time.Now().Before(deadline) {
		l.get("/version", &last)
		l.mu.Lock()
		at := l.seenAt
		l.mu.Unlock()
		if !at.IsZero() {
			return at, nil
		}
		time.Sleep(time.Millisecond) // leave the CPU to the build being measured
	}
	return time.Time{}, fmt.Errorf("%q never served", want)
}

// dev is a running `slsx dev --no-tui`, its output parsed as it comes.
type dev struct {
	cmd  *exec.Cmd
	api  string
	done chan struct{}

	mu      sync.Mutex
	lines   []string
	started int             // "build ... (generation N)" lines
	ended   int             // "build ... ok in" / "FAILED" lines
	lastEnd time.Time       // when the last build line arrived
	builds  []time.Duration // durations from "build api ok in X"
}

var (
	apiURLRe   = regexp.MustCompile(`API default \([^)]*\) (http://\S+)`)
	readyRe    = regexp.MustCompile(`AWS APIs \(DynamoDB, SNS, Lambda\): http://`)
	buildStart = regexp.MustCompile(`^\S+ build\s+\S+ \(generation \d+\)`)
	buildOK    = regexp.MustCompile(`^\S+ build\s+api ok in (\S+)`)
	buildEnd   = regexp.MustCompile(`^\S+ build\s+\S+ (ok in|FAILED)`)
)

func startDev(bin, dir string) (*dev, error) {
	cmd := exec.Command(bin, "dev", "--no-tui", "--port", "0", "--aws-port", "0", "--in-memory")
	cmd.Dir = dir
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	d := &dev{cmd: cmd, done: make(chan struct{})}
	ready := make(chan struct{})
	go func() {
		defer close(d.done)
		sc := bufio.NewScanner(out)
		isReady := false
		for sc.Scan() {
			line := sc.Text()
			d.mu.Lock()
			if len(d.lines) > 200 {
				d.lines = d.lines[100:]
			}
			d.lines = append(d.lines, line)
			if m := apiURLRe.FindStringSubmatch(line); m != nil {
				d.api = m[1]
			}
			if buildStart.MatchString(line) {
				d.started++
				d.lastEnd = time.Now()
			}
			if buildEnd.MatchString(line) {
				d.ended++
				d.lastEnd = time.Now()
			}
			if m := buildOK.FindStringSubmatch(line); m != nil {
				if b, err := parseDur(m[1]); err == nil {
					d.builds = append(d.builds, b)
				}
			}
			d.mu.Unlock()
			if !isReady && readyRe.MatchString(line) {
				isReady = true
				close(ready)
			}
		}
		cmd.Wait()
	}()
	select {
	case <-ready:
		return d, nil
	case <-d.done:
		return nil, fmt.Errorf("slsx dev exited:\n%s", d.tail())
	case <-time.After(3 * time.Minute):
		d.stop()
		return nil, fmt.Errorf("slsx dev not ready:\n%s", d.tail())
	}
}

// parseDur reads the printer's durations ("712.34ms", "1.02s").
func parseDur(s string) (time.Duration, error) { return time.ParseDuration(s) }

func (d *dev) finished() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.builds)
}

// lastBuild is the duration of the last successful api build after the
// first `before` ones.
func (d *dev) lastBuild(before int) (time.Duration, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.builds) <= before {
		return 0, false
	}
	return d.builds[len(d.builds)-1], true
}

// waitIdle waits until no build runs and none ended in the last 300ms.
func (d *dev) waitIdle(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		d.mu.Lock()
		idle := d.started == d.ended && time.Since(d.lastEnd) > 300*time.Millisecond
		d.mu.Unlock()
		if idle {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("builds never settled:\n%s", d.tail())
}

func (d *dev) tail() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	from := max(0, len(d.lines)-40)
	return strings.Join(d.lines[from:], "\n")
}

func (d *dev) stop() {
	d.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-d.done:
	case <-time.After(10 * time.Second):
		d.cmd.Process.Kill()
		<-d.done
	}
}

// saveAtomic writes like an editor: a temporary beside the file, renamed
// over it.
func saveAtomic(path, content string) error {
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp"+strconv.Itoa(os.Getpid()))
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(a, b int) bool { return s[a] < s[b] })
	return s[len(s)/2]
}

func round(d time.Duration) time.Duration { return d.Round(time.Millisecond) }
