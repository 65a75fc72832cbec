package watch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/slsx/slsx/emulator/config"
	"github.com/slsx/slsx/emulator/telemetry"
)

// DefaultProjectFiles are the project files, relative to the project
// directory, whose change is reported through OnProject.
var DefaultProjectFiles = []string{"slsx.yaml", "slsx.yml", "template.yaml", "template.yml"}

// ReloadOptions configure a Reloader.
type ReloadOptions struct {
	Builder   *Builder // required; its directory is the one watched
	Functions []*config.Function
	Watch     WatchOptions
	// Events replaces the file watcher with a channel of changed absolute
	// paths (tests, or a caller that watches by other means).
	Events       <-chan string
	Clock        Clock         // SystemClock by default
	Quiet        time.Duration // QuietPeriod by default
	MaxWait      time.Duration // MaxWait by default
	NoSpeculate  bool          // wait for the quiet period before building
	ProjectFiles []string      // DefaultProjectFiles by default; relative to the project

	// OnBuilt is called, on the Reloader's goroutine, for each function
	// whose new generation built: deploy it. Not called for failed builds,
	// so the old generation keeps serving.
	OnBuilt func(fn *config.Function, dir string, generation int)
	// OnProject is called when a project file changed: reload it and call
	// SetFunctions.
	OnProject func()
	Bus       *telemetry.Bus
	Log       *slog.Logger
}

// Reloader watches a project and rebuilds and hands over the functions a
// change affects. Builds start speculatively SpeculateAfter the last change
// and restart when another change arrives; results are handed over only
// once the change burst is over (Quiet), so a half-saved file never
// deploys.
type Reloader struct {
	opts    ReloadOptions
	b       *Builder
	clock   Clock
	project map[string]bool

	mu     sync.Mutex
	fns    map[string]*config.Function
	newFns []*config.Function
	signal chan struct{}

	// loop state, owned by Run's goroutine
	deb     Debouncer
	seq     int
	pending map[string]int // function -> seq of the latest change affecting it
	isProj  bool
	job     *job
	done    chan *job
}

// job is one Build call covering a snapshot of the pending functions.
type job struct {
	seq       int // changes up to this seq are included
	fns       []*config.Function
	cancel    context.CancelFunc
	committed bool // the batch closed: deliver when done, never cancel
	finished  bool
	results   []BuildResult
}

// NewReloader returns a Reloader; Run starts it.
func NewReloader(opts ReloadOptions) *Reloader {
	if opts.Clock == nil {
		opts.Clock = SystemClock{}
	}
	if opts.Quiet <= 0 {
		opts.Quiet = QuietPeriod
	}
	if opts.MaxWait <= 0 {
		opts.MaxWait = MaxWait
	}
	if opts.ProjectFiles == nil {
		opts.ProjectFiles = DefaultProjectFiles
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	r := &Reloader{
		opts: opts, b: opts.Builder, clock: opts.Clock, project: map[string]bool{},
		fns: map[string]*config.Function{}, signal: make(chan struct{}, 1),
		deb:     Debouncer{Quiet: opts.Quiet, Max: opts.MaxWait},
		pending: map[string]int{}, done: make(chan *job, 1),
	}
	for _, f := range opts.ProjectFiles {
		r.project[filepath.Join(r.b.Dir(), f)] = true
	}
	for _, fn := range opts.Functions {
		r.fns[fn.Name] = fn
	}
	return r
}

// SetFunctions replaces the function list (after the project file changed).
// New functions and functions whose handler or architecture changed are
// built and handed over through OnBuilt. Safe to call from OnProject.
func (r *Reloader) SetFunctions(fns []*config.Function) {
	r.mu.Lock()
	r.newFns = fns
	r.mu.Unlock()
	select {
	case r.signal <- struct{}{}:
	default:
	}
}

func (r *Reloader) functions() []*config.Function {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]*config.Function, 0, len(r.fns))
	for _, fn := range r.fns {
		out = append(out, fn)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Run watches and rebuilds until ctx is done; it returns ctx's error, or the
// watcher's start-up error (see ErrWatchLimit).
func (r *Reloader) Run(ctx context.Context) error {
	events := r.opts.Events
	if events == nil {
		w, err := NewWatcher(ctx, r.b.Dir(), r.opts.Watch)
		if err != nil {
			return err
		}
		events = w.Events()
		go func() {
			for err := range w.Errors() {
				r.opts.Log.Warn("watch", "err", err)
				r.opts.Bus.Publish(telemetry.Log{At: telemetry.Now(), Level: "WARN", Message: err.Error()})
			}
		}()
	}
	// List packages now, so the first change maps to functions at once.
	r.b.Graph(ctx, r.functions())

	var timer Timer
	var timerC <-chan time.Time
	defer func() {
		if timer != nil {
			timer.Stop()
		}
		if r.job != nil && r.job.cancel != nil {
			r.job.cancel()
		}
	}()
	for {
		// Arm the timer for the next deadline.
		if timer != nil {
			timer.Stop()
			timer, timerC = nil, nil
		}
		if at, ok := r.nextDeadline(); ok {
			d := at.Sub(r.clock.Now())
			if d < 0 {
				d = 0
			}
			timer = r.clock.NewTimer(d)
			timerC = timer.C()
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case p, ok := <-events:
			if !ok {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				return errors.New("watch: event source closed")
			}
			r.change(ctx, p)
		case <-timerC:
			r.tick(ctx)
		case j := <-r.done:
			r.finished(j)
			r.tick(ctx)
		case <-r.signal:
			r.updateFunctions(ctx)
			r.tick(ctx)
		}
	}
}

// nextDeadline is the earliest of: the batch closing, and (when no build
// runs) the speculative start.
func (r *Reloader) nextDeadline() (time.Time, bool) {
	at, ok := r.deb.Due()
	if !r.opts.NoSpeculate && r.job == nil && len(r.pending) > 0 && r.deb.Pending() {
		spec := r.deb.Last().Add(SpeculateAfter)
		if !ok || spec.Before(at) {
			at, ok = spec, true
		}
	}
	if !ok && r.job == nil && len(r.pending) > 0 {
		return r.clock.Now(), true // left over after a committed build
	}
	return at, ok
}

// change handles one changed path.
func (r *Reloader) change(ctx context.Context, p string) {
	now := r.clock.Now()
	if r.project[p] {
		r.seq++
		r.isProj = true
		r.deb.Add(p, now)
		return
	}
	fns := r.functions()
	graphs := r.b.Graph(ctx, fns)
	affected := map[string]bool{}
	for target, g := range graphs {
		if g.Stale(p) {
			r.b.Invalidate()
		}
		handlers := map[string]bool{}
		for _, h := range g.Affected(p) {
			handlers[h] = true
		}
		for _, fn := range fns {
			if arg, err := handlerArg(r.b.Dir(), fn.Handler); err == nil && r.b.Target(fn) == target && handlers[arg] {
				affected[fn.Name] = true
			}
		}
	}
	if len(affected) == 0 {
		return // README.md, a test file, a package no function imports
	}
	r.seq++
	for name := range affected {
		r.pending[name] = r.seq
	}
	r.deb.Add(p, now)
	if r.job != nil && !r.job.committed {
		r.job.cancel() // it may have read the file before this change
		r.job = nil
	}
}

// tick closes a due batch and starts builds that are due.
func (r *Reloader) tick(ctx context.Context) {
	now := r.clock.Now()
	if paths, ok := r.deb.Take(now); ok {
		names := r.pendingNames()
		r.opts.Bus.Publish(telemetry.ChangeDetected{At: telemetry.Now(), Paths: paths, Functions: names})
		r.opts.Log.Debug("change", "paths", paths, "functions", names)
		if r.isProj {
			r.isProj = false
			if r.opts.OnProject != nil {
				r.opts.OnProject()
			}
		}
		switch {
		case r.job != nil && r.job.seq == r.seq:
			r.job.committed = true
			if r.job.finished {
				r.deliver(r.job)
			}
		case r.job == nil && len(r.pending) > 0:
			r.start(ctx, paths, true)
		}
		return
	}
	if r.job != nil || len(r.pending) == 0 {
		return
	}
	if !r.deb.Pending() {
		r.start(ctx, nil, true) // changes that arrived during a committed build
		return
	}
	if !r.opts.NoSpeculate && !now.Before(r.deb.Last().Add(SpeculateAfter)) {
		r.start(ctx, r.deb.paths, false)
	}
}

func (r *Reloader) pendingNames() []string {
	names := make([]string, 0, len(r.pending))
	for n := range r.pending {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// start builds every pending function.
func (r *Reloader) start(ctx context.Context, paths []string, committed bool) {
	var fns []*config.Function
	r.mu.Lock()
	for _, n := range r.pendingNames() {
		if fn := r.fns[n]; fn != nil {
			fns = append(fns, fn)
		} else {
			delete(r.pending, n)
		}
	}
	r.mu.Unlock()
	if len(fns) == 0 {
		return
	}
	reason := "change"
	if len(paths) > 0 {
		if rel, err := filepath.Rel(r.b.Dir(), paths[len(paths)-1]); err == nil {
			reason = rel
		}
	}
	jctx, cancel := context.WithCancel(ctx)
	j := &job{seq: r.seq, fns: fns, cancel: cancel, committed: committed}
	r.job = j
	go func() {
		j.results = r.b.Build(jctx, fns, reason)
		cancel()
		select {
		case r.done <- j:
		case <-ctx.Done():
		}
	}()
}

// finished records a build's end; a cancelled (replaced) build is dropped.
func (r *Reloader) finished(j *job) {
	if j != r.job {
		return
	}
	j.finished = true
	if j.committed {
		r.deliver(j)
	}
}

// deliver hands successful generations over and clears what they cover.
func (r *Reloader) deliver(j *job) {
	for i, res := range j.results {
		fn := j.fns[i]
		if seq, ok := r.pending[fn.Name]; ok && seq <= j.seq {
			delete(r.pending, fn.Name)
		}
		if res.Err != nil {
			r.opts.Log.Info("build failed; previous generation keeps serving", "function", fn.Name, "err", res.Err)
			continue
		}
		r.b.Pin(fn.Name, res.Generation)
		if r.opts.OnBuilt != nil {
			r.opts.OnBuilt(fn, res.Dir, res.Generation)
		}
	}
	r.job = nil
}

// updateFunctions applies SetFunctions: functions that are new or whose
// build inputs changed are built at once.
func (r *Reloader) updateFunctions(ctx context.Context) {
	r.mu.Lock()
	fns := r.newFns
	r.newFns = nil
	if fns == nil {
		r.mu.Unlock()
		return
	}
	old := r.fns
	r.fns = map[string]*config.Function{}
	var changed []string
	for _, fn := range fns {
		r.fns[fn.Name] = fn
		if o := old[fn.Name]; o == nil || o.Handler != fn.Handler || r.b.Target(o) != r.b.Target(fn) {
			changed = append(changed, fn.Name)
		}
	}
	r.mu.Unlock()
	if len(changed) == 0 {
		return
	}
	r.b.Invalidate()
	r.seq++
	for _, n := range changed {
		r.pending[n] = r.seq
	}
	if r.job != nil && !r.job.committed {
		r.job.cancel()
		r.job = nil
	}
	if r.job == nil {
		r.start(ctx, []string{fmt.Sprintf("%s/project", r.b.Dir())}, true)
	}
}
