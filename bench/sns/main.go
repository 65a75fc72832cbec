// Command sns benchmarks the slsx SNS emulator: Publish throughput with no
// subscribers through aws-sdk-go-v2 at a fixed concurrency, against an
// instant HTTP server with a canned body (the client's own cost) and, when
// moto_server is on PATH, against moto; plus Publish -> Invoke latency.
//
//	go run ./bench/sns -d 3s -c 8
//
// The servers run in child processes (this binary with -serve) and the
// targets take turns in short rounds, so load from other work on the
// machine falls on all of them alike.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/slsx/slsx/emulator/awsapi"
	"github.com/slsx/slsx/emulator/lambda"
	"github.com/slsx/slsx/emulator/sns"
)

func main() { os.Exit(run()) }

type row struct {
	name     string
	ops      int64
	dur      time.Duration
	p50, p99 time.Duration
	lats     []time.Duration
	note     string
}

func run() int {
	d := flag.Duration("d", 3*time.Second, "duration of each throughput run")
	c := flag.Int("c", 8, "concurrent publishers")
	n := flag.Int("n", 500, "Publish -> Invoke samples")
	rounds := flag.Int("rounds", 6, "interleave the targets in this many slices of -d each, so a change in machine load hits them alike")
	inProcess := flag.Bool("inprocess", false, "run slsx and the canned server inside the benchmark process instead of one child process each")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the client process to this file")
	serverProfile := flag.String("server-cpuprofile", "", "write a CPU profile of the slsx server process to this file")
	baseline := flag.String("baseline", "", "also run slsx from this build of the benchmark (e.g. one built from the last commit) as the target \"slsx baseline\", for a before/after in one run")
	serve := flag.String("serve", "", "internal: serve one target (slsx or canned) and print its URL and topic")
	flag.Parse()
	if *serve != "" {
		return serveChild(*serve, *serverProfile)
	}
	if *cpuProfile != "" {
		stop, err := startProfile(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer stop()
	}

	type tgt struct {
		name, url, topic string
		row              row
	}
	var targets []*tgt
	names := []string{"slsx", "canned"}
	if *baseline != "" {
		names = append(names, "baseline")
	}
	for _, name := range names {
		url, topic, stop, err := startTarget(name, *inProcess, *serverProfile, *baseline)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer stop()
		label := name
		switch name {
		case "canned":
			label = "canned httptest (client cost)"
		case "baseline":
			label = "slsx baseline"
		}
		targets = append(targets, &tgt{name: label, url: url, topic: topic})
	}
	moto := row{name: "moto_server", note: "not on PATH"}
	if path, err := exec.LookPath("moto_server"); err == nil {
		url, topic, stopMoto, err := startMoto(path)
		if err != nil {
			moto.note = err.Error()
		} else {
			defer stopMoto()
			targets = append(targets, &tgt{name: "moto_server", url: url, topic: topic})
		}
	}
	if *rounds < 1 {
		*rounds = 1
	}
	load0 := loadavg()
	for i := 0; i < *rounds; i++ {
		for _, t := range targets {
			r, err := throughput(t.name, t.url, t.topic, *c, *d/time.Duration(*rounds))
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			t.row.name = t.name
			t.row.ops += r.ops
			t.row.dur += r.dur
			t.row.lats = append(t.row.lats, r.lats...)
		}
	}
	load1 := loadavg()
	var rows []row
	for _, t := range targets {
		rows = append(rows, t.row.summarize())
	}
	if targets[len(targets)-1].name != "moto_server" {
		rows = append(rows, moto)
	}
	rc := rows[1]

	lat, err := invokeLatency(*n)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}

	mode := "each server in its own process"
	if *inProcess {
		mode = "slsx and canned in the client's process"
	}
	fmt.Printf("Publish, no subscribers, %d concurrent, aws-sdk-go-v2, %s per target in %d interleaved rounds, %s\n", *c, *d, *rounds, mode)
	fmt.Printf("load average before %s, after %s\n\n", load0, load1)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "target\tops\tops/s\tp50\tp99\tvs canned\tslsx is\t")
	base := float64(rc.ops) / rc.dur.Seconds()
	slsxRate := float64(rows[0].ops) / rows[0].dur.Seconds()
	for _, r := range rows {
		if r.note != "" {
			fmt.Fprintf(tw, "%s\t-\t-\t-\t-\t%s\t\t\n", r.name, r.note)
			continue
		}
		rate := float64(r.ops) / r.dur.Seconds()
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%s\t%s\t%.2fx\t%.1fx\t\n", r.name, r.ops, rate, r.p50.Round(time.Microsecond), r.p99.Round(time.Microsecond), rate/base, slsxRate/rate)
	}
	_ = tw.Flush()
	fmt.Printf("\nPublish -> Invoke (lambda subscriber, in process, sequential, %d samples)\n\n", *n)
	tw = tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "p50\tp90\tp99\tmax\t")
	fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", lat[len(lat)/2].Round(time.Microsecond), lat[len(lat)*9/10].Round(time.Microsecond),
		lat[len(lat)*99/100].Round(time.Microsecond), lat[len(lat)-1].Round(time.Microsecond))
	_ = tw.Flush()
	return 0
}

// summarize fills the percentiles from the collected latencies.
func (r row) summarize() row {
	sort.Slice(r.lats, func(i, j int) bool { return r.lats[i] < r.lats[j] })
	if len(r.lats) > 0 {
		r.p50, r.p99 = r.lats[len(r.lats)/2], r.lats[len(r.lats)*99/100]
	}
	return r
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func startProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// startTarget starts the slsx or canned server, in this process or, by
// default, in a child process running this same binary with -serve: a
// server in the client's process shares its heap, so its live data would
// change how often the client's garbage collector runs and skew the
// comparison between targets.
func startTarget(name string, inProcess bool, profile, baseline string) (url, topic string, stop func(), err error) {
	exe := baseline
	if name == "baseline" {
		name = "slsx"
	} else if inProcess {
		return startServer(name)
	} else if exe, err = os.Executable(); err != nil {
		return "", "", nil, err
	}
	args := []string{"-serve", name}
	if name == "slsx" && profile != "" && exe != baseline {
		args = append(args, "-server-cpuprofile", profile)
	}
	cmd := exec.Command(exe, args...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return "", "", nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", "", nil, err
	}
	// The child exits when its stdin closes; waiting lets it write its profile.
	stop = func() { _ = stdin.Close(); _ = cmd.Wait() }
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		stop()
		return "", "", nil, fmt.Errorf("%s server: %w", name, err)
	}
	f := strings.Fields(line)
	if len(f) != 2 {
		stop()
		return "", "", nil, fmt.Errorf("%s server said %q", name, line)
	}
	return f[0], f[1], stop, nil
}

// serveChild is the child side of startTarget.
func serveChild(name, profile string) int {
	if profile != "" {
		stop, err := startProfile(profile)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer stop()
	}
	url, topic, stop, err := startServer(name)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer stop()
	fmt.Printf("%s %s\n", url, topic)
	_, _ = io.Copy(io.Discard, os.Stdin)
	return 0
}

func startServer(name string) (url, topic string, stop func(), err error) {
	switch name {
	case "slsx":
		t, stop, err := startSlsx()
		if err != nil {
			return "", "", nil, err
		}
		return t.url, t.topic, stop, nil
	case "canned":
		url, stop := startCanned()
		return url, "arn:aws:sns:us-east-1:000000000000:bench", stop, nil
	}
	return "", "", nil, fmt.Errorf("unknown target %q", name)
}

type invoker struct{ ch chan time.Time }

func (i *invoker) Invoke(context.Context, lambda.Request) (lambda.Result, error) {
	i.ch <- time.Now()
	return lambda.Result{StatusCode: http.StatusAccepted}, nil
}

type slsxTarget struct {
	url, topic, subTopic string
	inv                  *invoker
}

func startSlsx() (*slsxTarget, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	url := "http://" + ln.Addr().String()
	inv := &invoker{ch: make(chan time.Time, 1)}
	svc, err := sns.New(sns.Options{Identity: awsapi.DefaultIdentity(), Invoker: inv, PublicURL: url})
	if err != nil {
		return nil, nil, err
	}
	srv := &http.Server{Handler: &awsapi.Edge{SNS: svc.Handler(), Extra: svc.ExtraHandlers()}, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	cl := client(url)
	t, err := cl.CreateTopic(context.Background(), &awssns.CreateTopicInput{Name: aws.String("bench")})
	if err != nil {
		return nil, nil, err
	}
	st, err := cl.CreateTopic(context.Background(), &awssns.CreateTopicInput{Name: aws.String("bench-sub")})
	if err != nil {
		return nil, nil, err
	}
	_, err = cl.Subscribe(context.Background(), &awssns.SubscribeInput{TopicArn: st.TopicArn, Protocol: aws.String("lambda"),
		Endpoint: aws.String("arn:aws:lambda:us-east-1:000000000000:function:bench")})
	if err != nil {
		return nil, nil, err
	}
	return &slsxTarget{url: url, topic: *t.TopicArn, subTopic: *st.TopicArn, inv: inv}, func() { _ = svc.Close(); _ = srv.Close() }, nil
}

// startCanned serves a fixed PublishResponse: the cost of the client,
// loopback HTTP and XML decoding with no server work.
func startCanned() (string, func()) {
	body := []byte(`<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>567910cd-659e-55d4-8ccb-5aaf14679dc0</MessageId></PublishResult><ResponseMetadata><RequestId>d74b8436-ae13-5ab4-a9ff-ce54dfea72a0</RequestId></ResponseMetadata></PublishResponse>`)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/xml")
		w.Header().Set("x-amzn-RequestId", "d74b8436-ae13-5ab4-a9ff-ce54dfea72a0")
		_, _ = w.Write(body)
	})}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { _ = srv.Close() }
}

func startMoto(path string) (string, string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", "", nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command(path, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	if err := cmd.Start(); err != nil {
		return "", "", nil, err
	}
	stop := func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err := client(url).CreateTopic(context.Background(), &awssns.CreateTopicInput{Name: aws.String("bench")})
		if err == nil {
			return url, *out.TopicArn, stop, nil
		}
		if time.Now().After(deadline) {
			stop()
			return "", "", nil, fmt.Errorf("moto_server did not start: %w", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func client(url string) *awssns.Client {
	return awssns.New(awssns.Options{
		BaseEndpoint: aws.String(url), Region: "us-east-1", RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("bench", "bench", ""),
		HTTPClient:  &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}},
	})
}

func throughput(name, url, topic string, conc int, d time.Duration) (row, error) {
	cl := client(url)
	var ops atomic.Int64
	var mu sync.Mutex
	var lats []time.Duration
	var firstErr error
	end := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for i := 0; i < conc; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var local []time.Duration
			for time.Now().Before(end) {
				t0 := time.Now()
				_, err := cl.Publish(context.Background(), &awssns.PublishInput{TopicArn: aws.String(topic), Message: aws.String("benchmark message")})
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					return
				}
				local = append(local, time.Since(t0))
				ops.Add(1)
			}
			mu.Lock()
			lats = append(lats, local...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return row{}, fmt.Errorf("%s: %w", name, firstErr)
	}
	return row{name: name, ops: ops.Load(), dur: time.Since(start), lats: lats}, nil
}

// invokeLatency measures from the start of a Publish call to the moment
// the Lambda invoker is called for it.
func invokeLatency(n int) ([]time.Duration, error) {
	t, stop, err := startSlsx()
	if err != nil {
		return nil, err
	}
	defer stop()
	cl := client(t.url)
	out := make([]time.Duration, 0, n)
	for i := 0; i < n; i++ {
		t0 := time.Now()
		if _, err := cl.Publish(context.Background(), &awssns.PublishInput{TopicArn: aws.String(t.subTopic), Message: aws.String("x")}); err != nil {
			return nil, err
		}
		select {
		case at := <-t.inv.ch:
			out = append(out, at.Sub(t0))
		case <-time.After(10 * time.Second):
			return nil, fmt.Errorf("invocation %d never arrived", i)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, nil
}
