package watch

import (
	"context"
	"debug/elf"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/slsx/slsx/emulator/config"
	"github.com/slsx/slsx/emulator/telemetry"
)

// copyFixture copies testdata/<name> into a fresh temporary project.
func copyFixture(t testing.TB, name string) string {
	t.Helper()
	src := filepath.Join("testdata", name)
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	if real, err := filepath.EvalSymlinks(dst); err == nil {
		dst = real
	}
	return dst
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func multiFns() []*config.Function {
	return []*config.Function{
		{Name: "hello", Handler: "./functions/hello"},
		{Name: "world", Handler: "functions/world"},
	}
}

func TestBuildSuccessAndGenerations(t *testing.T) {
	dir := copyFixture(t, "multi")
	bus := telemetry.New()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sub := bus.Subscribe(ctx)
	b := NewBuilder(dir, BuildOptions{Bus: bus})
	fns := multiFns()
	res := b.Build(ctx, fns, "initial")
	for i, r := range res {
		if r.Err != nil {
			t.Fatalf("%s: %v\n%s", r.Function, r.Err, r.Output)
		}
		if r.Function != fns[i].Name || r.Generation != 1 {
			t.Errorf("result %d = %s gen %d, want %s gen 1", i, r.Function, r.Generation, fns[i].Name)
		}
		want := filepath.Join(dir, ".slsx", "build", fns[i].Name, "1")
		if r.Dir != want {
			t.Errorf("dir = %s, want %s", r.Dir, want)
		}
		out, err := exec.Command("file", filepath.Join(r.Dir, "bootstrap")).Output()
		if err == nil && !strings.Contains(string(out), "ELF 64-bit") {
			t.Errorf("bootstrap is not a linux binary: %s", out)
		}
	}
	// Both functions published started and finished.
	started, finished := map[string]int{}, map[string]int{}
	for len(finished) < 2 {
		switch e := (<-sub).(type) {
		case telemetry.BuildStarted:
			started[e.Function] = e.Generation
			if e.Reason != "initial" {
				t.Errorf("reason = %q", e.Reason)
			}
		case telemetry.BuildFinished:
			finished[e.Function] = e.Generation
			if e.Err != "" {
				t.Errorf("finished with error %q", e.Err)
			}
		}
	}
	if started["hello"] != 1 || finished["world"] != 1 {
		t.Errorf("events: started %v finished %v", started, finished)
	}

	// A second builder (a restarted slsx) continues the numbering.
	b2 := NewBuilder(dir, BuildOptions{Keep: 2})
	for want := 2; want <= 4; want++ {
		r := b2.Build(ctx, fns[:1], "edit")[0]
		if r.Err != nil || r.Generation != want {
			t.Fatalf("gen = %d err %v, want %d", r.Generation, r.Err, want)
		}
	}
	// Keep: 2 leaves the two newest.
	if got := generations(filepath.Join(dir, ".slsx", "build", "hello")); len(got) != 2 || got[0] != 3 || got[1] != 4 {
		t.Errorf("generations on disk = %v, want [3 4]", got)
	}
}

func TestBuildPinnedGenerationSurvivesCleanup(t *testing.T) {
	dir := copyFixture(t, "multi")
	b := NewBuilder(dir, BuildOptions{Keep: 1})
	fn := multiFns()[:1]
	ctx := context.Background()
	first := b.Build(ctx, fn, "initial")[0]
	b.Pin("hello", first.Generation)
	b.Build(ctx, fn, "edit")
	b.Build(ctx, fn, "edit")
	got := generations(filepath.Join(dir, ".slsx", "build", "hello"))
	if len(got) != 2 || got[0] != 1 || got[1] != 3 {
		t.Errorf("generations = %v, want [1 3] (pinned 1, newest 3)", got)
	}
}

func TestBuildCompileErrorVerbatim(t *testing.T) {
	dir := copyFixture(t, "multi")
	writeFile(t, filepath.Join(dir, "functions/world/broken.go"), "package main\n\nfunc broken() int { return \"x\" }\n")
	bus := telemetry.New()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sub := bus.Subscribe(ctx)
	b := NewBuilder(dir, BuildOptions{Bus: bus})
	res := b.Build(ctx, multiFns(), "initial")
	if res[0].Err != nil {
		t.Errorf("hello should build: %v", res[0].Err)
	}
	r := res[1]
	if r.Err == nil {
		t.Fatal("world built despite a type error")
	}
	// Exactly what `go build` prints.
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", os.DevNull, "./functions/world")
	cmd.Dir = dir
	cmd.Env = buildEnv(nil, HostTarget(nil))
	want, _ := cmd.CombinedOutput()
	if r.Output != string(want) || !strings.Contains(r.Output, "broken.go:3:") {
		t.Errorf("output = %q, want %q", r.Output, want)
	}
	if _, err := os.Stat(r.Dir); !os.IsNotExist(err) {
		t.Errorf("failed generation directory %s left behind", r.Dir)
	}
	for e := range sub {
		if f, ok := e.(telemetry.BuildFinished); ok && f.Function == "world" {
			if f.Err == "" || f.Output != r.Output {
				t.Errorf("BuildFinished = %+v", f)
			}
			break
		}
	}
}

func TestBuildRefusesPathEscape(t *testing.T) {
	dir := copyFixture(t, "multi")
	outside := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ handler, want string }{
		{"../elsewhere", "outside the project"},
		{"functions/../../x", "outside the project"},
		{"/abs/path", "relative to the project"},
		{"link", "outside the project"},
		{"", "handler is empty"},
	}
	b := NewBuilder(dir, BuildOptions{})
	for _, tt := range tests {
		t.Run(tt.handler, func(t *testing.T) {
			r := b.Build(context.Background(), []*config.Function{{Name: "f", Handler: tt.handler}}, "initial")[0]
			if r.Err == nil || !strings.Contains(r.Err.Error(), tt.want) {
				t.Errorf("err = %v, want it to mention %q", r.Err, tt.want)
			}
		})
	}
}

func TestBuildParallelAndCancel(t *testing.T) {
	dir := copyFixture(t, "multi")
	var fns []*config.Function
	for _, n := range []string{"a", "b", "c", "d"} {
		fns = append(fns, &config.Function{Name: n, Handler: "./functions/world", Architecture: map[string]string{"a": "arm64"}[n]})
	}
	b := NewBuilder(dir, BuildOptions{Parallel: 2, Target: LambdaTarget})
	for _, r := range b.Build(context.Background(), fns, "initial") {
		if r.Err != nil {
			t.Fatalf("%s: %v\n%s", r.Function, r.Err, r.Output)
		}
	}
	out, err := exec.Command("file", filepath.Join(dir, ".slsx/build/a/1/bootstrap")).Output()
	if err == nil && !strings.Contains(string(out), "aarch64") {
		t.Errorf("arm64 function built for another architecture: %s", out)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, r := range b.Build(ctx, fns, "edit") {
		if r.Err == nil {
			t.Errorf("%s built under a cancelled context", r.Function)
		}
	}
}

func TestLatest(t *testing.T) {
	dir := copyFixture(t, "multi")
	fns := multiFns()
	b := NewBuilder(dir, BuildOptions{})
	if _, _, ok := b.Latest(fns[0]); ok {
		t.Fatal("Latest before any build")
	}
	b.Build(context.Background(), fns, "initial")
	tests := []struct {
		name   string
		change func()
		stale  []bool // hello, world
	}{
		{"unchanged", func() {}, []bool{false, false}},
		{"unrelated file", func() { writeFile(t, filepath.Join(dir, "README.md"), "hi") }, []bool{false, false}},
		{"embedded file", func() { writeFile(t, filepath.Join(dir, "functions/hello/banner.txt"), "v2") }, []bool{true, false}},
		{"handler file", func() {
			writeFile(t, filepath.Join(dir, "functions/world/main.go"), strings.Replace(readFile(t, filepath.Join(dir, "functions/world/main.go")), `"world"`, `"World"`, 1))
		}, []bool{false, true}},
		{"new file in a package", func() { writeFile(t, filepath.Join(dir, "internal/shared/extra.go"), "package shared\n") }, []bool{true, true}},
		{"go.sum", func() { writeFile(t, filepath.Join(dir, "go.sum"), readFile(t, filepath.Join(dir, "go.sum"))+"\n") }, []bool{true, true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Start from fresh builds of both.
			b.Build(context.Background(), fns, "reset")
			tt.change()
			b2 := NewBuilder(dir, BuildOptions{}) // a new process
			for i, fn := range fns {
				_, _, ok := b2.Latest(fn)
				if ok == tt.stale[i] {
					t.Errorf("%s: up to date = %v, want %v", fn.Name, ok, !tt.stale[i])
				}
			}
		})
	}
	// Ensure reuses what is current and builds the rest.
	b.Build(context.Background(), fns, "reset")
	writeFile(t, filepath.Join(dir, "functions/hello/banner.txt"), "v3")
	res := NewBuilder(dir, BuildOptions{}).Ensure(context.Background(), fns, "initial")
	if res[0].Reused || !res[1].Reused || res[0].Err != nil {
		t.Errorf("Ensure: hello reused=%v err=%v, world reused=%v", res[0].Reused, res[0].Err, res[1].Reused)
	}
}

func readFile(t testing.TB, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func removeFile(p string) error { return os.Remove(p) }

// TestBuildTarget: by default a function is built for the machine slsx
// runs on, whatever its architecture, so it runs as a process there; with
// LambdaTarget it is built for Linux on its own architecture, as
// containers and Lambda run it.
func TestBuildTarget(t *testing.T) {
	dir := copyFixture(t, "multi")
	other := "arm64"
	if runtime.GOARCH == "arm64" {
		other = "x86_64"
	}
	fn := &config.Function{Name: "hello", Handler: "./functions/hello", Architecture: other}
	machine := func(r BuildResult) (string, elf.Machine) {
		t.Helper()
		if r.Err != nil {
			t.Fatalf("build: %v\n%s", r.Err, r.Output)
		}
		f, err := elf.Open(filepath.Join(r.Dir, "bootstrap"))
		if err != nil {
			return "not ELF", 0 // macOS and Windows binaries
		}
		defer f.Close()
		return "ELF", f.Machine
	}
	ctx := context.Background()
	hostRes := NewBuilder(dir, BuildOptions{}).Build(ctx, []*config.Function{fn}, "test")[0]
	format, m := machine(hostRes)
	wantHost := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[runtime.GOARCH]
	if runtime.GOOS == "linux" && (format != "ELF" || m != wantHost) {
		t.Errorf("default build of an %s function: %s %v, want the host's %v", other, format, m, wantHost)
	}
	if out, err := exec.Command(filepath.Join(hostRes.Dir, "bootstrap")).CombinedOutput(); err != nil && strings.Contains(err.Error(), "exec format error") {
		t.Errorf("the default build does not run here: %v %s", err, out)
	}

	lambdaRes := NewBuilder(dir, BuildOptions{Target: LambdaTarget, OutDir: t.TempDir()}).Build(ctx, []*config.Function{fn}, "test")[0]
	wantLambda := map[string]elf.Machine{"arm64": elf.EM_AARCH64, "x86_64": elf.EM_X86_64}[other]
	if format, m := machine(lambdaRes); format != "ELF" || m != wantLambda {
		t.Errorf("LambdaTarget build of an %s function: %s %v, want Linux %v", other, format, m, wantLambda)
	}
}
