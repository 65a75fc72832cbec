package docker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/image"
	"github.com/slsx/slsx/emulator/config"
	"github.com/slsx/slsx/emulator/lambda"
	"github.com/slsx/slsx/emulator/lambda/lambdatest"
	"github.com/slsx/slsx/emulator/telemetry"
)

// floodLine is the length of the flood handler's lines, newline included.
const floodLine = 6*170 + 1

// TestLogPipeExact: with the log pipe and no quiet window at all, every
// line an invocation printed is in its log, in order, and in no other;
// a flood is accounted for to the byte (kept plus dropped).
func TestLogPipeExact(t *testing.T) {
	// Without the pipe, SyncOutput would now return at once and lines still
	// in the daemon would land in the next invocation, or nowhere.
	lh := lambdatest.New(t, recordingTarget(Options{}, func(x *Executor) { x.quiet = 0 }), lambda.Options{MaxLogBytes: 64 << 10})
	h := harnessOf(lh)
	h.deploy("echo", "echo", 1, nil)
	h.deploy("flood", "flood", 1, func(f *config.Function) { f.Timeout = time.Minute })

	const calls, lines = 30, 20
	for i := 0; i < calls; i++ {
		var ls []string
		for j := 0; j < lines; j++ {
			ls = append(ls, fmt.Sprintf(`"call-%d-%d"`, i, j))
		}
		if out := h.invoke("echo", `{"log":[`+strings.Join(ls, ",")+`]}`); out.FunctionError != nil {
			t.Fatalf("call %d: %s", i, out.Payload)
		}
	}
	var fins []telemetry.InvocationFinished
	h.WaitFor("finished events", func() bool { fins = h.Finished("echo"); return len(fins) == calls })
	seen := map[int]bool{}
	for _, f := range fins {
		var got []string
		for _, l := range f.Logs {
			if strings.HasPrefix(l, "call-") {
				got = append(got, l)
			}
		}
		if len(got) != lines {
			t.Fatalf("%s: %d handler lines, want %d: %q", f.RequestID, len(got), lines, f.Logs)
		}
		i, _ := strconv.Atoi(strings.Split(got[0], "-")[1])
		for j, l := range got {
			if want := fmt.Sprintf("call-%d-%d", i, j); l != want {
				t.Fatalf("%s: line %d is %q, want %q", f.RequestID, j, l, want)
			}
		}
		seen[i] = true
	}
	if len(seen) != calls {
		t.Errorf("%d distinct calls logged, want %d", len(seen), calls)
	}
	assertEnvs(t, lh, func(c *ctrEnv) {
		if c.pipe == nil || !c.pipe.direct.Load() {
			t.Errorf("environment %s: output did not come through the pipe", c.env)
		}
	})

	const mb = 8
	if out := h.invoke("flood", `{"mb":`+strconv.Itoa(mb)+`}`); string(out.Payload) != `"done"` {
		t.Fatalf("flood: %s", out.Payload)
	}
	h.WaitFor("flood finished", func() bool { return len(h.Finished("flood")) == 1 })
	f := h.Finished("flood")[0]
	kept, dropped := 0, 0
	for _, l := range f.Logs {
		if strings.HasPrefix(l, "flood ") {
			kept += len(l) + 1
		}
		if m := regexp.MustCompile(`^\[slsx\] (\d+) bytes of log output dropped`).FindStringSubmatch(l); m != nil {
			dropped, _ = strconv.Atoi(m[1])
		}
	}
	if want := mb * 1024 * floodLine; kept+dropped != want {
		t.Errorf("flood: %d bytes kept + %d dropped = %d, want %d", kept, dropped, kept+dropped, want)
	}
}

// recorder is an Executor that remembers the environments it started.
type recorder struct {
	*Executor
	mu   sync.Mutex
	envs []*ctrEnv
}

func (r *recorder) Start(ctx context.Context, spec lambda.EnvSpec) (lambda.Env, error) {
	e, err := r.Executor.Start(ctx, spec)
	if err == nil {
		r.mu.Lock()
		r.envs = append(r.envs, e.(*ctrEnv))
		r.mu.Unlock()
	}
	return e, err
}

// recordingTarget is dockerTargetWith(opts) with a recorder, and tune
// applied to the executor before the first environment starts.
func recordingTarget(opts Options, tune func(*Executor)) lambdatest.Target {
	target := dockerTargetWith(opts)
	setup := target.Setup
	target.Setup = func(tb testing.TB, opts *lambda.Options) []net.Listener {
		lns := setup(tb, opts)
		x := opts.Executor.(*Executor)
		if tune != nil {
			tune(x)
		}
		opts.Executor = &recorder{Executor: x}
		return lns
	}
	return target
}

// assertEnvs runs check on every environment h's executor started.
func assertEnvs(t *testing.T, h *lambdatest.Harness, check func(*ctrEnv)) {
	t.Helper()
	r := h.Executor.(*recorder)
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.envs) == 0 {
		t.Error("no environment started")
	}
	for _, c := range r.envs {
		check(c)
	}
}

// TestLogPipeFallback: without a pipe (Docker Desktop, or no Go toolchain)
// containers run the bootstrap directly and the attach stream carries the
// output; with a pipe the container cannot open, the shim says so and the
// attach stream carries it too. The attach stream's attribution to
// invocations is a guess (a quiet window), so only delivery is checked.
func TestLogPipeFallback(t *testing.T) {
	const refused = "slsx: cannot use the log pipe (permission denied); output goes through docker"
	tests := []struct {
		name    string
		opts    Options
		tune    func(*Executor)
		mounts  int
		command string
		said    int // lines from the shim
	}{
		{name: "no pipe", opts: Options{NoLogPipe: true}, mounts: 1, command: "/var/task/bootstrap"},
		// Only slsx may open the FIFO: the container's user is refused.
		{name: "pipe refused", tune: func(x *Executor) { x.pipes.mode = 0o600 }, mounts: 3, command: shimTarget + " /var/task/bootstrap", said: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lh := lambdatest.New(t, recordingTarget(tc.opts, tc.tune), lambda.Options{})
			h := harnessOf(lh)
			h.deploy("echo", "echo", 1, nil)
			const calls = 3
			for i := 0; i < calls; i++ {
				if out := h.invoke("echo", `{"log":["from-handler"]}`); out.FunctionError != nil {
					t.Fatalf("call %d: %s", i, out.Payload)
				}
			}
			lines := func(text string) int {
				return len(h.EventsOf(func(e telemetry.Event) bool {
					l, ok := e.(telemetry.LogLine)
					return ok && l.Line == text
				}))
			}
			h.WaitFor("every line", func() bool { return lines("from-handler") == calls && lines(refused) == tc.said })
			assertEnvs(t, lh, func(c *ctrEnv) {
				if c.pipe != nil && c.pipe.direct.Load() {
					t.Errorf("environment %s: output came through the pipe", c.env)
				}
			})
			for _, c := range h.containers() {
				if len(c.Mounts) != tc.mounts || c.Command != tc.command {
					t.Errorf("container %s: command %q, %d mounts", shortID(c.ID), c.Command, len(c.Mounts))
				}
			}
		})
	}
}

// TestShimBinary builds the shim into an empty cache, reuses it, and runs
// it on this host, where /.slsx/log does not exist: it says so and still
// executes its argument; an argument it cannot execute exits 127.
func TestShimBinary(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the shim is a Linux program")
	}
	if _, err := os.Stat(pipeTarget); err == nil {
		t.Skipf("%s exists on this host", pipeTarget)
	}
	// An empty slsx cache, the usual Go build cache (which XDG_CACHE_HOME
	// would move).
	gocache, err := exec.Command("go", "env", "GOCACHE").Output()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("GOCACHE", strings.TrimSpace(string(gocache)))
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	dir, err := shimCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	path, err := shimBinary(context.Background(), goArch(runtime.GOARCH), dir)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o755 {
		t.Fatalf("shim %s: %v %v", path, fi, err)
	}
	again, err := shimBinary(context.Background(), goArch(runtime.GOARCH), dir)
	if err != nil || again != path {
		t.Fatalf("second call: %q %v, want the cached %q", again, err, path)
	}
	if fi2, _ := os.Stat(path); !fi2.ModTime().Equal(fi.ModTime()) {
		t.Error("the cached shim was rebuilt")
	}
	out, err := exec.Command(path, "/bin/sh", "-c", "echo from-bootstrap; echo to-stderr >&2").CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if want := "slsx: cannot use the log pipe (no such file or directory); output goes through docker\nfrom-bootstrap\nto-stderr\n"; string(out) != want {
		t.Errorf("output %q, want %q", out, want)
	}
	out, err = exec.Command(path, "/nonexistent/bootstrap").CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 127 || !strings.HasSuffix(string(out), "exec /nonexistent/bootstrap: no such file or directory\n") {
		t.Errorf("missing bootstrap: %v %q", err, out)
	}
}

func TestShimBuildFails(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("PATH", t.TempDir()) // no go
	_, err := shimBinary(context.Background(), "amd64", t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "build the container entrypoint: no Go toolchain on PATH") {
		t.Fatalf("err %v", err)
	}
}

// TestPipeHello: the shim's hello is stripped however the reads split it,
// and marks the pipe direct; other first bytes are kept and do not.
func TestPipeHello(t *testing.T) {
	body := "line 1\nline 2\n"
	tests := []struct {
		name   string
		in     string
		direct bool
		want   string
	}{
		{"hello then output", pipeHello + body, true, body},
		{"hello alone", pipeHello, true, ""},
		{"no hello", body, false, body},
		{"hello prefix then other bytes", pipeHello[:5] + "x" + body, false, pipeHello[:5] + "x" + body},
		{"hello in the middle is output", body + pipeHello, false, body + pipeHello},
	}
	for _, tc := range tests {
		for split := 1; split <= len(tc.in); split++ {
			var out bytes.Buffer
			p := &logPipe{out: new(sync.Mutex), dst: &out}
			for in := tc.in; len(in) > 0; {
				n := min(split, len(in))
				p.feed([]byte(in[:n]))
				in = in[n:]
			}
			if out.String() != tc.want || p.direct.Load() != tc.direct {
				t.Errorf("%s, reads of %d: %q direct=%v, want %q direct=%v", tc.name, split, out.String(), p.direct.Load(), tc.want, tc.direct)
			}
		}
	}
}

func TestPipePlatform(t *testing.T) {
	tests := []struct {
		name     string
		desktop  bool
		disabled bool
		host     string
		arch     string
		on       bool
	}{
		{name: "local engine", host: "unix:///var/run/docker.sock", arch: "x86_64", on: runtime.GOOS == "linux"},
		{name: "arm64 engine", host: "unix:///run/user/1000/docker.sock", arch: "aarch64", on: runtime.GOOS == "linux"},
		{name: "docker desktop", desktop: true, host: "unix:///var/run/docker.sock", arch: "x86_64"},
		{name: "remote daemon", host: "tcp://10.0.0.2:2376", arch: "x86_64"},
		{name: "ssh daemon", host: "ssh://me@box", arch: "x86_64"},
		{name: "unknown machine", host: "unix:///var/run/docker.sock", arch: "sparc64"},
		{name: "disabled", disabled: true, host: "unix:///var/run/docker.sock", arch: "x86_64"},
	}
	for _, tc := range tests {
		x := &Executor{desktop: tc.desktop}
		x.pipes.init(x, tc.disabled, tc.host, tc.arch)
		if on := x.pipes.reason == ""; on != tc.on {
			t.Errorf("%s: on=%v (%q), want %v", tc.name, on, x.pipes.reason, tc.on)
		}
	}
}

// TestLogPipeUserImage: a function's own image (here a bare FROM scratch
// image with nothing of slsx in it, as provided.al2023 has nothing of
// slsx) gets the shim mounted and its output through the pipe.
func TestLogPipeUserImage(t *testing.T) {
	lh := lambdatest.New(t, recordingTarget(Options{}, nil), lambda.Options{})
	h := harnessOf(lh)
	tag := "slsx-test-user-image:" + strings.ToLower(h.x.Instance())
	ctxTar, err := tarFiles([]tarEntry{
		{name: "Dockerfile", mode: 0o644, body: []byte("FROM scratch\nCOPY marker /opt/marker\n")},
		{name: "marker", mode: 0o644, body: []byte("user image\n")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := buildImage(context.Background(), h.x.Client(), bytes.NewReader(ctxTar), tag, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = h.x.Client().ImageRemove(context.Background(), tag, image.RemoveOptions{Force: true})
	})
	h.deploy("own", "echo", 1, func(f *config.Function) { f.Image = tag })
	h.invoke("own", `{"log":["in my image"]}`)
	h.WaitFor("finished", func() bool { return len(h.Finished("own")) == 1 })
	if logs := h.Finished("own")[0].Logs; len(logs) != 4 || logs[1] != "in my image" {
		t.Errorf("log %q", logs)
	}
	list := h.containers(LabelFunction + "=own")
	if len(list) != 1 || list[0].Image != tag {
		t.Fatalf("containers %v", list)
	}
	assertEnvs(t, lh, func(c *ctrEnv) {
		if c.pipe == nil || !c.pipe.direct.Load() {
			t.Errorf("environment %s: output did not come through the pipe", c.env)
		}
	})
}

// TestPipeDirs: Close removes this run's FIFO directory; Cleanup removes
// those of runs whose slsx is gone, not those of live ones.
func TestPipeDirs(t *testing.T) {
	x := newExecutor(t)
	// Readying the shim (as New does) makes no directory.
	if _, dir, ok := x.pipes.prepare(context.Background(), false); !ok || dir != "" {
		t.Fatalf("prepare without a start: dir %q ok %v (%s %v)", dir, ok, x.pipes.reason, x.pipes.err)
	}
	if _, _, ok := x.pipes.prepare(context.Background(), true); !ok {
		t.Skipf("no log pipe here: %s %v", x.pipes.reason, x.pipes.err)
	}
	dir := x.pipes.dir
	if err := x.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("%s after Close: %v", dir, err)
	}

	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	dead := filepath.Join(tmp, "slsx-docker-"+strconv.Itoa(deadPID(t))+"-123")
	live := filepath.Join(tmp, "slsx-docker-1-456") // init never dies
	other := filepath.Join(tmp, "slsx-docker-x")
	for _, d := range []string{dead, live, other} {
		if err := os.MkdirAll(filepath.Join(d, "sub"), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	removeStalePipeDirs()
	for d, want := range map[string]bool{dead: false, live: true, other: true} {
		if _, err := os.Stat(d); (err == nil) != want {
			t.Errorf("%s present=%v, want %v", d, err == nil, want)
		}
	}
}

// TestLogPipeStartFallback: when containers do not start with the shim
// (here it cannot be executed, as on a noexec or mislabelled mount), the
// environment starts without it and the run stops using the pipe.
func TestLogPipeStartFallback(t *testing.T) {
	lh := lambdatest.New(t, recordingTarget(Options{}, func(x *Executor) {
		shim, _, ok := x.pipes.prepare(context.Background(), true)
		if !ok {
			t.Skipf("no log pipe here: %s %v", x.pipes.reason, x.pipes.err)
		}
		b, err := os.ReadFile(shim)
		if err != nil {
			t.Fatal(err)
		}
		broken := filepath.Join(t.TempDir(), "init")
		if err := os.WriteFile(broken, b, 0o644); err != nil {
			t.Fatal(err)
		}
		x.pipes.mu.Lock()
		x.pipes.shim = broken
		x.pipes.mu.Unlock()
	}), lambda.Options{})
	h := harnessOf(lh)
	h.deploy("a", "echo", 1, nil)
	h.deploy("b", "echo", 1, nil)
	for _, fn := range []string{"a", "b"} {
		if out := h.invoke(fn, `{"log":["hi"]}`); out.FunctionError != nil || string(out.Payload) != `{"log":["hi"]}` {
			t.Fatalf("%s: %s", fn, out.Payload)
		}
	}
	if h.x.pipes.err == nil || !strings.Contains(h.x.pipes.err.Error(), "containers start only without the log pipe: start container for a: ") {
		t.Errorf("pipes err %v", h.x.pipes.err)
	}
	assertEnvs(t, lh, func(c *ctrEnv) {
		if c.pipe != nil {
			t.Errorf("environment %s of %s has a pipe", c.env, c.fn)
		}
	})
	// The container that did not start is removed.
	waitFor(t, "one container per function", func() bool { return len(h.containers()) == 2 })
	// The next start goes without the pipe at once.
	if _, _, ok := h.x.pipes.prepare(context.Background(), true); ok {
		t.Error("pipes still on")
	}
}
