package tui

import (
	"sort"
	"strings"
	"time"

	"github.com/slsx/slsx/emulator/telemetry"
)

// A trace is every event that carried one trace id: the causal chain of a
// request across API Gateway, Lambda, DynamoDB, streams and SNS.

type spanKind int

const (
	spanHTTP spanKind = iota
	spanInvoke
	spanWrite
	spanStream
	spanPublish
	spanDeliver
)

// span is one step of a trace. Point events (a write, a publish) have
// start == end.
type span struct {
	kind       spanKind
	start, end time.Time
	running    bool

	function, trigger, reqID string
	method, path, routeKey   string
	api                      string
	httpStatus               int
	status, errType          string
	cold                     bool
	initDur                  time.Duration
	table, op, keys          string
	records                  int
	topic, messageID         string
	protocol, endpoint       string
	attempt                  int
	err                      string
}

func (sp *span) failed() bool {
	switch sp.kind {
	case spanHTTP:
		return sp.httpStatus >= 500
	case spanInvoke:
		return isFailure(sp.status) || sp.status == telemetry.StatusThrottled
	}
	return sp.err != ""
}

type trace struct {
	id      string
	seq     uint64
	version uint64
	spans   []span
	byReq   map[string]int // invocation request id -> index in spans
	omitted int            // spans over maxSpans

	path    string // pathSummary cache, valid at pathVer
	pathVer uint64
}

type traceStore struct {
	byID    map[string]*trace
	order   ring[*trace]
	seq     uint64
	version uint64
}

func newTraceStore() traceStore {
	return traceStore{byID: map[string]*trace{}, order: newRing[*trace](maxTraces)}
}

func (ts *traceStore) get(id string) *trace {
	if t, ok := ts.byID[id]; ok {
		return t
	}
	ts.seq++
	t := &trace{id: id, seq: ts.seq, byReq: map[string]int{}}
	if old, evicted := ts.order.push(t); evicted {
		delete(ts.byID, old.id)
	}
	ts.byID[id] = t
	return t
}

func (ts *traceStore) add(id string, sp span) *span {
	if id == "" {
		return nil
	}
	t := ts.get(id)
	ts.version++
	t.version++
	if len(t.spans) >= maxSpans {
		t.omitted++
		return nil
	}
	t.spans = append(t.spans, sp)
	return &t.spans[len(t.spans)-1]
}

func (ts *traceStore) invocationStarted(e telemetry.InvocationStarted) {
	if e.TraceID == "" {
		return
	}
	t := ts.get(e.TraceID)
	if i, ok := t.byReq[e.RequestID]; ok {
		t.spans[i].start = e.Time
		ts.version++
		t.version++
		return
	}
	if ts.add(e.TraceID, span{kind: spanInvoke, start: e.Time, running: true, function: e.Function,
		trigger: e.Trigger, reqID: e.RequestID, cold: e.Cold}) != nil {
		t.byReq[e.RequestID] = len(t.spans) - 1
	}
}

func (ts *traceStore) invocationFinished(e telemetry.InvocationFinished) {
	if e.TraceID == "" {
		return
	}
	t := ts.get(e.TraceID)
	sp := (*span)(nil)
	if i, ok := t.byReq[e.RequestID]; ok {
		sp = &t.spans[i]
		ts.version++
		t.version++
	} else {
		sp = ts.add(e.TraceID, span{kind: spanInvoke, start: e.Time.Add(-e.Duration), function: e.Function,
			trigger: e.Trigger, reqID: e.RequestID})
		if sp == nil {
			return
		}
		t.byReq[e.RequestID] = len(t.spans) - 1
	}
	sp.end, sp.running = e.Time, false
	sp.status, sp.errType, sp.cold, sp.initDur = e.Status, e.ErrorType, e.Cold, e.InitDuration
}

// bounds returns the trace's first start and last end.
func (t *trace) bounds(now time.Time) (start, end time.Time) {
	for i := range t.spans {
		sp := &t.spans[i]
		e := sp.end
		if sp.running {
			e = now
		}
		if start.IsZero() || sp.start.Before(start) {
			start = sp.start
		}
		if e.After(end) {
			end = e
		}
	}
	if end.Before(start) {
		end = start
	}
	return start, end
}

func (t *trace) errors() int {
	n := 0
	for i := range t.spans {
		if t.spans[i].failed() {
			n++
		}
	}
	return n
}

// root is the span that starts the trace, for the trace list.
func (t *trace) root() *span {
	var r *span
	for i := range t.spans {
		sp := &t.spans[i]
		if r == nil || sp.start.Before(r.start) || (sp.start.Equal(r.start) && sp.kind < r.kind) {
			r = sp
		}
	}
	return r
}

// treeRow is one line of the trace tree.
type treeRow struct {
	span  *span
	depth int
	last  []bool // for each ancestor level: was that ancestor the last child
}

// matchSlack tolerates events published slightly out of order (a delivery
// is published when the attempt ends, after the invocation it caused has
// started).
const matchSlack = time.Second

// tree arranges the spans by cause. Trace ids say which events belong
// together but not who caused whom, so parents are inferred from what each
// event names: an invocation's trigger ("ddb:orders", "sns:events", a route
// key), a stream batch's table, a delivery's message id, and for writes and
// publishes the invocation running when they happened.
func (t *trace) tree() []treeRow {
	n := len(t.spans)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	sp := t.spans
	sort.SliceStable(idx, func(a, b int) bool {
		x, y := &sp[idx[a]], &sp[idx[b]]
		if !x.start.Equal(y.start) {
			return x.start.Before(y.start)
		}
		return x.kind < y.kind
	})
	parent := make([]int, n)
	for i := range parent {
		parent[i] = t.parentOf(i)
	}
	// Break any cycle the heuristics could produce: walk up from each span.
	for i := range parent {
		seen := 0
		for p := parent[i]; p >= 0; p = parent[p] {
			if p == i || seen > n {
				parent[i] = -1
				break
			}
			seen++
		}
	}
	children := make([][]int, n)
	var roots []int
	for _, i := range idx { // in start order, so children come out sorted
		if parent[i] >= 0 {
			children[parent[i]] = append(children[parent[i]], i)
		} else {
			roots = append(roots, i)
		}
	}
	rows := make([]treeRow, 0, n)
	var walk func(i, depth int, last []bool)
	walk = func(i, depth int, last []bool) {
		rows = append(rows, treeRow{span: &sp[i], depth: depth, last: last})
		for k, c := range children[i] {
			l := append(append([]bool(nil), last...), k == len(children[i])-1)
			walk(c, depth+1, l)
		}
	}
	for k, r := range roots {
		walk(r, 0, []bool{k == len(roots)-1})
	}
	return rows
}

// parentOf infers the span that caused span i, or -1.
func (t *trace) parentOf(i int) int {
	s := &t.spans[i]
	switch s.kind {
	case spanInvoke:
		switch {
		case strings.HasPrefix(s.trigger, "ddb:"):
			table := s.trigger[len("ddb:"):]
			if p := t.closestBefore(i, func(c *span) bool {
				return c.kind == spanStream && c.table == table && (c.function == "" || c.function == s.function)
			}); p >= 0 {
				return p
			}
		case strings.HasPrefix(s.trigger, "sns:"):
			topic := s.trigger[len("sns:"):]
			if p := t.closestBefore(i, func(c *span) bool {
				return c.kind == spanDeliver && c.topic == topic && endpointIs(c.endpoint, s.function)
			}); p >= 0 {
				return p
			}
			if p := t.closestBefore(i, func(c *span) bool { return c.kind == spanPublish && c.topic == topic }); p >= 0 {
				return p
			}
		default:
			if p := t.closestBefore(i, func(c *span) bool {
				return c.kind == spanHTTP && c.function == s.function && (c.routeKey == "" || c.routeKey == s.trigger)
			}); p >= 0 {
				return p
			}
		}
		return t.enclosing(i)
	case spanWrite, spanPublish:
		return t.enclosing(i)
	case spanStream:
		if p := t.closestBefore(i, func(c *span) bool { return c.kind == spanWrite && c.table == s.table }); p >= 0 {
			return p
		}
		return t.enclosing(i)
	case spanDeliver:
		if p := t.closestBefore(i, func(c *span) bool {
			return c.kind == spanPublish && c.messageID != "" && c.messageID == s.messageID
		}); p >= 0 {
			return p
		}
		if p := t.closestBefore(i, func(c *span) bool { return c.kind == spanPublish && c.topic == s.topic }); p >= 0 {
			return p
		}
	}
	return -1
}

// endpointIs reports whether an SNS lambda endpoint (a name or an ARN)
// names function fn.
func endpointIs(endpoint, fn string) bool {
	return endpoint == fn || strings.HasSuffix(endpoint, ":function:"+fn) || strings.Contains(endpoint, ":function:"+fn+":")
}

// closestBefore returns the matching span that started last no later than
// span i (give or take matchSlack), or the earliest match after it.
func (t *trace) closestBefore(i int, match func(*span) bool) int {
	s := &t.spans[i]
	best, after := -1, -1
	for j := range t.spans {
		if j == i {
			continue
		}
		c := &t.spans[j]
		if !match(c) {
			continue
		}
		if !c.start.After(s.start.Add(matchSlack)) {
			if best < 0 || c.start.After(t.spans[best].start) {
				best = j
			}
		} else if after < 0 || c.start.Before(t.spans[after].start) {
			after = j
		}
	}
	if best >= 0 {
		return best
	}
	return after
}

// enclosing returns the invocation that was running when span i started
// (the latest-started one), or -1.
func (t *trace) enclosing(i int) int {
	s := &t.spans[i]
	best := -1
	for j := range t.spans {
		c := &t.spans[j]
		if j == i || c.kind != spanInvoke {
			continue
		}
		if c.start.After(s.start) {
			continue
		}
		if !c.running && c.end.Before(s.start) {
			continue
		}
		if best < 0 || c.start.After(t.spans[best].start) {
			best = j
		}
	}
	return best
}
