package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/slsx/slsx/emulator/telemetry"
)

// printEvents writes one readable line per telemetry event until the
// channel closes: the plain output of `slsx dev` (--no-tui, or stdout not
// a terminal) and of `slsx serve`.
func printEvents(ctx context.Context, w io.Writer, events <-chan telemetry.Event) {
	for e := range events {
		if line := formatEvent(e); line != "" {
			fmt.Fprintln(w, line)
		}
	}
}

// logTime is the clock shown at the start of every line.
const logTime = "15:04:05.000"

func formatEvent(e telemetry.Event) string {
	t := e.When().Format(logTime)
	switch e := e.(type) {
	case telemetry.InvocationFinished:
		temp := "warm"
		if e.Cold {
			temp = fmt.Sprintf("cold, init %s", fmtDur(e.InitDuration))
		}
		status := e.Status
		if e.ErrorType != "" {
			status += " " + e.ErrorType
		}
		var b strings.Builder
		fmt.Fprintf(&b, "%s %-22s %-10s %-8s %8s (%s) %s", t, trigger(e.Trigger), e.Function, status, fmtDur(e.Duration), temp, e.RequestID)
		for _, l := range e.Logs {
			if isPlatformLine(l) {
				continue
			}
			b.WriteString("\n    │ ")
			b.WriteString(l)
		}
		return b.String()
	case telemetry.Throttled:
		if e.Async {
			return fmt.Sprintf("%s %-22s %-10s queued: %d environments busy (limit)", t, trigger(e.Trigger), e.Function, e.Limit)
		}
		return fmt.Sprintf("%s %-22s %-10s throttled: 429 TooManyRequestsException (concurrency limit %d)", t, trigger(e.Trigger), e.Function, e.Limit)
	case telemetry.HTTPRequest:
		if e.Function == "" || e.Status >= 400 {
			return fmt.Sprintf("%s %-22s %d %s", t, e.Method+" "+e.Path, e.Status, fmtDur(e.Duration))
		}
		return ""
	case telemetry.BuildStarted:
		return fmt.Sprintf("%s build   %s (generation %d): %s", t, e.Function, e.Generation, e.Reason)
	case telemetry.BuildFinished:
		if e.Err != "" {
			return fmt.Sprintf("%s build   %s FAILED after %s; the previous code keeps serving\n%s", t, e.Function, fmtDur(e.Duration), indent(e.Output))
		}
		return fmt.Sprintf("%s build   %s ok in %s", t, e.Function, fmtDur(e.Duration))
	case telemetry.Swapped:
		if e.OldGeneration == 0 {
			return "" // the first deployment; the banner lists what serves
		}
		return fmt.Sprintf("%s swap    %s generation %d -> %d", t, e.Function, e.OldGeneration, e.NewGeneration)
	case telemetry.ChangeDetected:
		return fmt.Sprintf("%s change  %s", t, strings.Join(e.Paths, ", "))
	case telemetry.ConfigReloaded:
		if e.Err != "" {
			return fmt.Sprintf("%s project not reloaded; still serving the previous version:\n%s", t, indent(e.Err))
		}
		return fmt.Sprintf("%s project reloaded", t)
	case telemetry.LogLine:
		if e.RequestID == "" {
			return fmt.Sprintf("%s %-10s │ %s", t, e.Function, e.Line)
		}
		return ""
	case telemetry.Log:
		return fmt.Sprintf("%s %s %s", t, strings.ToLower(e.Level), e.Message)
	case telemetry.SNSDelivered:
		if e.Err != "" {
			return fmt.Sprintf("%s sns     delivery to %s %s failed (attempt %d): %s", t, e.Protocol, e.Endpoint, e.Attempt, e.Err)
		}
		return ""
	case telemetry.StreamBatch:
		if e.Err != "" {
			return fmt.Sprintf("%s ddb     stream batch of %d from %s to %s failed: %s", t, e.Records, e.Table, e.Function, e.Err)
		}
		return ""
	}
	return ""
}

func trigger(t string) string {
	if t == "" {
		return "invoke"
	}
	return t
}

func isPlatformLine(l string) bool {
	return strings.HasPrefix(l, "START RequestId:") || strings.HasPrefix(l, "END RequestId:") ||
		strings.HasPrefix(l, "REPORT RequestId:") || strings.HasPrefix(l, "INIT_START")
}

func fmtDur(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2fs", d.Seconds())
	default:
		return fmt.Sprintf("%.2fms", float64(d.Microseconds())/1000)
	}
}

func indent(s string) string {
	s = strings.TrimRight(s, "\n")
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}
