package tui

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/slsx/slsx/emulator/telemetry"
)

// FuzzScreens feeds hostile names, log lines and payloads (escape codes,
// wide runes, invalid UTF-8, huge lines) and checks that every screen still
// draws exactly the terminal's size and nothing reaches it raw.
func FuzzScreens(f *testing.F) {
	f.Add("orders", "POST /orders", "hello", []byte(`{"a":1}`), "o1 status:ok", uint8(80), uint8(24))
	f.Add("日本語の関数", "sns:トピック", "\x1b[2J\x1b[Hgotcha\ttab", []byte("\xff\xfe not json \x07"), "fn:日本", uint8(33), uint8(9))
	f.Fuzz(func(t *testing.T, fn, trig, line string, payload []byte, filter string, w, h uint8) {
		width, height := int(w)%200+20, int(h)%60+6
		hs := newHarness(t, testInfo(), width, height)
		hs.feed(
			telemetry.InvocationStarted{At: at(0), Function: fn, RequestID: "r" + fn, TraceID: "T" + trig, Trigger: trig, Event: payload},
			telemetry.LogLine{At: at(1), Function: fn, RequestID: "r" + fn, Line: line},
			telemetry.LogLine{At: at(1), Function: fn, Line: line},
			telemetry.Log{At: at(1), Level: line, Message: line},
			telemetry.DynamoWrite{At: at(2), Table: fn, Op: trig, Keys: line, TraceID: "T" + trig},
			telemetry.SNSDelivered{At: at(3), Topic: trig, Protocol: fn, Endpoint: line, Err: line, TraceID: "T" + trig},
			telemetry.InvocationFinished{At: at(4), Function: fn, RequestID: "r" + fn, TraceID: "T" + trig, Trigger: trig,
				Status: line, ErrorType: line, Duration: time.Millisecond, Response: payload, Logs: []string{line}},
			telemetry.BuildFinished{At: at(5), Function: fn, Err: line, Output: line},
			telemetry.ChangeDetected{At: at(6), Paths: []string{line}, Functions: []string{fn}},
		)
		for _, k := range []string{"1", "2", "3", "4", "5", "6"} {
			hs.keys(k)
			check(t, hs)
			hs.keys("enter")
			check(t, hs)
			hs.keys("enter")
			check(t, hs)
			hs.keys("esc", "esc")
		}
		hs.keys("2", "/")
		hs.typeText(filter)
		hs.keys("enter")
		check(t, hs)
	})
}

func check(t *testing.T, hs *harness) {
	t.Helper()
	v := hs.m.View()
	lines := strings.Split(v, "\n")
	if len(lines) != hs.m.height {
		t.Fatalf("%d lines on a %d-line screen", len(lines), hs.m.height)
	}
	for _, l := range lines {
		if ansi.StringWidth(l) > hs.m.width {
			t.Fatalf("line %q wider than %d", l, hs.m.width)
		}
		// Only SGR styling may reach the terminal: no cursor movement,
		// screen clears or bells from user data.
		plain := ansi.Strip(l)
		if strings.ContainsAny(plain, "\x1b\x07\r") {
			t.Fatalf("raw control characters on screen: %q", l)
		}
	}
}
