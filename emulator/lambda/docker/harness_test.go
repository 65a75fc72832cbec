package docker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	lambdasdk "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/slsx/slsx/emulator/config"
	"github.com/slsx/slsx/emulator/lambda"
	"github.com/slsx/slsx/emulator/lambda/lambdatest"
)

// handlersDir holds the lambda package's test handlers (one directory per
// handler, each with its bootstrap), built once in TestMain.
var handlersDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "slsx-docker-handlers-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := func() int {
		defer os.RemoveAll(dir)
		// The container runs as uid 993: the tree must be traversable.
		if err := os.Chmod(dir, 0o755); err != nil {
			return 1
		}
		bin := filepath.Join(dir, "bin") + string(filepath.Separator)
		cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", bin, "./testdata/handlers/...")
		cmd.Dir = ".." // the lambda package, whose handlers these are
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
		if out, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "build test handlers: %v\n%s", err, out)
			return 1
		}
		entries, _ := os.ReadDir(bin)
		for _, e := range entries {
			d := filepath.Join(dir, e.Name())
			if err := os.MkdirAll(d, 0o755); err != nil {
				return 1
			}
			if err := os.Rename(filepath.Join(bin, e.Name()), filepath.Join(d, "bootstrap")); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
		}
		handlersDir = dir
		return m.Run()
	}()
	os.Exit(code)
}

func handlerDir(name string) string { return filepath.Join(handlersDir, name) }

// newExecutor returns an executor for this test, or skips the test when
// Docker is unreachable (fails when SLSX_REQUIRE_DOCKER=1).
func newExecutor(tb testing.TB) *Executor { return newExecutorWith(tb, Options{}) }

// newExecutorWith is newExecutor with options (the instance is set here).
func newExecutorWith(tb testing.TB, opts Options) *Executor {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	opts.Instance = "test-" + strconv.Itoa(os.Getpid()) + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	x, err := New(ctx, opts)
	if err != nil {
		if errors.Is(err, ErrUnavailable) && os.Getenv("SLSX_REQUIRE_DOCKER") != "1" {
			tb.Skipf("docker: %v", err)
		}
		tb.Fatal(err)
	}
	if x.HostIP() == "" {
		tb.Fatal("no bridge gateway: containers cannot reach slsx")
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := x.Close(ctx); err != nil {
			tb.Errorf("close executor: %v", err)
		}
	})
	return x
}

// dockerTarget is the lambdatest target of this package's tests: every
// harness gets its own executor (and so its own instance label), the
// Runtime API and the edge on the bridge gateway as in slsx dev.
func dockerTarget() lambdatest.Target { return dockerTargetWith(Options{}) }

// dockerTargetWith is dockerTarget with executor options.
func dockerTargetWith(xopts Options) lambdatest.Target {
	return lambdatest.Target{
		Name: "docker",
		Setup: func(tb testing.TB, opts *lambda.Options) []net.Listener {
			x := newExecutorWith(tb, xopts)
			opts.Executor = x
			opts.RuntimeHost = net.JoinHostPort(x.HostIP(), "0")
			return lambdatest.ListenPair(tb, x.HostIP())
		},
		HandlerDir: handlerDir,
		Resources: func(tb testing.TB, h *lambdatest.Harness, fn string) int {
			return len(harnessOf(h).containers(LabelFunction + "=" + fn))
		},
		MissingBootstrap: `create container for missing: .*does-not-exist.*`,
	}
}

// processTarget runs the same harness on the process executor, for
// comparisons in benchmarks.
func processTarget() lambdatest.Target {
	return lambdatest.Target{
		Name: "process",
		Setup: func(tb testing.TB, opts *lambda.Options) []net.Listener {
			opts.Executor = lambda.ProcessExecutor{}
			return nil
		},
		HandlerDir: handlerDir,
	}
}

// harness is a lambdatest harness with this package's view of it.
type harness struct {
	*lambdatest.Harness
	t      testing.TB
	x      *Executor // nil on the process executor
	s      *lambda.Service
	edge   string
	client *lambdasdk.Client
}

// newHarness runs a lambda.Service on the docker executor: the Runtime API
// on the bridge gateway, the Invoke API (the edge) on loopback and the
// gateway, handlers' AWS_ENDPOINT_URL naming loopback (rewritten for the
// container to the host alias).
func newHarness(tb testing.TB, opts lambda.Options) *harness {
	tb.Helper()
	return harnessOf(lambdatest.New(tb, dockerTarget(), opts))
}

// harnessOf wraps a lambdatest harness.
func harnessOf(lh *lambdatest.Harness) *harness {
	h := &harness{Harness: lh, t: lh.TB, s: lh.S, edge: lh.EdgeURL, client: lh.Client}
	switch x := lh.Executor.(type) {
	case *Executor:
		h.x = x
	case *recorder:
		h.x = x.Executor
	}
	return h
}

func (h *harness) deploy(name, handler string, gen int, mod func(*config.Function)) *config.Function {
	h.t.Helper()
	return h.Deploy(name, handler, gen, mod)
}

func (h *harness) invoke(name, payload string) *lambdasdk.InvokeOutput {
	h.t.Helper()
	return h.Invoke(name, payload)
}

// containers lists this harness's containers matching extra label filters.
func (h *harness) containers(labels ...string) []container.Summary {
	h.t.Helper()
	args := filters.NewArgs(filters.Arg("label", LabelInstance+"="+h.x.Instance()))
	for _, l := range labels {
		args.Add("label", l)
	}
	list, err := h.x.Client().ContainerList(context.Background(), container.ListOptions{All: true, Filters: args})
	if err != nil {
		h.t.Fatal(err)
	}
	return list
}

// waitFor polls cond; the bound is a hang guard, not a timing assertion.
func waitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	lambdatest.WaitFor(tb, what, cond)
}
