package tui

import (
	"bytes"
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/slsx/slsx/emulator/telemetry"
)

// syncBuffer is the program's terminal: written by bubbletea, read by the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return ansi.Strip(s.b.String())
}

// waitFor fails the test when the terminal never shows all of want. The
// deadline only guards against a hang; passing does not depend on timing.
func waitFor(t *testing.T, out *syncBuffer, want ...string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		s := out.String()
		ok := true
		for _, w := range want {
			ok = ok && strings.Contains(s, w)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("terminal never showed %q; last output:\n%s", want, s[max(0, len(s)-3000):])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestRunRelaysEventsAndQuitsOnQ(t *testing.T) {
	bus := telemetry.New()
	in, typeKeys := io.Pipe()
	out := &syncBuffer{}
	d := New(context.Background(), bus, testInfo(), tea.WithInput(in), tea.WithOutput(out), tea.WithoutSignalHandler())

	// Published after New but before Run: the subscription already holds it.
	for _, e := range invoke(0, 12, "orders", "POST /orders", "early", "", telemetry.StatusOK, true) {
		bus.Publish(e)
	}
	d.SetInfo(Info{Project: "reloaded", AWSURL: "http://127.0.0.1:4999"})

	errc := make(chan error, 1)
	go func() { errc <- d.Run() }()
	waitFor(t, out, "slsx · reloaded", "http://127.0.0.1:4999", "inv 1")

	for _, e := range invoke(10, 3, "notify", "ddb:orders", "later", "", telemetry.StatusError, false) {
		bus.Publish(e)
	}
	waitFor(t, out, "inv 2  err 1")

	if _, err := typeKeys.Write([]byte("q")); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		if err != nil {
			t.Fatalf("Run after q: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return after q")
	}
}

func TestRunReturnsWhenContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	in, _ := io.Pipe()
	out := &syncBuffer{}
	errc := make(chan error, 1)
	go func() {
		errc <- Run(ctx, telemetry.New(), testInfo(), tea.WithInput(in), tea.WithOutput(out), tea.WithoutSignalHandler())
	}()
	waitFor(t, out, "slsx · shop")
	cancel()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatalf("Run after cancel: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return after the context ended")
	}
}
