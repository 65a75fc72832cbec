package tui

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/slsx/slsx/emulator/telemetry"
)

// benchEvents is a stream as slsx dev would publish it under load: chains of
// API -> Lambda -> DynamoDB -> stream -> Lambda -> SNS -> Lambda, pool
// states and log lines (one outside any request, one a handler wrote
// during one), one event per millisecond (1,000 events/s).
func benchEvents(n int) []telemetry.Event {
	out := make([]telemetry.Event, 0, n+32)
	for c := 0; len(out) < n; c++ {
		ms := len(out)
		chain := orderChain(ms, fmt.Sprintf("trace-%d", c), fmt.Sprint(c))
		for i, e := range chain {
			out = append(out, retime(e, base.Add(time.Duration(ms+i)*time.Millisecond)))
		}
		out = append(out,
			telemetry.PoolState{At: at(ms), Function: "orders", Busy: c % 5, Idle: 1, Limit: 4},
			telemetry.LogLine{At: at(ms), Function: "notify", Line: "flushed"},
			telemetry.LogLine{At: at(ms), Function: "orders", RequestID: "req-orders" + fmt.Sprint(c), Line: "saved order " + fmt.Sprint(c)})
	}
	return out[:n]
}

// retime moves an event's timestamp so the stream advances 1 ms per event.
func retime(e telemetry.Event, t time.Time) telemetry.Event {
	a := telemetry.At{Time: t}
	switch e := e.(type) {
	case telemetry.InvocationStarted:
		e.At = a
		return e
	case telemetry.InvocationFinished:
		e.At = a
		return e
	case telemetry.HTTPRequest:
		e.At = a
		return e
	case telemetry.DynamoWrite:
		e.At = a
		return e
	case telemetry.StreamBatch:
		e.At = a
		return e
	case telemetry.SNSPublished:
		e.At = a
		return e
	case telemetry.SNSDelivered:
		e.At = a
		return e
	}
	return e
}

// BenchmarkUpdate feeds events the way the relay does at 1,000 events/s
// (batches of 100 every 100 ms frame) and renders a frame per batch, as
// bubbletea does. ns/op is the cost per event including its share of
// rendering; modelMB is how much the model's live heap grew, which stays flat as the
// run grows because every store is a ring.
//
//	go test ./tui -run x -bench Update -benchtime 20000x
//	go test ./tui -run x -bench Update -benchtime 200000x
func BenchmarkUpdate(b *testing.B) {
	const batch = 100 // 1,000 events/s x frameInterval
	pool := benchEvents(200_000)
	for _, screen := range []struct {
		name string
		key  string
	}{{"functions", "1"}, {"invocations", "2"}, {"traces", "3"}, {"resources", "4"}, {"logs", "6"}} {
		b.Run(screen.name, func(b *testing.B) {
			hs := newHarness(b, testInfo(), 160, 50)
			hs.keys(screen.key)
			before := liveHeap()
			b.ReportAllocs()
			b.ResetTimer()
			var frame []telemetry.Event
			for i := 0; i < b.N; i++ {
				frame = append(frame, pool[i%len(pool)])
				if len(frame) == batch || i == b.N-1 {
					hs.m.Update(EventsMsg{Events: frame})
					frame = frame[:0]
					_ = hs.m.View()
				}
				if i%1000 == 999 { // one simulated second
					hs.m.Update(clockMsg(base))
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(liveHeap()-before)/(1<<20), "modelMB")
			runtime.KeepAlive(hs)
			runtime.KeepAlive(pool)
		})
	}
}

func liveHeap() int64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}

// BenchmarkView is the cost of one frame with full stores.
func BenchmarkView(b *testing.B) {
	hs := newHarness(b, testInfo(), 160, 50)
	for _, e := range benchEvents(50_000) {
		hs.m.s.apply(e)
	}
	for _, k := range []string{"1", "2", "3"} {
		hs.keys(k)
		b.Run(screenNames[k[0]-'1'], func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				hs.m.s.invSeq++ // as if new events arrived: no cached rows
				hs.m.s.traces.version++
				_ = hs.m.View()
			}
		})
	}
}

// BenchmarkResourceListing is the cost of following the services, once a
// second while the resources screen shows, with n tables and n topics in
// them: fold is the UI goroutine's share (merging a listing into the
// store), tidy the tea.Cmd's (sorting names, choosing which to count), and
// frame one redraw of the screen with what was kept, for scale: the screen
// redraws up to 10 times a second.
//
//	go test ./tui -run x -bench ResourceListing
func BenchmarkResourceListing(b *testing.B) {
	for _, n := range []int{100, 10_000, 100_000} {
		names := make([]string, n)
		for i := range names {
			names[i] = fmt.Sprintf("table-%06d", i*7919%n) // as a Source may list them: unsorted
		}
		sorted := tidyNames(names)
		hs := newHarness(b, testInfo(), 160, 50)
		hs.keys("4")
		hs.m.resP.handle(hs.m, resourceCountsMsg{listed: true, gen: 1, tables: sorted, topics: sorted})
		b.Run(fmt.Sprintf("fold/%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				hs.m.s.listGen++
				hs.m.resP.handle(hs.m, resourceCountsMsg{listed: true, gen: hs.m.s.listGen, tables: sorted, topics: sorted})
			}
		})
		b.Run(fmt.Sprintf("tidy/%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				_ = toCount(hs.m.s.tableOrder, tidyNames(names))
				_ = toCount(hs.m.s.topicOrder, tidyNames(names))
			}
		})
		b.Run(fmt.Sprintf("frame/%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				_ = hs.m.View()
			}
		})
	}
}
