// Command sns benchmarks the slsx SNS emulator: Publish throughput with no
// subscribers through aws-sdk-go-v2 at a fixed concurrency, against an
// instant HTTP server with a canned body (the client's own cost) and, when
// moto_server is on PATH, against moto; plus Publish -> Invoke latency.
//
//	go run ./bench/sns -d 3s -c 8
//
// The servers run in child processes (this binary with -serve) and the
// targets take turns in short rounds (package benchkit).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/slsx/slsx/bench/internal/benchkit"
	"github.com/slsx/slsx/emulator/awsapi"
	"github.com/slsx/slsx/emulator/lambda"
	"github.com/slsx/slsx/emulator/sns"
)

func main() { os.Exit(run()) }

// row is one target's line in the throughput table; note, when set,
// says why it has no figures.
type row struct {
	name string
	benchkit.Sample
	note string
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
		return benchkit.ServeChild(*serverProfile, func() (string, func(), error) {
			url, topic, stop, err := startServer(*serve)
			return url + " " + topic, stop, err
		})
	}
	stopProfile, err := benchkit.StartProfile(*cpuProfile)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer stopProfile()

	type tgt struct{ name, url, topic string }
	var targets []tgt
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
		targets = append(targets, tgt{name: label, url: url, topic: topic})
	}
	moto := row{name: "moto_server"}
	if url, topic, stop, err := startMoto(); err != nil {
		moto.note = err.Error()
	} else {
		defer stop()
		targets = append(targets, tgt{name: "moto_server", url: url, topic: topic})
	}
	load0 := benchkit.Loadavg()
	samples, err := benchkit.Interleave(len(targets), *rounds, *d, func(i, _ int, turn time.Duration) (benchkit.Sample, error) {
		return throughput(targets[i].name, targets[i].url, targets[i].topic, *c, turn)
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	load1 := benchkit.Loadavg()
	var rows []row
	for i, t := range targets {
		rows = append(rows, row{name: t.name, Sample: samples[i]})
	}
	if moto.note != "" {
		rows = append(rows, moto)
	}

	lat, err := invokeLatency(*n)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}

	mode := "each server in its own process"
	if *inProcess {
		mode = "slsx and canned in the client's process"
	}
	fmt.Printf("Publish, no subscribers, %d concurrent, aws-sdk-go-v2, %s per target in %d interleaved rounds, %s\n", *c, *d, max(*rounds, 1), mode)
	fmt.Printf("load average before %s, after %s\n\n", load0, load1)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "target\tops\tops/s\tp50\tp99\tvs canned\tslsx is\t")
	base, slsxRate := rows[1].Rate(), rows[0].Rate()
	for _, r := range rows {
		if r.note != "" {
			fmt.Fprintf(tw, "%s\t-\t-\t-\t-\t%s\t\t\n", r.name, r.note)
			continue
		}
		rate := r.Rate()
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%s\t%s\t%.2fx\t%.1fx\t\n", r.name, r.Calls, rate, r.Percentile(0.50).Round(time.Microsecond), r.Percentile(0.99).Round(time.Microsecond), rate/base, slsxRate/rate)
	}
	_ = tw.Flush()
	fmt.Printf("\nPublish -> Invoke (lambda subscriber, in process, sequential, %d samples)\n\n", *n)
	tw = tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "p50\tp90\tp99\tmax\t")
	fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", lat.Percentile(0.50).Round(time.Microsecond), lat.Percentile(0.90).Round(time.Microsecond),
		lat.Percentile(0.99).Round(time.Microsecond), lat.Percentile(1).Round(time.Microsecond))
	_ = tw.Flush()
	return 0
}

// startTarget starts the slsx or canned server, in this process or, by
// default, in a child process running this same binary with -serve (see
// benchkit for why); "baseline" is slsx from the baseline binary.
func startTarget(name string, inProcess bool, profile, baseline string) (url, topic string, stop func(), err error) {
	exe := ""
	switch {
	case name == "baseline":
		exe, name, profile = baseline, "slsx", ""
	case inProcess:
		return startServer(name)
	}
	args := []string{"-serve", name}
	if name == "slsx" && profile != "" {
		args = append(args, "-server-cpuprofile", profile)
	}
	line, stop, err := benchkit.StartChild(exe, args...)
	if err != nil {
		return "", "", nil, err
	}
	f := strings.Fields(line)
	if len(f) != 2 {
		stop()
		return "", "", nil, fmt.Errorf("%s server said %q", name, line)
	}
	return f[0], f[1], stop, nil
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

// startMoto starts moto_server and creates the benchmark topic in it.
func startMoto() (url, topic string, stop func(), err error) {
	url, stop, err = benchkit.StartMoto()
	if err != nil {
		return "", "", nil, err
	}
	out, err := client(url).CreateTopic(context.Background(), &awssns.CreateTopicInput{Name: aws.String("bench")})
	if err != nil {
		stop()
		return "", "", nil, fmt.Errorf("moto_server: %w", err)
	}
	return url, *out.TopicArn, stop, nil
}

func client(url string) *awssns.Client {
	return awssns.New(awssns.Options{
		BaseEndpoint: aws.String(url), Region: "us-east-1", RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("bench", "bench", ""),
		HTTPClient:  &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}},
	})
}

func throughput(name, url, topic string, conc int, d time.Duration) (benchkit.Sample, error) {
	cl := client(url)
	in := &awssns.PublishInput{TopicArn: aws.String(topic), Message: aws.String("benchmark message")}
	s := benchkit.Run(conc, d, func(int, int) error {
		_, err := cl.Publish(context.Background(), in)
		return err
	})
	if s.FirstErr != nil {
		return s, fmt.Errorf("%s: %w", name, s.FirstErr)
	}
	return s, nil
}

// invokeLatency measures from the start of a Publish call to the moment
// the Lambda invoker is called for it.
func invokeLatency(n int) (benchkit.Sample, error) {
	t, stop, err := startSlsx()
	if err != nil {
		return benchkit.Sample{}, err
	}
	defer stop()
	cl := client(t.url)
	var out benchkit.Sample
	for i := 0; i < n; i++ {
		t0 := time.Now()
		if _, err := cl.Publish(context.Background(), &awssns.PublishInput{TopicArn: aws.String(t.subTopic), Message: aws.String("x")}); err != nil {
			return out, err
		}
		select {
		case at := <-t.inv.ch:
			out.Lat = append(out.Lat, at.Sub(t0))
		case <-time.After(10 * time.Second):
			return out, fmt.Errorf("invocation %d never arrived", i)
		}
	}
	return out, nil
}
