package watch

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"
)

// DefaultPollInterval is how often the polling watcher scans the tree: fast
// enough that a save feels immediate, slow enough that scanning a few
// thousand files costs well under 1% of a core.
const DefaultPollInterval = 300 * time.Millisecond

// ErrWatchLimit is returned (wrapped) when the operating system refuses
// more file watches.
var ErrWatchLimit = errors.New("the system's inotify watch limit is reached; raise it with " +
	"`sudo sysctl fs.inotify.max_user_watches=524288` (add it to /etc/sysctl.conf to keep it), " +
	"or pass --poll to scan for changes instead")

// errInstanceLimit is returned (wrapped) when no new inotify instance can be
// created.
var errInstanceLimit = errors.New("the system's inotify instance limit is reached; raise it with " +
	"`sudo sysctl fs.inotify.max_user_instances=1024`, or pass --poll to scan for changes instead")

// WatchOptions configure a Watcher.
type WatchOptions struct {
	Poll         bool          // scan mtimes and sizes instead of using inotify/kqueue
	PollInterval time.Duration // DefaultPollInterval when zero
	Ignore       []string      // extra patterns in .gitignore syntax, relative to the root
	Log          *slog.Logger
}

// Watcher reports changed files under a root directory, recursively. Paths
// are absolute. Ignored paths (see Ignorer) never appear; chmod-only changes
// are dropped.
type Watcher struct {
	root   string
	opts   WatchOptions
	ig     *Ignorer
	events chan string
	errs   chan error

	fsw     *fsnotify.Watcher
	watched map[string]bool // directories with a watch (fsnotify mode)
	done    chan struct{}
	once    sync.Once
}

// NewWatcher starts watching root until ctx is done; then both channels are
// closed. Failing to watch the initial tree (for example the watch limit,
// see ErrWatchLimit) is returned here.
func NewWatcher(ctx context.Context, root string, opts WatchOptions) (*Watcher, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("watch %s: %w", root, err)
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = DefaultPollInterval
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	w := &Watcher{
		root: abs, opts: opts, ig: NewIgnorer(abs, opts.Ignore),
		events: make(chan string, 1024), errs: make(chan error, 16),
		watched: map[string]bool{}, done: make(chan struct{}),
	}
	if opts.Poll {
		snap := w.scan()
		go w.poll(ctx, snap)
		return w, nil
	}
	w.fsw, err = fsnotify.NewBufferedWatcher(4096)
	if err != nil {
		return nil, fmt.Errorf("watch %s: %w", abs, limitError(err))
	}
	if err := w.addTree(abs, nil); err != nil {
		w.fsw.Close()
		return nil, err
	}
	go w.loop(ctx)
	return w, nil
}

// Root returns the absolute directory watched.
func (w *Watcher) Root() string { return w.root }

// Events returns the channel of changed paths.
func (w *Watcher) Events() <-chan string { return w.events }

// Errors returns the channel of errors that did not stop watching (a new
// directory over the watch limit, an overflowed event queue).
func (w *Watcher) Errors() <-chan error { return w.errs }

// Done is closed once the watcher stopped and its channels are closed.
func (w *Watcher) Done() <-chan struct{} { return w.done }

// limitError turns the kernel's "no space" and "too many files" answers
// into errors that say what to do.
func limitError(err error) error {
	switch {
	case errors.Is(err, syscall.ENOSPC):
		return fmt.Errorf("%w (%v)", ErrWatchLimit, err)
	case errors.Is(err, syscall.EMFILE):
		return fmt.Errorf("%w (%v)", errInstanceLimit, err)
	}
	return err
}

// addTree watches dir and every directory below it that is not ignored.
// When emit is non-nil, the files found are reported to it: they may have
// been written before the watch existed (mkdir -p a/b && touch a/b/c.go).
func (w *Watcher) addTree(dir string, emit func(string)) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == dir && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("watch %s: %w", p, err)
			}
			return nil // vanished while walking: its removal is an event of its own
		}
		if d.IsDir() {
			if p != w.root && w.ig.Ignored(p, true) {
				return filepath.SkipDir
			}
			if w.watched[p] {
				return nil
			}
			w.ig.Load(p)
			if err := w.fsw.Add(p); err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return filepath.SkipDir
				}
				return fmt.Errorf("watch %s: %w", p, limitError(err))
			}
			w.watched[p] = true
			if emit != nil && p != dir {
				emit(p) // whether it was seen by walk or by its own event must not matter
			}
			return nil
		}
		if emit != nil && !w.ig.Ignored(p, false) {
			emit(p)
		}
		return nil
	})
}

func (w *Watcher) stop() {
	w.once.Do(func() {
		close(w.events)
		close(w.errs)
		close(w.done)
	})
}

// send delivers a path unless ctx is done.
func (w *Watcher) send(ctx context.Context, p string) {
	select {
	case w.events <- p:
	case <-ctx.Done():
	}
}

func (w *Watcher) sendErr(err error) {
	select {
	case w.errs <- err:
	default: // a reader that ignores errors must not stall watching
	}
}

func (w *Watcher) loop(ctx context.Context) {
	defer w.stop()
	defer w.fsw.Close()
	for {
		select {
		case <-ctx.Done():
			return
		case err, ok := <-w.fsw.Errors:
			if !ok {
				return
			}
			if errors.Is(err, fsnotify.ErrEventOverflow) {
				err = fmt.Errorf("watch %s: too many changes at once, some were missed; save again to rebuild: %w", w.root, err)
			}
			w.sendErr(err)
		case ev, ok := <-w.fsw.Events:
			if !ok {
				return
			}
			w.handle(ctx, ev)
		}
	}
}

func (w *Watcher) handle(ctx context.Context, ev fsnotify.Event) {
	p := ev.Name
	if ev.Op == fsnotify.Chmod {
		return
	}
	if ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename) {
		// A watched directory that moved away keeps its inotify watch under
		// the old name; drop it and everything below. Its new name (if
		// inside the tree) arrives as a Create.
		if w.watched[p] {
			prefix := p + string(filepath.Separator)
			for d := range w.watched {
				if d == p || strings.HasPrefix(d, prefix) {
					_ = w.fsw.Remove(d)
					delete(w.watched, d)
				}
			}
			w.send(ctx, p)
			return
		}
	}
	if ev.Has(fsnotify.Create) {
		if fi, err := os.Lstat(p); err == nil && fi.IsDir() {
			if w.ig.Ignored(p, true) {
				return
			}
			err := w.addTree(p, func(f string) { w.send(ctx, f) })
			if err != nil {
				w.sendErr(err)
			}
			w.send(ctx, p)
			return
		}
	}
	if w.ig.Ignored(p, false) {
		return
	}
	if filepath.Base(p) == ".gitignore" {
		w.ig.Load(filepath.Dir(p))
	}
	w.send(ctx, p)
}

// fileState is what polling compares.
type fileState struct {
	size  int64
	mtime time.Time
	dir   bool
}

// scan walks the tree (skipping ignored paths) and records every entry.
func (w *Watcher) scan() map[string]fileState {
	snap := map[string]fileState{}
	_ = filepath.WalkDir(w.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if p != w.root && w.ig.Ignored(p, d.IsDir()) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			snap[p] = fileState{dir: true}
			return nil
		}
		if d.Name() == ".gitignore" {
			w.ig.Load(filepath.Dir(p))
		}
		fi, err := d.Info()
		if err != nil {
			return nil
		}
		snap[p] = fileState{size: fi.Size(), mtime: fi.ModTime()}
		return nil
	})
	return snap
}

// diff returns the paths added, changed or removed between two scans,
// sorted for stable output.
func diff(old, cur map[string]fileState) []string {
	var out []string
	for p, s := range cur {
		if o, ok := old[p]; !ok || (!s.dir && (o.size != s.size || !o.mtime.Equal(s.mtime))) {
			out = append(out, p)
		}
	}
	for p := range old {
		if _, ok := cur[p]; !ok {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

func (w *Watcher) poll(ctx context.Context, snap map[string]fileState) {
	defer w.stop()
	t := time.NewTicker(w.opts.PollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			cur := w.scan()
			for _, p := range diff(snap, cur) {
				w.send(ctx, p)
			}
			snap = cur
		}
	}
}
