package benchkit

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

func TestStartChild(t *testing.T) {
	// The child prints its address, then serves until stdin closes.
	line, stop, err := StartChild("/bin/sh", "-c", "echo ' http://127.0.0.1:1 arn '; cat >/dev/null")
	if err != nil {
		t.Fatal(err)
	}
	if line != "http://127.0.0.1:1 arn" {
		t.Errorf("line %q", line)
	}
	done := make(chan struct{})
	go func() { stop(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("stop did not end the child")
	}

	if _, _, err := StartChild("/bin/sh", "-c", "exit 3"); err == nil {
		t.Error("a child that printed nothing started")
	}
}

func TestRunCountsEveryCall(t *testing.T) {
	var n atomic.Int64
	boom := errors.New("boom")
	s := Run(3, 50*time.Millisecond, func(caller, i int) error {
		if caller < 0 || caller > 2 {
			t.Errorf("caller %d", caller)
		}
		if n.Add(1)%2 == 0 {
			return boom
		}
		return nil
	})
	if int64(s.Calls) != n.Load() || len(s.Lat) != s.Calls || s.Calls == 0 {
		t.Errorf("%d calls, %d latencies, op ran %d times", s.Calls, len(s.Lat), n.Load())
	}
	if s.Errs != s.Calls/2 && s.Errs != (s.Calls+1)/2 || !errors.Is(s.FirstErr, boom) {
		t.Errorf("%d errors of %d calls, first %v", s.Errs, s.Calls, s.FirstErr)
	}
	if s.Dur < 50*time.Millisecond {
		t.Errorf("ran %v", s.Dur)
	}
}

func TestInterleave(t *testing.T) {
	var order []int
	out, err := Interleave(2, 3, 300*time.Millisecond, func(tg, round int, turn time.Duration) (Sample, error) {
		order = append(order, tg)
		if turn != 100*time.Millisecond {
			t.Errorf("turn %v", turn)
		}
		return Sample{Calls: 1 + tg, Dur: turn, Lat: []time.Duration{time.Duration(round)}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(order) != 6 || order[0] != 0 || order[1] != 1 || order[2] != 0 {
		t.Errorf("turns in order %v, want the targets alternating", order)
	}
	if out[1].Calls != 6 || out[1].Dur != 300*time.Millisecond || out[1].Rate() != 20 {
		t.Errorf("target 1: %+v", out[1])
	}
	if _, err := Interleave(1, 0, time.Second, func(int, int, time.Duration) (Sample, error) { return Sample{}, errors.New("x") }); err == nil {
		t.Error("an error did not stop Interleave")
	}
}

func TestPercentile(t *testing.T) {
	s := Sample{}
	if s.Percentile(0.5) != 0 {
		t.Error("empty sample")
	}
	for i := 100; i >= 1; i-- {
		s.Lat = append(s.Lat, time.Duration(i))
	}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{0, 1}, {0.5, 50}, {0.99, 99}, {1, 100}} {
		if got := s.Percentile(c.p); got != c.want {
			t.Errorf("p%v = %v, want %v", c.p, got, c.want)
		}
	}
}
