package dynamodb

import (
	"bytes"
	"context"
	"encoding/json"
	"time"

	"github.com/slsx/slsx/emulator/lambda"
)

// maxWindowState is the most state a function may carry through a
// tumbling window (1 MB per shard); past it Lambda ends the window early.
const maxWindowState = 1 << 20

// window is a mapping's open tumbling window: its bounds and the state the
// function returned last.
type window struct {
	start time.Time
	size  time.Duration
	state json.RawMessage // a JSON object
	early bool            // the state outgrew maxWindowState
}

func (w *window) end() time.Time { return w.start.Add(w.size) }

// windowStart is the start of the window holding t: windows are aligned
// on multiples of their size since the epoch, as Lambda's are on the
// clock (a 120 s window runs 07:04:00 to 07:06:00).
func windowStart(t time.Time, size time.Duration) time.Time {
	return t.Truncate(size).UTC()
}

// sameWindow returns the leading records of recs that fall in the window
// of the first.
func sameWindow(recs []*streamRec, size time.Duration) []*streamRec {
	start := windowStart(recs[0].at, size)
	for i, r := range recs {
		if !windowStart(r.at, size).Equal(start) {
			return recs[:i]
		}
	}
	return recs
}

// event is the DynamoDBTimeWindowEvent of recs (none for the final
// invocation).
func (w *window) event(recs []*streamRec, st *stream, final bool) []byte {
	b := buildEvent(recs, st.arn)
	b = b[:len(b)-1] // reopen the object after "Records"
	b = append(b, `,"window":{"start":"`...)
	b = append(b, w.start.Format(time.RFC3339)...)
	b = append(b, `","end":"`...)
	b = append(b, w.end().UTC().Format(time.RFC3339)...)
	b = append(b, `"},"state":`...)
	b = append(b, w.state...)
	b = append(b, `,"shardId":`...)
	b = appendJSONString(b, st.shardID)
	b = append(b, `,"eventSourceARN":`...)
	b = appendJSONString(b, st.arn)
	b = append(b, `,"isFinalInvokeForWindow":`...)
	b = appendBool(b, final)
	b = append(b, `,"isWindowTerminatedEarly":`...)
	b = appendBool(b, final && w.early)
	return append(b, '}')
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, "true"...)
	}
	return append(b, "false"...)
}

// keepState takes the state from a TimeWindowEventResponse. A response
// without a state object is a failed invocation, as on Lambda.
func (w *window) keepState(payload []byte) string {
	var resp struct {
		State json.RawMessage `json:"state"`
	}
	p := bytes.TrimSpace(payload)
	if json.Unmarshal(p, &resp) != nil || len(resp.State) == 0 || resp.State[0] != '{' {
		return "tumbling window: the function's response has no state object"
	}
	w.state = resp.State
	if len(w.state) > maxWindowState {
		w.early = true
	}
	return ""
}

// closeWindow makes the final invocation of the open window (no records,
// isFinalInvokeForWindow) and drops its state. Lambda holds the stream
// until the final invocation succeeds, so failures are retried without
// limit. It returns false only when ctx ended.
func (s *Service) closeWindow(ctx context.Context, mp *mapping, st *stream) bool {
	w := mp.win
	for attempt := 1; ; attempt++ {
		res, err := s.invoker.Invoke(ctx, lambda.Request{
			Function: mp.cfg.Function,
			Payload:  w.event(nil, st, true),
			Type:     lambda.RequestResponse,
			Trigger:  "ddb:" + mp.cfg.Table,
		})
		if err == nil && res.FunctionError == "" {
			mp.win = nil
			return true
		}
		msg := ""
		if err != nil {
			msg = err.Error()
		} else {
			msg = res.FunctionError + ": " + string(bytes.TrimSpace(res.Payload))
		}
		s.log.Warn("tumbling window final invocation failed; the stream waits for it", "table", mp.cfg.Table,
			"function", mp.cfg.Function, "attempt", attempt, "err", msg)
		if ctx.Err() != nil || !sleepCtx(ctx, backoff(attempt)) {
			return false
		}
	}
}
