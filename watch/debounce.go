package watch

import (
	"time"
)

// Debounce timing. Editors write a file as a burst of events within a few
// milliseconds (truncate+write, or temp file+rename) and `git checkout`
// touches many files within tens of milliseconds; 100 ms of quiet joins
// those bursts and stays below what a person notices. The cap bounds the
// wait when changes never stop (a generator rewriting files in a loop).
const (
	QuietPeriod = 100 * time.Millisecond
	MaxWait     = time.Second
	// SpeculateAfter is the quiet time after which a build starts before
	// the batch is complete; a later change cancels and restarts it. 10 ms
	// is enough for an editor's save to finish writing, and lets the build
	// (about 0.3-1 s) overlap the rest of the quiet period.
	SpeculateAfter = 10 * time.Millisecond
)

// Clock is the time source of the debouncer, injectable so tests need no
// sleeps.
type Clock interface {
	Now() time.Time
	NewTimer(d time.Duration) Timer
}

// Timer is the part of *time.Timer a Clock hands out.
type Timer interface {
	C() <-chan time.Time
	Stop() bool
}

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// NewTimer returns a real timer.
func (SystemClock) NewTimer(d time.Duration) Timer { return sysTimer{time.NewTimer(d)} }

type sysTimer struct{ t *time.Timer }

func (s sysTimer) C() <-chan time.Time { return s.t.C }
func (s sysTimer) Stop() bool          { return s.t.Stop() }

// Debouncer is a trailing-edge debounce state machine: a batch is due
// Quiet after its last change, or Max after its first, whichever is
// earlier. It holds no goroutine or timer; its owner asks Due and sets a
// timer.
type Debouncer struct {
	Quiet, Max  time.Duration
	first, last time.Time
	paths       []string
	seen        map[string]bool
}

// Add records a change at now.
func (d *Debouncer) Add(path string, now time.Time) {
	if d.first.IsZero() {
		d.first = now
	}
	d.last = now
	if d.seen == nil {
		d.seen = map[string]bool{}
	}
	if !d.seen[path] {
		d.seen[path] = true
		d.paths = append(d.paths, path)
	}
}

// Pending reports whether changes are waiting.
func (d *Debouncer) Pending() bool { return !d.first.IsZero() }

// Last returns the time of the latest change.
func (d *Debouncer) Last() time.Time { return d.last }

// Due returns when the pending batch should be released; ok is false when
// nothing is pending.
func (d *Debouncer) Due() (at time.Time, ok bool) {
	if d.first.IsZero() {
		return time.Time{}, false
	}
	at = d.last.Add(d.Quiet)
	if capAt := d.first.Add(d.Max); d.Max > 0 && capAt.Before(at) {
		at = capAt
	}
	return at, true
}

// Take returns the batch when it is due at now and starts a new one.
func (d *Debouncer) Take(now time.Time) ([]string, bool) {
	at, ok := d.Due()
	if !ok || now.Before(at) {
		return nil, false
	}
	paths := d.paths
	*d = Debouncer{Quiet: d.Quiet, Max: d.Max}
	return paths, true
}
