package tui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/slsx/slsx/emulator/telemetry"
)

// base is the fixed wall clock of model tests.
var base = time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)

func at(ms int) telemetry.At {
	return telemetry.At{Time: base.Add(time.Duration(ms) * time.Millisecond)}
}

// harness drives a Model the way bubbletea does: messages in, View out.
type harness struct {
	t   testing.TB
	m   *Model
	now time.Time
}

func testInfo() Info {
	return Info{
		Project:  "shop",
		APIURLs:  []string{"http://127.0.0.1:3000"},
		AWSURL:   "http://127.0.0.1:4566",
		Executor: "process",
		Functions: []FunctionInfo{
			{Name: "orders", Handler: "./functions/orders", Routes: []string{"POST /orders"},
				Env: map[string]string{"TABLE": "orders", "MODE": "dev"}, Concurrency: 4, MemoryMB: 256, Timeout: 5 * time.Second},
			{Name: "notify", Handler: "./functions/notify", Triggers: []string{"ddb:orders"}, Concurrency: 2, MemoryMB: 128, Timeout: 3 * time.Second},
			{Name: "email", Handler: "./functions/email", Triggers: []string{"sns:events"}, Concurrency: 10, MemoryMB: 128, Timeout: 3 * time.Second},
		},
		Topics: []string{"events"},
		Tables: []string{"orders"},
	}
}

func newHarness(t testing.TB, info Info, w, h int) *harness {
	hs := &harness{t: t, now: base.Add(time.Minute)}
	hs.m = newModel(info, func() time.Time { return hs.now })
	hs.m.tick = func(time.Duration, func(time.Time) tea.Msg) tea.Cmd { return nil } // the test drives the clock
	hs.m.s.start = base
	hs.send(tea.WindowSizeMsg{Width: w, Height: h})
	return hs
}

// send delivers msg and runs the command it returns when that command is
// one of the dashboard's own navigation or data commands (never a tick,
// which would sleep).
func (hs *harness) send(msg tea.Msg) {
	_, cmd := hs.m.Update(msg)
	hs.run(cmd)
}

func (hs *harness) run(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	switch msg := cmd().(type) {
	case nil, tea.QuitMsg:
	case tea.BatchMsg:
		for _, c := range msg {
			hs.run(c)
		}
	default:
		hs.send(msg)
	}
}

func (hs *harness) feed(events ...telemetry.Event) {
	hs.send(EventsMsg{Events: events})
}

// keys presses each key: names like "enter", "esc", "tab", "down", or
// literal text typed one rune at a time.
func (hs *harness) keys(keys ...string) {
	for _, k := range keys {
		hs.send(keyMsg(k))
	}
}

func (hs *harness) typeText(s string) {
	for _, r := range s {
		if r == ' ' {
			hs.send(tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}})
			continue
		}
		hs.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
}

func keyMsg(k string) tea.KeyMsg {
	named := map[string]tea.KeyType{
		"enter": tea.KeyEnter, "esc": tea.KeyEsc, "tab": tea.KeyTab, "shift+tab": tea.KeyShiftTab,
		"up": tea.KeyUp, "down": tea.KeyDown, "pgup": tea.KeyPgUp, "pgdown": tea.KeyPgDown,
		"backspace": tea.KeyBackspace, "ctrl+c": tea.KeyCtrlC, "home": tea.KeyHome, "end": tea.KeyEnd,
	}
	if t, ok := named[k]; ok {
		return tea.KeyMsg{Type: t}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
}

// screen returns the plain text on screen and checks its geometry.
func (hs *harness) screen() string {
	hs.t.Helper()
	v := hs.m.View()
	lines := strings.Split(v, "\n")
	if len(lines) != hs.m.height {
		hs.t.Fatalf("view has %d lines, want %d:\n%s", len(lines), hs.m.height, v)
	}
	for i, l := range lines {
		if w := ansi.StringWidth(l); w > hs.m.width {
			hs.t.Fatalf("line %d is %d cells wide, screen is %d:\n%q", i, w, hs.m.width, l)
		}
	}
	return ansi.Strip(v)
}

// body is the screen without the header, tab bar and footer.
func (hs *harness) body() string {
	lines := strings.Split(hs.screen(), "\n")
	return strings.Join(lines[3:len(lines)-1], "\n")
}

func (hs *harness) mustShow(want ...string) {
	hs.t.Helper()
	s := hs.screen()
	for _, w := range want {
		if !strings.Contains(s, w) {
			hs.t.Fatalf("screen lacks %q:\n%s", w, s)
		}
	}
}

func (hs *harness) mustNotShow(want ...string) {
	hs.t.Helper()
	s := hs.screen()
	for _, w := range want {
		if strings.Contains(s, w) {
			hs.t.Fatalf("screen shows %q:\n%s", w, s)
		}
	}
}

// lineWith returns the first screen line containing s.
func (hs *harness) lineWith(s string) string {
	hs.t.Helper()
	for _, l := range strings.Split(hs.screen(), "\n") {
		if strings.Contains(l, s) {
			return l
		}
	}
	hs.t.Fatalf("no line contains %q:\n%s", s, hs.screen())
	return ""
}

// invoke returns the start and finish events of one invocation.
func invoke(ms, durMs int, fn, trig, req, trace, status string, cold bool) []telemetry.Event {
	d := time.Duration(durMs) * time.Millisecond
	return []telemetry.Event{
		telemetry.InvocationStarted{At: at(ms), Function: fn, Generation: 1, RequestID: req, TraceID: trace,
			Trigger: trig, Cold: cold, EnvID: "env-1", Event: []byte(`{"order":{"id":"` + req + `"}}`)},
		telemetry.InvocationFinished{At: at(ms + durMs), Function: fn, Generation: 1, RequestID: req, TraceID: trace,
			Trigger: trig, Cold: cold, EnvID: "env-1", Status: status, Duration: d, BilledMs: int64(durMs) + 1,
			MemoryMB: 128, MaxMemoryMB: 42, Response: []byte(`{"statusCode":201,"body":"ok ` + req + `"}`),
			Logs: []string{"START RequestId: " + req, "handling " + req, "END RequestId: " + req}},
	}
}

// orderChain is one request across every service:
// API -> orders -> PutItem -> stream -> notify -> SNS publish -> delivery -> email.
func orderChain(ms int, trace, suffix string) []telemetry.Event {
	var ev []telemetry.Event
	ev = append(ev, invoke(ms+1, 40, "orders", "POST /orders", "req-orders"+suffix, trace, telemetry.StatusOK, true)...)
	ev = append(ev, telemetry.DynamoWrite{At: at(ms + 20), Table: "orders", Op: "PutItem", Keys: `{"id":{"S":"o1"}}`, TraceID: trace})
	ev = append(ev, telemetry.HTTPRequest{At: at(ms + 45), API: "default", Method: "POST", Path: "/orders",
		RouteKey: "POST /orders", Function: "orders", Status: 201, Duration: 45 * time.Millisecond, RequestID: "api" + suffix, TraceID: trace})
	ev = append(ev, telemetry.StreamBatch{At: at(ms + 50), Table: "orders", Function: "notify", Records: 1, TraceID: trace})
	ev = append(ev, invoke(ms+51, 30, "notify", "ddb:orders", "req-notify"+suffix, trace, telemetry.StatusOK, false)...)
	ev = append(ev, telemetry.SNSPublished{At: at(ms + 60), Topic: "arn:aws:sns:us-east-1:000000000000:events", MessageID: "msg" + suffix, TraceID: trace})
	// The delivery is published when the attempt ends, after the invocation it caused started.
	ev = append(ev, invoke(ms+61, 10, "email", "sns:events", "req-email"+suffix, trace, telemetry.StatusError, false)...)
	ev = append(ev, telemetry.SNSDelivered{At: at(ms + 62), Topic: "arn:aws:sns:us-east-1:000000000000:events",
		Subscription: "arn:aws:sns:us-east-1:000000000000:events:s1", Protocol: "lambda",
		Endpoint: "arn:aws:lambda:us-east-1:000000000000:function:email", MessageID: "msg" + suffix, TraceID: trace, Attempt: 1})
	return ev
}

func reqID(i int) string { return fmt.Sprintf("req-%05d", i) }
