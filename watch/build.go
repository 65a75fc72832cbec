// Package watch turns saved files into running code: it builds each
// function's handler into a versioned generation directory, watches the
// project for changes, works out which functions a change affects, and
// rebuilds and hands over only those.
package watch

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/slsx/slsx/emulator/config"
	"github.com/slsx/slsx/emulator/telemetry"
)

// DefaultKeep is how many successful generations of a function stay on disk.
// Three covers the serving one, the one being swapped in, and the previous
// one whose environments may still be finishing an invocation.
const DefaultKeep = 3

// manifestName is the file beside bootstrap that records what it was built
// from, so Latest can tell whether it is still current without building.
const manifestName = "slsx-build.json"

// linkFlags drop the symbol table and DWARF: the link is the larger part of
// an incremental build and this makes it about 35% faster (see bench/reload).
// Panics still print full stack traces (they use pclntab, which stays).
const linkFlags = "-ldflags=-s -w"

// BuildOptions configure a Builder. The zero value is usable.
type BuildOptions struct {
	GoCmd    string   // the go command; "go" by default
	OutDir   string   // where generations go; <project>/.slsx/build by default
	Keep     int      // successful generations kept per function; DefaultKeep by default
	Parallel int      // concurrent builds; runtime.NumCPU() by default
	Debug    bool     // keep symbols and DWARF (for dlv); slower links
	Flags    []string // extra `go build` flags, placed after slsx's own
	Env      []string // extra environment for the go command, KEY=VALUE
	// Target is the platform a function's binary is built for, "GOOS/GOARCH":
	// HostTarget (the default) for functions run as processes of slsx,
	// LambdaTarget for functions run in Linux containers.
	Target func(fn *config.Function) string
	Bus    *telemetry.Bus
	Log    *slog.Logger
}

// BuildResult is the outcome of building one function.
type BuildResult struct {
	Function   string
	Generation int
	Dir        string // the generation directory holding bootstrap
	Duration   time.Duration
	Err        error
	Output     string // the go command's output, verbatim (compiler errors on failure)
	Reused     bool   // an up-to-date earlier generation was returned instead (Ensure)
}

// Builder builds functions with `go build` into
// <OutDir>/<function>/<generation>/bootstrap.
type Builder struct {
	dir  string
	opts BuildOptions
	sem  chan struct{}

	mu      sync.Mutex
	next    map[string]int    // next generation per function
	pinned  map[string]int    // generation serving per function, never cleaned up
	graphs  map[string]*Graph // per target (GOOS/GOARCH)
	stale   map[string]bool   // target -> graph must be listed again
	version string            // go env GOVERSION, once
}

// NewBuilder returns a Builder for the project in projectDir.
func NewBuilder(projectDir string, opts BuildOptions) *Builder {
	if abs, err := filepath.Abs(projectDir); err == nil {
		projectDir = abs
	}
	if opts.GoCmd == "" {
		opts.GoCmd = "go"
	}
	if opts.OutDir == "" {
		opts.OutDir = filepath.Join(projectDir, ".slsx", "build")
	}
	if opts.Keep <= 0 {
		opts.Keep = DefaultKeep
	}
	if opts.Parallel <= 0 {
		opts.Parallel = runtime.NumCPU()
	}
	if opts.Target == nil {
		opts.Target = HostTarget
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	return &Builder{
		dir: projectDir, opts: opts, sem: make(chan struct{}, opts.Parallel),
		next: map[string]int{}, pinned: map[string]int{}, graphs: map[string]*Graph{}, stale: map[string]bool{},
	}
}

// Dir returns the absolute project directory.
func (b *Builder) Dir() string { return b.dir }

// Build builds fns in parallel (at most Parallel at once) and returns one
// result per function, in order. reason is published with BuildStarted
// ("initial", or the changed file). A failed build leaves no generation
// directory behind; its compiler output is in Output.
func (b *Builder) Build(ctx context.Context, fns []*config.Function, reason string) []BuildResult {
	b.prepareGraphs(ctx, fns)
	results := make([]BuildResult, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case b.sem <- struct{}{}:
			case <-ctx.Done():
				results[i] = BuildResult{Function: fn.Name, Err: fmt.Errorf("build %s: %w", fn.Name, ctx.Err())}
				return
			}
			defer func() { <-b.sem }()
			results[i] = b.buildOne(ctx, fn, reason)
		}()
	}
	wg.Wait()
	return results
}

// Ensure returns the latest generation of each function when it is up to
// date and builds the others; the fast path for `slsx dev` start-up and
// `slsx invoke`.
func (b *Builder) Ensure(ctx context.Context, fns []*config.Function, reason string) []BuildResult {
	results := make([]BuildResult, len(fns))
	var todo []*config.Function
	var idx []int
	for i, fn := range fns {
		if dir, gen, ok := b.Latest(fn); ok {
			results[i] = BuildResult{Function: fn.Name, Generation: gen, Dir: dir, Reused: true}
			b.mu.Lock()
			if b.next[fn.Name] <= gen {
				b.next[fn.Name] = gen + 1
			}
			b.mu.Unlock()
			continue
		}
		todo = append(todo, fn)
		idx = append(idx, i)
	}
	for j, r := range b.Build(ctx, todo, reason) {
		results[idx[j]] = r
	}
	return results
}

// Pin marks the generation that serves fn, so cleanup never removes it even
// when newer builds were made but not deployed.
func (b *Builder) Pin(fn string, generation int) {
	b.mu.Lock()
	b.pinned[fn] = generation
	b.mu.Unlock()
}

// manifest records what a generation was built from.
type manifest struct {
	Key   string            `json:"key"`   // toolchain, target and flags
	Files map[string]string `json:"files"` // absolute path -> sha256 ("" = absent)
	Dirs  map[string]string `json:"dirs"`  // package dir -> hash of its listing
}

func (b *Builder) buildOne(ctx context.Context, fn *config.Function, reason string) BuildResult {
	start := time.Now()
	res := BuildResult{Function: fn.Name}
	arg, err := handlerArg(b.dir, fn.Handler)
	if err != nil {
		res.Err = fmt.Errorf("build %s: %w", fn.Name, err)
		b.opts.Bus.Publish(telemetry.BuildFinished{At: telemetry.Now(), Function: fn.Name, Err: res.Err.Error()})
		return res
	}
	gen, dir, err := b.allocate(fn.Name)
	if err != nil {
		res.Err = fmt.Errorf("build %s: %w", fn.Name, err)
		b.opts.Bus.Publish(telemetry.BuildFinished{At: telemetry.Now(), Function: fn.Name, Err: res.Err.Error()})
		return res
	}
	res.Generation, res.Dir = gen, dir
	b.opts.Bus.Publish(telemetry.BuildStarted{At: telemetry.Now(), Function: fn.Name, Generation: gen, Reason: reason})
	b.opts.Log.Debug("build started", "function", fn.Name, "generation", gen, "reason", reason)

	// Hash the inputs before compiling: if a file changes during the build
	// the manifest then describes older content and Latest rebuilds, rather
	// than the reverse.
	target := b.opts.Target(fn)
	var man *manifest
	if g := b.graph(target); g != nil {
		if _, ok := g.Roots[arg]; ok && !g.Broken(arg) {
			man = b.snapshot(g, arg, fn)
		}
	}

	args := []string{"build", "-tags", "lambda.norpc"}
	if !b.opts.Debug {
		args = append(args, linkFlags)
	}
	args = append(args, b.opts.Flags...)
	args = append(args, "-o", filepath.Join(dir, "bootstrap"), arg)
	cmd := exec.CommandContext(ctx, b.opts.GoCmd, args...)
	cmd.Dir = b.dir
	cmd.Env = buildEnv(b.opts.Env, target)
	killGroup(cmd)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	res.Duration = time.Since(start)
	res.Output = out.String()
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	if err != nil {
		os.RemoveAll(dir)
		if ctx.Err() != nil {
			res.Err = fmt.Errorf("build %s: %w", fn.Name, ctx.Err())
		} else {
			res.Err = fmt.Errorf("build %s: %w", fn.Name, err)
		}
		b.opts.Bus.Publish(telemetry.BuildFinished{At: telemetry.Now(), Function: fn.Name, Generation: gen,
			Duration: res.Duration, Err: res.Err.Error(), Output: res.Output})
		b.opts.Log.Debug("build failed", "function", fn.Name, "generation", gen, "err", res.Err)
		return res
	}
	if man != nil {
		if data, err := json.Marshal(man); err == nil {
			if err := os.WriteFile(filepath.Join(dir, manifestName), data, 0o644); err != nil {
				b.opts.Log.Warn("write build manifest", "function", fn.Name, "err", err)
			}
		}
	}
	b.opts.Bus.Publish(telemetry.BuildFinished{At: telemetry.Now(), Function: fn.Name, Generation: gen,
		Duration: res.Duration, Output: res.Output})
	b.opts.Log.Debug("build finished", "function", fn.Name, "generation", gen, "duration", res.Duration)
	b.cleanup(fn.Name)
	return res
}

// allocate creates the next generation directory of fn. Numbers continue
// from what is on disk, so a restarted slsx never reuses a directory an
// older process may still run from; Mkdir (not MkdirAll) makes the claim
// atomic against a concurrent slsx.
func (b *Builder) allocate(fn string) (int, string, error) {
	base := filepath.Join(b.opts.OutDir, fn)
	if err := os.MkdirAll(base, 0o755); err != nil {
		return 0, "", fmt.Errorf("create build directory: %w", err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	n := b.next[fn]
	if gens := generations(base); len(gens) > 0 && gens[len(gens)-1] >= n {
		n = gens[len(gens)-1] + 1
	}
	if n < 1 {
		n = 1
	}
	for {
		dir := filepath.Join(base, strconv.Itoa(n))
		err := os.Mkdir(dir, 0o755)
		if err == nil {
			b.next[fn] = n + 1
			return n, dir, nil
		}
		if !errors.Is(err, os.ErrExist) {
			return 0, "", fmt.Errorf("create generation directory: %w", err)
		}
		n++
	}
}

// generations lists the numeric subdirectories of base, ascending.
func generations(base string) []int {
	entries, _ := os.ReadDir(base)
	var gens []int
	for _, e := range entries {
		if n, err := strconv.Atoi(e.Name()); err == nil && e.IsDir() && n > 0 {
			gens = append(gens, n)
		}
	}
	sort.Ints(gens)
	return gens
}

// cleanup removes successful generations beyond the newest Keep, except the
// pinned (serving) one. Directories of builds still running are never
// complete generations, so only those with a bootstrap are counted.
func (b *Builder) cleanup(fn string) {
	base := filepath.Join(b.opts.OutDir, fn)
	b.mu.Lock()
	pinned := b.pinned[fn]
	b.mu.Unlock()
	var done []int
	for _, g := range generations(base) {
		if _, err := os.Stat(filepath.Join(base, strconv.Itoa(g), "bootstrap")); err == nil {
			done = append(done, g)
		}
	}
	for i := 0; i < len(done)-b.opts.Keep; i++ {
		if done[i] == pinned {
			continue
		}
		os.RemoveAll(filepath.Join(base, strconv.Itoa(done[i])))
	}
}

// Latest returns the newest generation of fn when it was built from the
// sources as they are now (same files, same package listings, same Go
// version, target and flags). It reads and hashes local files only; it
// never runs the compiler.
func (b *Builder) Latest(fn *config.Function) (dir string, generation int, ok bool) {
	arg, err := handlerArg(b.dir, fn.Handler)
	if err != nil {
		return "", 0, false
	}
	base := filepath.Join(b.opts.OutDir, fn.Name)
	gens := generations(base)
	if len(gens) == 0 {
		return "", 0, false
	}
	key := b.key(arg, fn)
	for i := len(gens) - 1; i >= 0; i-- {
		dir := filepath.Join(base, strconv.Itoa(gens[i]))
		data, err := os.ReadFile(filepath.Join(dir, manifestName))
		if err != nil {
			continue // a build in progress or without a manifest
		}
		var m manifest
		if json.Unmarshal(data, &m) != nil || m.Key != key {
			return "", 0, false
		}
		if _, err := os.Stat(filepath.Join(dir, "bootstrap")); err != nil {
			return "", 0, false
		}
		for f, sum := range m.Files {
			if hashFile(f) != sum {
				return "", 0, false
			}
		}
		for d, sum := range m.Dirs {
			if hashListing(d) != sum {
				return "", 0, false
			}
		}
		return dir, gens[i], true
	}
	return "", 0, false
}

// key identifies the toolchain, target and flags a build depends on.
func (b *Builder) key(arg string, fn *config.Function) string {
	b.mu.Lock()
	if b.version == "" {
		cmd := exec.Command(b.opts.GoCmd, "env", "GOVERSION", "GOROOT")
		cmd.Dir = b.dir
		cmd.Env = buildEnv(b.opts.Env, b.opts.Target(fn))
		out, _ := cmd.Output()
		b.version = strings.Join(strings.Fields(string(out)), " ")
	}
	version := b.version
	b.mu.Unlock()
	h := sha256.New()
	fmt.Fprintln(h, version, arg, b.opts.Target(fn), b.opts.Debug, b.opts.Flags, b.opts.Env)
	for _, k := range []string{"GOFLAGS", "GOEXPERIMENT", "GOAMD64", "GOARM64", "GOWORK", "GOTOOLCHAIN"} {
		fmt.Fprintln(h, k, os.Getenv(k))
	}
	return hex.EncodeToString(h.Sum(nil))
}

func (b *Builder) snapshot(g *Graph, arg string, fn *config.Function) *manifest {
	files, dirs := g.Inputs(arg)
	m := &manifest{Key: b.key(arg, fn), Files: map[string]string{}, Dirs: map[string]string{}}
	for _, f := range files {
		m.Files[f] = hashFile(f)
	}
	for _, d := range dirs {
		m.Dirs[d] = hashListing(d)
	}
	return m
}

// hashFile returns the hex sha256 of a file's content, "" when absent.
func hashFile(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "?"
	}
	return hex.EncodeToString(h.Sum(nil))
}

// hashListing hashes the names in dir that can change what the go command
// sees there: everything but dot and underscore files (which Go ignores)
// and tests. A new Go file or embeddable file changes it.
func hashListing(dir string) string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return ""
	}
	h := sha256.New()
	for _, e := range entries {
		n := e.Name()
		if strings.HasPrefix(n, ".") || strings.HasPrefix(n, "_") || strings.HasSuffix(n, "_test.go") {
			continue
		}
		fmt.Fprintln(h, n, e.IsDir())
	}
	return hex.EncodeToString(h.Sum(nil))
}

// graph returns the package graph for target, or nil when it could not be
// listed.
func (b *Builder) graph(target string) *Graph {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.graphs[target]
}

// Target is the platform fn is built for, "GOOS/GOARCH".
func (b *Builder) Target(fn *config.Function) string { return b.opts.Target(fn) }

// Graph returns the package graphs of fns by target, listing one
// again when it is missing, marked stale, or lacks one of the handlers.
func (b *Builder) Graph(ctx context.Context, fns []*config.Function) map[string]*Graph {
	b.prepareGraphs(ctx, fns)
	b.mu.Lock()
	defer b.mu.Unlock()
	out := map[string]*Graph{}
	for k, g := range b.graphs {
		out[k] = g
	}
	return out
}

// Invalidate marks every graph stale, so the next Build or Graph lists the
// packages again.
func (b *Builder) Invalidate() {
	b.mu.Lock()
	for k := range b.graphs {
		b.stale[k] = true
	}
	b.mu.Unlock()
}

// prepareGraphs makes sure each target used by fns has a current graph
// covering every handler.
func (b *Builder) prepareGraphs(ctx context.Context, fns []*config.Function) {
	byTarget := map[string][]string{}
	for _, fn := range fns {
		arg, err := handlerArg(b.dir, fn.Handler)
		if err != nil {
			continue
		}
		t := b.opts.Target(fn)
		byTarget[t] = append(byTarget[t], arg)
	}
	for target, args := range byTarget {
		b.mu.Lock()
		g, stale := b.graphs[target], b.stale[target]
		b.mu.Unlock()
		need := g == nil || stale || g.Changed(args)
		if g != nil && !need {
			known := map[string]bool{}
			for _, h := range g.All {
				known[h] = true
			}
			for _, a := range args {
				if !known[a] {
					need = true
				}
			}
		}
		if !need {
			continue
		}
		// List every handler this graph covered before as well, so a
		// partial build does not drop the others from the mapping.
		set := map[string]bool{}
		for _, a := range args {
			set[a] = true
		}
		if g != nil {
			for _, h := range g.All {
				set[h] = true
			}
		}
		all := make([]string, 0, len(set))
		for h := range set {
			all = append(all, h)
		}
		sort.Strings(all)
		ng, err := LoadGraph(ctx, b.opts.GoCmd, b.dir, target, b.opts.Env, all)
		if err != nil {
			b.opts.Log.Warn("list packages", "err", err)
			continue
		}
		b.mu.Lock()
		b.graphs[target] = ng
		delete(b.stale, target)
		b.mu.Unlock()
	}
}

// buildEnv is the go command's environment: ours, less anything that would
// change the target, plus a static build for target (GOOS/GOARCH) and
// extra.
func buildEnv(extra []string, target string) []string {
	goos, arch, _ := strings.Cut(target, "/")
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "CGO_ENABLED", "GOOS", "GOARCH":
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+arch)
	return append(env, extra...)
}
