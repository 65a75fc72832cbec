package tui

import (
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slsx/slsx/emulator/telemetry"
)

// Memory bounds. The dashboard runs for hours at up to 1,000 invocations a
// second, so everything it keeps is a ring or a capped map.
const (
	maxInvocations = 2000            // invocation list
	maxLogs        = 2000            // slsx and function log lines
	maxLogText     = 2 << 10         // bytes kept of one line in the logs pane: wider than any terminal
	maxSubsShown   = 200             // subscriptions kept per topic for its details; all are counted
	maxBuilds      = 500             // builds pane history
	maxTraces      = 500             // traces kept for the trace view
	maxSpans       = 200             // spans kept per trace (a fan-out storm stays readable)
	maxPayload     = 16 << 10        // event/response bytes kept per invocation
	maxInvLogs     = 200             // log lines kept per invocation
	durWindowN     = 1000            // p50/p99 over the last 1000 invocations...
	durWindowAge   = 5 * time.Minute // ...or the last 5 minutes, whichever is fewer
	sparkLen       = 180             // concurrency samples, one a second: 3 minutes
	// maxResources caps the topics kept, and the tables kept; the rest
	// are counted. A list of more than a few hundred rows is scrolled
	// rather than read, and every row is formatted on each frame, while a
	// script can create thousands (SNS allows 100,000 topics an account).
	maxResources = 500
)

// ring is a fixed-capacity FIFO; pushing onto a full ring evicts the oldest.
type ring[T any] struct {
	buf   []T
	start int
	n     int
}

func newRing[T any](capacity int) ring[T] { return ring[T]{buf: make([]T, capacity)} }

// push appends v and reports the evicted element, if any.
func (r *ring[T]) push(v T) (old T, evicted bool) {
	if r.n < len(r.buf) {
		r.buf[(r.start+r.n)%len(r.buf)] = v
		r.n++
		return old, false
	}
	old = r.buf[r.start]
	r.buf[r.start] = v
	r.start = (r.start + 1) % len(r.buf)
	return old, true
}

func (r *ring[T]) len() int { return r.n }

// at returns element i, 0 being the oldest.
func (r *ring[T]) at(i int) T { return r.buf[(r.start+i)%len(r.buf)] }

// last returns element i counted from the newest (0 = newest).
func (r *ring[T]) last(i int) T { return r.at(r.n - 1 - i) }

type buildState int

const (
	buildUnknown buildState = iota
	buildBuilding
	buildReady
	buildFailed
)

type durSample struct {
	at time.Time
	d  time.Duration
}

// fnStats is everything the dashboard knows about one function.
type fnStats struct {
	name string
	info *FunctionInfo // nil when the function is not (or no longer) in Info

	build       buildState
	gen         int
	buildErr    string
	buildOutput string
	buildDur    time.Duration
	buildReason string
	buildAt     time.Time

	busy, idle, queued, limit int
	peak                      int // highest busy since the last spark sample

	inv, errs, throttles, colds int
	durs                        ring[durSample]
	spark                       ring[int]

	statsDirty bool
	p50, p99   time.Duration
	nWindow    int
}

// invocation is one row of the invocations list.
type invocation struct {
	seq        uint64
	reqID      string
	traceID    string
	function   string
	trigger    string
	status     string // telemetry status, or "running"
	errType    string
	envID      string
	gen        int
	async      bool
	cold       bool
	start, end time.Time
	dur        time.Duration
	initDur    time.Duration
	billedMs   int64
	memMB      int
	maxMemMB   int
	event      []byte
	response   []byte
	logs       []string
	finished   bool
	throttled  bool // counted as a throttle already
}

const statusRunning = "running"

// resource is what topics and tables share: whether the project declares
// them, and when they were last named, so a listing of the services drops
// only the ones it knows are gone.
type resource struct {
	declared bool   // named in Info (slsx.yaml), not created at runtime
	touched  uint64 // store.listGen when Info or traffic last named it
}

func (r *resource) res() *resource { return r }

type topicStats struct {
	resource
	name                         string
	published, delivered, failed int
	seen                         map[string]string // subscription -> "protocol:endpoint", from deliveries
	// listed is set once the Source listed the topic's subscriptions:
	// nConfirmed and nPending count them all, subs keeps the first
	// maxSubsShown for the details. Until then the seen ones stand in.
	listed               bool
	nConfirmed, nPending int
	subs                 []Subscription
}

// setSubs records the Source's list, defusing control characters in it
// as clean does for events.
func (t *topicStats) setSubs(subs []Subscription) {
	t.listed, t.nConfirmed, t.nPending, t.subs = true, 0, 0, t.subs[:0]
	for _, s := range subs {
		if s.Pending {
			t.nPending++
		} else {
			t.nConfirmed++
		}
		if len(t.subs) < maxSubsShown {
			t.subs = append(t.subs, Subscription{ARN: sanitize(s.ARN), Protocol: sanitize(s.Protocol), Endpoint: sanitize(s.Endpoint), Pending: s.Pending})
		}
	}
}

// confirmed is the SUBS column: the topic's confirmed subscriptions when
// the Source lists them, else those seen delivering.
func (t *topicStats) confirmed() int {
	if !t.listed {
		return len(t.seen)
	}
	return t.nConfirmed
}

type tableStats struct {
	resource
	name      string
	writes    int
	ops       map[string]int
	batches   int
	records   int
	batchErrs int
	items     int // -1 unknown
	lastKeys  string
}

// buildEntry is one line of reload history.
type buildEntry struct {
	at       time.Time
	kind     string // "change", "build", "swap", "config"
	function string
	gen      int
	oldGen   int
	dur      time.Duration
	running  bool
	err      string
	output   string
	reason   string
	paths    []string
	fns      []string
}

type logEntry struct {
	at     time.Time
	source string // "slsx" or a function name
	reqID  string // the request a function line was written during
	level  string
	text   string
}

// store folds telemetry events into the dashboard's state. It does no I/O
// and every operation is O(1) amortised per event, so Update stays cheap at
// any event rate.
type store struct {
	info  Info
	start time.Time

	totInv, totErr, totThr, totCold int
	dropped                         uint64

	fns     map[string]*fnStats
	fnOrder []string

	seq   uint64
	invs  ring[*invocation]
	byReq map[string]*invocation

	traces traceStore

	topics     map[string]*topicStats
	topicOrder []string
	tables     map[string]*tableStats
	tableOrder []string
	// topicsMore and tablesMore count the resources beyond maxResources:
	// exactly when the Source lists them, -1 when only traffic named them.
	topicsMore, tablesMore int
	listGen                uint64 // bumped as each listing is asked for

	builds      ring[*buildEntry]
	pendBuild   map[string]*buildEntry // function -> running build
	building    map[string]bool
	failed      map[string]bool
	configErr   string
	buildsSeq   uint64
	logs        ring[logEntry]
	logsSeq     uint64
	invSeq      uint64 // bumped when the invocation list changes
	resourceSeq uint64
}

func newStore(info Info, now time.Time) *store {
	s := &store{
		start:     now,
		fns:       map[string]*fnStats{},
		invs:      newRing[*invocation](maxInvocations),
		byReq:     map[string]*invocation{},
		traces:    newTraceStore(),
		topics:    map[string]*topicStats{},
		tables:    map[string]*tableStats{},
		builds:    newRing[*buildEntry](maxBuilds),
		pendBuild: map[string]*buildEntry{},
		building:  map[string]bool{},
		failed:    map[string]bool{},
		logs:      newRing[logEntry](maxLogs),
	}
	s.setInfo(info)
	return s
}

func (s *store) setInfo(info Info) {
	info = cleanInfo(info)
	s.info = info
	for _, f := range s.fns {
		f.info = nil
	}
	for i := range info.Functions {
		fi := info.Functions[i]
		f := s.fn(fi.Name)
		f.info = &fi
		if f.limit == 0 {
			f.limit = fi.Concurrency
		}
	}
	for _, t := range s.topics {
		t.declared = false
	}
	for _, t := range s.tables {
		t.declared = false
	}
	for _, name := range info.Topics {
		if t := s.topic(name); t != nil {
			t.declared = true
		}
	}
	for _, name := range info.Tables {
		if t := s.table(name); t != nil {
			t.declared = true
		}
	}
	s.resourceSeq++
}

func (s *store) fn(name string) *fnStats {
	if f, ok := s.fns[name]; ok {
		return f
	}
	f := &fnStats{name: name, durs: newRing[durSample](durWindowN), spark: newRing[int](sparkLen)}
	s.fns[name] = f
	s.fnOrder = insertSorted(s.fnOrder, name)
	return f
}

// topic returns the topic named name, adding it when new; nil when
// maxResources topics are kept already.
func (s *store) topic(name string) *topicStats {
	if t, ok := s.topics[name]; ok {
		t.touched = s.listGen
		return t
	}
	if len(s.topics) >= maxResources {
		if s.topicsMore == 0 {
			s.topicsMore = -1
		}
		return nil
	}
	t := &topicStats{name: name, seen: map[string]string{}}
	t.touched = s.listGen
	s.topics[name] = t
	s.topicOrder = insertSorted(s.topicOrder, name)
	return t
}

// table returns the table named name, adding it when new; nil when
// maxResources tables are kept already.
func (s *store) table(name string) *tableStats {
	if t, ok := s.tables[name]; ok {
		t.touched = s.listGen
		return t
	}
	if len(s.tables) >= maxResources {
		if s.tablesMore == 0 {
			s.tablesMore = -1
		}
		return nil
	}
	t := &tableStats{name: name, ops: map[string]int{}, items: -1}
	t.touched = s.listGen
	s.tables[name] = t
	s.tableOrder = insertSorted(s.tableOrder, name)
	return t
}

// listed makes the topics and tables follow a listing of the services
// asked for at generation gen; names are sorted and unique.
func (s *store) listed(gen uint64, topics, tables []string) {
	s.topicsMore = follow(s.topics, &s.topicOrder, topics, gen, func(n string) { s.topic(n) })
	s.tablesMore = follow(s.tables, &s.tableOrder, tables, gen, func(n string) { s.table(n) })
	s.resourceSeq++
}

// follow makes one kind of resource follow the services' listing of it.
// Ones gone from the listing are dropped with their counters, unless Info
// or traffic named them after the listing was asked for (it may predate
// their creation); new ones are added in name order while there is room.
// It returns how many listed names are not kept.
func follow[T interface{ res() *resource }](m map[string]T, order *[]string, listed []string, gen uint64, add func(string)) int {
	kept, present := (*order)[:0], 0
	j := 0
	for _, name := range *order { // both sorted: one merge pass
		for j < len(listed) && listed[j] < name {
			j++
		}
		switch {
		case j < len(listed) && listed[j] == name:
			present++
		case m[name].res().touched >= gen:
		default:
			delete(m, name)
			continue
		}
		kept = append(kept, name)
	}
	*order = kept
	for _, name := range listed {
		if len(m) >= maxResources {
			break
		}
		if _, ok := m[name]; !ok {
			add(name)
			present++
		}
	}
	return len(listed) - present
}

func insertSorted(list []string, v string) []string {
	i := sort.SearchStrings(list, v)
	list = append(list, "")
	copy(list[i+1:], list[i:])
	list[i] = v
	return list
}

// topicName turns a topic ARN into its name; names pass through.
func topicName(arn string) string {
	if i := strings.LastIndexByte(arn, ':'); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

func clip(b []byte) []byte {
	if len(b) <= maxPayload {
		return append([]byte(nil), b...)
	}
	return append(append([]byte(nil), b[:maxPayload]...), "…(truncated)"...)
}

// clipText keeps at most max bytes of s, cut on a rune boundary.
func clipText(s string, max int) string {
	if len(s) <= max {
		return s
	}
	for max > 0 && !utf8.RuneStart(s[max]) {
		max--
	}
	return s[:max] + "…"
}

func clipLogs(l []string) []string {
	if len(l) > maxInvLogs {
		out := append([]string(nil), l[:maxInvLogs-1]...)
		return append(out, "…(truncated)")
	}
	return append([]string(nil), l...)
}

// invocation returns the row for reqID, creating it when new.
func (s *store) invocation(reqID string, at time.Time) *invocation {
	if inv, ok := s.byReq[reqID]; ok && reqID != "" {
		return inv
	}
	s.seq++
	inv := &invocation{seq: s.seq, reqID: reqID, start: at, status: statusRunning}
	if old, evicted := s.invs.push(inv); evicted && s.byReq[old.reqID] == old {
		delete(s.byReq, old.reqID)
	}
	if reqID != "" {
		s.byReq[reqID] = inv
	}
	return inv
}

func isFailure(status string) bool {
	return status == telemetry.StatusError || status == telemetry.StatusTimeout || status == telemetry.StatusCrash
}

// apply folds one event into the state.
func (s *store) apply(e telemetry.Event) {
	switch e := clean(e).(type) {
	case telemetry.InvocationStarted:
		inv := s.invocation(e.RequestID, e.Time)
		inv.start = e.Time
		inv.traceID, inv.function, inv.trigger = e.TraceID, e.Function, e.Trigger
		inv.gen, inv.async, inv.cold, inv.envID = e.Generation, e.Async, e.Cold, e.EnvID
		inv.event = clip(e.Event)
		s.invSeq++
		s.traces.invocationStarted(e)
	case telemetry.InvocationFinished:
		s.invocationFinished(e)
		s.traces.invocationFinished(e)
	case telemetry.Throttled:
		f := s.fn(e.Function)
		f.throttles++
		s.totThr++
		if !e.Async {
			inv := s.invocation(e.RequestID, e.Time)
			inv.function, inv.trigger = e.Function, e.Trigger
			inv.status, inv.finished, inv.throttled = telemetry.StatusThrottled, true, true
			inv.errType = "TooManyRequestsException"
			inv.end = e.Time
			s.invSeq++
		}
	case telemetry.LogLine:
		// A line written during a request belongs to its invocation and
		// to the logs pane, where output of every function interleaves.
		if inv, ok := s.byReq[e.RequestID]; ok && e.RequestID != "" {
			if !inv.finished && len(inv.logs) < maxInvLogs {
				inv.logs = append(inv.logs, e.Line)
			}
		}
		s.addLog(logEntry{at: e.Time, source: e.Function, reqID: e.RequestID, text: clipText(e.Line, maxLogText)})
	case telemetry.Log:
		s.addLog(logEntry{at: e.Time, source: "slsx", level: e.Level, text: e.Message})
	case telemetry.EnvStarted:
		s.fn(e.Function)
	case telemetry.EnvStopped:
		if e.Reason == "crash" || e.Reason == "timeout" || e.Reason == "init-error" {
			s.addLog(logEntry{at: e.Time, source: e.Function, level: "WARN",
				text: "environment " + e.EnvID + " stopped: " + e.Reason})
		}
	case telemetry.PoolState:
		f := s.fn(e.Function)
		f.busy, f.idle, f.queued = e.Busy, e.Idle, e.Queued
		if e.Limit > 0 {
			f.limit = e.Limit
		}
		if e.Busy > f.peak {
			f.peak = e.Busy
		}
	case telemetry.BuildStarted:
		f := s.fn(e.Function)
		f.build, f.buildReason = buildBuilding, e.Reason
		s.building[e.Function] = true
		b := &buildEntry{at: e.Time, kind: "build", function: e.Function, gen: e.Generation, running: true, reason: e.Reason}
		s.pendBuild[e.Function] = b
		s.pushBuild(b)
	case telemetry.BuildFinished:
		f := s.fn(e.Function)
		f.buildDur, f.buildOutput, f.buildErr, f.buildAt = e.Duration, e.Output, e.Err, e.Time
		delete(s.building, e.Function)
		if e.Err != "" {
			f.build = buildFailed
			s.failed[e.Function] = true
		} else {
			f.build = buildReady
			delete(s.failed, e.Function)
			if f.gen == 0 {
				f.gen = e.Generation
			}
		}
		b := s.pendBuild[e.Function]
		if b == nil || b.gen != e.Generation {
			b = &buildEntry{at: e.Time, kind: "build", function: e.Function, gen: e.Generation}
			s.pushBuild(b)
		}
		delete(s.pendBuild, e.Function)
		b.running, b.dur, b.err, b.output = false, e.Duration, e.Err, e.Output
		s.buildsSeq++
	case telemetry.Swapped:
		f := s.fn(e.Function)
		f.gen = e.NewGeneration
		if f.build != buildFailed {
			f.build = buildReady
		}
		if e.OldGeneration != 0 { // 0: first deployment, not a reload
			s.pushBuild(&buildEntry{at: e.Time, kind: "swap", function: e.Function, gen: e.NewGeneration, oldGen: e.OldGeneration})
		}
	case telemetry.ChangeDetected:
		s.pushBuild(&buildEntry{at: e.Time, kind: "change", paths: append([]string(nil), e.Paths...), fns: append([]string(nil), e.Functions...)})
	case telemetry.ConfigReloaded:
		s.configErr = e.Err
		s.pushBuild(&buildEntry{at: e.Time, kind: "config", err: e.Err})
	case telemetry.HTTPRequest:
		s.traces.add(e.TraceID, span{kind: spanHTTP, start: e.Time.Add(-e.Duration), end: e.Time,
			function: e.Function, method: e.Method, path: e.Path, routeKey: e.RouteKey, api: e.API,
			httpStatus: e.Status, reqID: e.RequestID})
	case telemetry.SNSPublished:
		name := topicName(e.Topic)
		if t := s.topic(name); t != nil {
			t.published++
		}
		s.resourceSeq++
		s.traces.add(e.TraceID, span{kind: spanPublish, start: e.Time, end: e.Time, topic: name, messageID: e.MessageID})
	case telemetry.SNSDelivered:
		name := topicName(e.Topic)
		if t := s.topic(name); t != nil {
			if e.Err != "" {
				t.failed++
			} else {
				t.delivered++
			}
			if e.Subscription != "" {
				t.seen[e.Subscription] = e.Protocol + ":" + e.Endpoint
			}
		}
		s.resourceSeq++
		s.traces.add(e.TraceID, span{kind: spanDeliver, start: e.Time, end: e.Time, topic: name,
			messageID: e.MessageID, protocol: e.Protocol, endpoint: e.Endpoint, attempt: e.Attempt, err: e.Err})
	case telemetry.DynamoWrite:
		if t := s.table(e.Table); t != nil {
			t.writes++
			t.ops[e.Op]++
			t.lastKeys = e.Keys
		}
		s.resourceSeq++
		s.traces.add(e.TraceID, span{kind: spanWrite, start: e.Time, end: e.Time, table: e.Table, op: e.Op, keys: e.Keys})
	case telemetry.StreamBatch:
		if t := s.table(e.Table); t != nil {
			t.batches++
			t.records += e.Records
			if e.Err != "" {
				t.batchErrs++
			}
		}
		s.resourceSeq++
		s.traces.add(e.TraceID, span{kind: spanStream, start: e.Time, end: e.Time, table: e.Table,
			function: e.Function, records: e.Records, err: e.Err})
	}
}

func (s *store) invocationFinished(e telemetry.InvocationFinished) {
	inv := s.invocation(e.RequestID, e.Time.Add(-e.Duration))
	if inv.finished && inv.status != telemetry.StatusThrottled {
		return // duplicate
	}
	inv.end = e.Time
	inv.traceID, inv.function, inv.trigger = e.TraceID, e.Function, e.Trigger
	inv.gen, inv.async, inv.cold, inv.envID = e.Generation, e.Async, e.Cold, e.EnvID
	inv.status, inv.errType, inv.dur, inv.initDur = e.Status, e.ErrorType, e.Duration, e.InitDuration
	inv.billedMs, inv.memMB, inv.maxMemMB = e.BilledMs, e.MemoryMB, e.MaxMemoryMB
	inv.response = clip(e.Response)
	if len(e.Logs) > 0 {
		inv.logs = clipLogs(e.Logs)
	}
	inv.finished = true
	s.invSeq++

	f := s.fn(e.Function)
	if e.Status == telemetry.StatusThrottled {
		if !inv.throttled {
			inv.throttled = true
			f.throttles++
			s.totThr++
		}
		return
	}
	f.inv++
	s.totInv++
	if isFailure(e.Status) {
		f.errs++
		s.totErr++
	}
	if e.Cold {
		f.colds++
		s.totCold++
	}
	f.durs.push(durSample{at: e.Time, d: e.Duration})
	f.statsDirty = true
}

func (s *store) pushBuild(b *buildEntry) {
	s.builds.push(b)
	s.buildsSeq++
}

func (s *store) addLog(l logEntry) {
	s.logs.push(l)
	s.logsSeq++
}

// sample records one concurrency sample per function; called once a second.
func (s *store) sample() {
	for _, f := range s.fns {
		v := f.peak
		if f.busy > v {
			v = f.busy
		}
		f.spark.push(v)
		f.peak = f.busy
		f.statsDirty = true // the 5-minute window moves
	}
}

// stats returns p50 and p99 over the recent window, recomputing lazily.
func (f *fnStats) stats(now time.Time) (p50, p99 time.Duration, n int) {
	if !f.statsDirty {
		return f.p50, f.p99, f.nWindow
	}
	ds := make([]time.Duration, 0, f.durs.len())
	for i := 0; i < f.durs.len(); i++ {
		d := f.durs.last(i)
		if now.Sub(d.at) > durWindowAge {
			break
		}
		ds = append(ds, d.d)
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	f.p50, f.p99, f.nWindow = percentile(ds, 50), percentile(ds, 99), len(ds)
	f.statsDirty = false
	return f.p50, f.p99, f.nWindow
}

// percentile is the nearest-rank percentile of sorted ds.
func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	rank := (p*len(ds) + 99) / 100 // ceil(p/100 * n)
	if rank < 1 {
		rank = 1
	}
	return ds[rank-1]
}

// watcherState summarises the reload machinery for the header.
func (s *store) watcherState() (state string, fns []string) {
	if len(s.building) > 0 {
		return "building", sortedKeys(s.building)
	}
	if s.configErr != "" {
		return "config error", nil
	}
	if len(s.failed) > 0 {
		return "build failed", sortedKeys(s.failed)
	}
	return "watching", nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
