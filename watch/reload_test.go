package watch

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slsx/slsx/emulator/config"
	"github.com/slsx/slsx/emulator/telemetry"
)

func TestDebouncer(t *testing.T) {
	t0 := time.Unix(1000, 0)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	tests := []struct {
		name   string
		adds   []int // ms of each change
		checks map[int]bool
	}{
		{"single change waits the quiet period", []int{0}, map[int]bool{99: false, 100: true}},
		{"burst extends the wait", []int{0, 50, 90}, map[int]bool{150: false, 189: false, 190: true}},
		{"cap after the first change", []int{0, 90, 180, 270, 360, 450, 540, 630, 720, 810, 900, 990}, map[int]bool{999: false, 1000: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for at, want := range tt.checks {
				d := Debouncer{Quiet: QuietPeriod, Max: MaxWait}
				for i, a := range tt.adds {
					d.Add("f"+string(rune('a'+i%2)), ms(a))
				}
				paths, ok := d.Take(ms(at))
				if ok != want {
					t.Errorf("Take at %dms = %v, want %v", at, ok, want)
				}
				if ok && len(paths) != min(2, len(tt.adds)) {
					t.Errorf("paths = %v (duplicates must be merged)", paths)
				}
				if ok && d.Pending() {
					t.Error("still pending after Take")
				}
			}
		})
	}
}

// fakeClock fires timers only when the test advances it, and reports every
// timer armed so the test knows the reloader has caught up.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
	armed  chan time.Time
}

type fakeTimer struct {
	at time.Time
	c  chan time.Time
}

func (t *fakeTimer) C() <-chan time.Time { return t.c }
func (t *fakeTimer) Stop() bool          { return true }

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *fakeClock) NewTimer(d time.Duration) Timer {
	c.mu.Lock()
	t := &fakeTimer{at: c.now.Add(d), c: make(chan time.Time, 1)}
	if d <= 0 {
		t.c <- c.now
	} else {
		c.timers = append(c.timers, t)
	}
	c.mu.Unlock()
	c.armed <- t.at
	return t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	var keep []*fakeTimer
	for _, t := range c.timers {
		if !t.at.After(c.now) {
			t.c <- c.now
		} else {
			keep = append(keep, t)
		}
	}
	c.timers = keep
}

// waitArmed waits until the reloader arms a timer for at.
func (c *fakeClock) waitArmed(t *testing.T, at time.Time) {
	t.Helper()
	timeout := time.After(30 * time.Second) // a hang guard, not a timing assertion
	for {
		select {
		case got := <-c.armed:
			if got.Equal(at) {
				return
			}
		case <-timeout:
			t.Fatalf("no timer armed for %v", at)
		}
	}
}

type built struct {
	fn  string
	gen int
}

func TestReloader(t *testing.T) {
	dir := copyFixture(t, "multi")
	bus := telemetry.New()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sub := bus.Subscribe(ctx)
	b := NewBuilder(dir, BuildOptions{Bus: bus})
	fns := multiFns()
	clock := &fakeClock{now: time.Unix(1000, 0), armed: make(chan time.Time, 1000)}
	events := make(chan string)
	builtC := make(chan built, 10)
	projectC := make(chan struct{}, 10)
	r := NewReloader(ReloadOptions{
		Builder: b, Functions: fns, Events: events, Clock: clock, Bus: bus,
		OnBuilt:   func(fn *config.Function, dir string, gen int) { builtC <- built{fn.Name, gen} },
		OnProject: func() { projectC <- struct{}{} },
	})
	runErr := make(chan error, 1)
	go func() { runErr <- r.Run(ctx) }()
	t0 := clock.Now()
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }

	// A burst of three saves of the shared package: one build per function.
	shared := filepath.Join(dir, "internal/shared/shared.go")
	for i := 0; i < 3; i++ {
		writeFile(t, shared, readFile(t, shared)+"\n// edit\n")
		events <- shared
		clock.waitArmed(t, ms(i+10)) // the speculative start
		clock.Advance(time.Millisecond)
	}
	clock.Advance(9 * time.Millisecond) // now t0+12ms: the build starts
	clock.waitArmed(t, ms(102))         // the batch closes 100ms after the last save
	clock.Advance(90 * time.Millisecond)
	got := map[string]int{}
	for len(got) < 2 {
		bb := <-builtC
		got[bb.fn] = bb.gen
	}
	if got["hello"] != 1 || got["world"] != 1 {
		t.Errorf("built %v, want hello and world at generation 1", got)
	}

	// A README edit builds nothing; a broken handler keeps the old
	// generation; fixing it deploys the next.
	readme := filepath.Join(dir, "README.md")
	writeFile(t, readme, "docs")
	events <- readme
	world := filepath.Join(dir, "functions/world/main.go")
	good := readFile(t, world)
	writeFile(t, world, strings.Replace(good, "return shared.Greeting", "return undefinedName", 1))
	events <- world
	now := clock.Now()
	clock.waitArmed(t, now.Add(SpeculateAfter))
	clock.Advance(SpeculateAfter)
	clock.waitArmed(t, now.Add(QuietPeriod))
	clock.Advance(QuietPeriod)
	var failed telemetry.BuildFinished
	for failed.Err == "" {
		if e, ok := (<-sub).(telemetry.BuildFinished); ok && e.Function == "world" && e.Err != "" {
			failed = e
		}
	}
	if !strings.Contains(failed.Output, "undefined: undefinedName") {
		t.Errorf("compiler output = %q", failed.Output)
	}
	writeFile(t, world, good)
	events <- world
	now = clock.Now()
	clock.waitArmed(t, now.Add(SpeculateAfter))
	clock.Advance(SpeculateAfter)
	clock.waitArmed(t, now.Add(QuietPeriod))
	clock.Advance(QuietPeriod)
	bb := <-builtC
	if bb.fn != "world" || bb.gen <= 1 {
		t.Errorf("after the fix built %+v, want world at a new generation", bb)
	}
	select {
	case extra := <-builtC:
		t.Errorf("unexpected build of %+v (the failed build must not deploy; hello was not touched)", extra)
	default:
	}
	if _, gen, ok := b.Latest(fns[1]); !ok || gen != bb.gen {
		t.Errorf("Latest(world) = %d %v, want the deployed generation %d", gen, ok, bb.gen)
	}

	// The project file is reported once the burst is over.
	events <- filepath.Join(dir, "slsx.yaml")
	now = clock.Now()
	clock.waitArmed(t, now.Add(QuietPeriod))
	clock.Advance(QuietPeriod)
	<-projectC

	// SetFunctions builds a new function at once.
	r.SetFunctions(append(fns, &config.Function{Name: "extra", Handler: "./functions/hello"}))
	if bb := <-builtC; bb.fn != "extra" || bb.gen != 1 {
		t.Errorf("SetFunctions built %+v", bb)
	}

	cancel()
	if err := <-runErr; err != context.Canceled {
		t.Errorf("Run returned %v", err)
	}
}
