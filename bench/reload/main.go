// Command reload measures how long slsx takes from an edit to a new build of
// a small aws-lambda-go handler, against a plain incremental `go build`.
//
//	go run ./bench/reload -n 7
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/slsx/slsx/emulator/config"
	"github.com/slsx/slsx/watch"
)

const goMod = `module example.com/bench

go 1.24

require github.com/aws/aws-lambda-go v1.55.1
`

const handler = `package main

import (
	"context"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

var version = "v0"

func handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return events.APIGatewayV2HTTPResponse{StatusCode: 200, Body: version}, nil
}

func main() { lambda.Start(handle) }
`

func main() {
	n := flag.Int("n", 7, "iterations per row (the median is reported)")
	flag.Parse()
	if err := run(*n); err != nil {
		fmt.Fprintln(os.Stderr, "reload:", err)
		os.Exit(1)
	}
}

func run(n int) error {
	dir, err := os.MkdirTemp("", "slsx-bench-reload-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	src := filepath.Join(dir, "functions", "api", "main.go")
	if err := os.MkdirAll(filepath.Dir(src), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(goMod), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(src, []byte(handler), 0o644); err != nil {
		return err
	}
	os.Setenv("GOFLAGS", strings.TrimSpace(os.Getenv("GOFLAGS")+" -mod=mod"))
	edits := 0
	edit := func() error {
		edits++
		return os.WriteFile(src, []byte(strings.Replace(handler, `"v0"`, fmt.Sprintf(`"v%d"`, edits), 1)), 0o644)
	}
	plain := func(ldflags bool) func() error {
		return func() error {
			args := []string{"build", "-tags", "lambda.norpc"}
			if ldflags {
				args = append(args, "-ldflags=-s -w")
			}
			args = append(args, "-o", filepath.Join(dir, "plain", "bootstrap"), "./functions/api")
			cmd := exec.Command("go", args...)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
			if out, err := cmd.CombinedOutput(); err != nil {
				return fmt.Errorf("go build: %v\n%s", err, out)
			}
			return nil
		}
	}
	fn := &config.Function{Name: "api", Handler: "./functions/api"}
	b := watch.NewBuilder(dir, watch.BuildOptions{})
	slsx := func() error {
		if r := b.Build(context.Background(), []*config.Function{fn}, "bench")[0]; r.Err != nil {
			return fmt.Errorf("%v\n%s", r.Err, r.Output)
		}
		return nil
	}
	// Warm GOCACHE and go.sum.
	if err := plain(false)(); err != nil {
		return err
	}
	if err := slsx(); err != nil {
		return err
	}

	// The whole loop: a save seen by the watcher, debounced, built and
	// handed over (the Lambda service's swap and cold start come after).
	// It runs only during its own row, so it does not rebuild behind the
	// other rows.
	builtC := make(chan struct{}, 10)
	cancel := func() {}
	startReloader := func() {
		var ctx context.Context
		ctx, cancel = context.WithCancel(context.Background())
		rb := watch.NewBuilder(dir, watch.BuildOptions{})
		r := watch.NewReloader(watch.ReloadOptions{
			Builder: rb, Functions: []*config.Function{fn},
			OnBuilt: func(*config.Function, string, int) { builtC <- struct{}{} },
		})
		go r.Run(ctx)
		time.Sleep(time.Second) // let the watcher and package graph start (not timed)
	}
	stray := 0
	reload := func() error {
		for len(builtC) > 0 { // a second hand-over for one save would be a bug
			<-builtC
			stray++
		}
		if err := edit(); err != nil { // the save is part of the timing
			return err
		}
		select {
		case <-builtC:
			return nil
		case <-time.After(time.Minute):
			return fmt.Errorf("no rebuild after a save")
		}
	}
	latest := func() error {
		if _, _, ok := b.Latest(fn); !ok {
			return fmt.Errorf("Latest: not up to date")
		}
		return nil
	}

	rows := []struct {
		name string
		f    func() error
		edit bool
	}{
		{"go build (plain, incremental after an edit)", plain(false), true},
		{"go build -ldflags=-s -w", plain(true), true},
		{"slsx Builder.Build", slsx, true},
		{"slsx save -> OnBuilt (watch+debounce+build)", reload, false},
		{"slsx Latest (up-to-date check, no build)", latest, false},
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "path\tmedian\tmin\tmax\tvs plain\t\n")
	var base time.Duration
	for i, row := range rows {
		if i == 3 {
			startReloader()
		}
		if i == 4 {
			cancel()
			if err := slsx(); err != nil { // a current build for Latest
				return err
			}
		}
		var times []time.Duration
		for j := 0; j < n; j++ {
			if row.edit {
				if err := edit(); err != nil {
					return err
				}
			}
			start := time.Now()
			if err := row.f(); err != nil {
				return err
			}
			times = append(times, time.Since(start))
			if i == 3 {
				time.Sleep(300 * time.Millisecond) // let the batch settle (not timed)
			}
		}
		sort.Slice(times, func(a, b int) bool { return times[a] < times[b] })
		med := times[len(times)/2]
		if i == 0 {
			base = med
		}
		fmt.Fprintf(tw, "%s\t%v\t%v\t%v\t%.2fx\t\n", row.name, round(med), round(times[0]), round(times[len(times)-1]), float64(med)/float64(base))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if stray > 0 {
		fmt.Printf("warning: %d extra hand-overs (more than one per save)\n", stray)
	}
	return nil
}

func round(d time.Duration) time.Duration {
	if d < 10*time.Millisecond {
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(time.Millisecond)
}
