package dynamodb

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/slsx/slsx/emulator/config"
	"github.com/slsx/slsx/emulator/lambda"
	"github.com/slsx/slsx/emulator/sns/filter"
	"github.com/slsx/slsx/emulator/telemetry"
)

// Event-source mapping timing.
const (
	// pollInterval is how often an idle mapping looks for a table or stream
	// that does not exist yet; new records wake it at once.
	pollInterval = 250 * time.Millisecond
	// maxPayload is Lambda's synchronous payload limit (6 MB).
	maxPayload = 6 << 20
	// retryBase and retryMax bound the backoff between failed batches.
	retryBase = 200 * time.Millisecond
	retryMax  = 5 * time.Second
)

// mappings runs the stream event-source mappings.
type mappings struct {
	s       *Service
	mu      sync.Mutex
	running map[string]*mapping
	// checkpoints survive a mapping's replacement on hot reload, and a
	// restart with a data directory, so a mapping resumes where it stopped.
	checkpoints *cpStore
}

type checkpoint struct {
	arn string
	pos uint64
}

type mapping struct {
	cfg     config.StreamTrigger
	filters *filter.Patterns // parsed cfg.Filters
	win     *window          // the open tumbling window; only runMapping touches it
	key     string
	store   *cpStore
	cancel  context.CancelFunc
	done    chan struct{}
	cp      checkpoint
	cpMu    sync.Mutex
}

func newMappings(s *Service) *mappings {
	return &mappings{s: s, running: map[string]*mapping{}, checkpoints: &cpStore{m: map[string]checkpoint{}, log: s.log}}
}

// cpStoreName is the checkpoint file in the data directory ('+' keeps it
// apart from table files, and it must not end in .json, which marks them).
const cpStoreName = "+stream-checkpoints"

// cpStore holds each mapping's checkpoint: the stream and the sequence
// number of the last record it delivered (or gave up on). With a path,
// every change is written through (write, rename), so a restarted slsx,
// even after kill -9, resumes a mapping after the last batch it finished.
type cpStore struct {
	mu   sync.Mutex
	path string // "" keeps checkpoints in memory
	m    map[string]checkpoint
	log  *slog.Logger
}

type cpFileEntry struct {
	Table, Function, StreamArn, SequenceNumber string
}

func (c *cpStore) load(path string) error {
	c.path = path
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	var list []cpFileEntry
	if err == nil {
		err = json.Unmarshal(b, &list)
	}
	if err != nil {
		return fmt.Errorf("read stream checkpoints %s (delete it to start the stream triggers afresh): %w", path, err)
	}
	for _, e := range list {
		pos, err := strconv.ParseUint(e.SequenceNumber, 10, 64)
		if err != nil {
			return fmt.Errorf("read stream checkpoints %s (delete it to start the stream triggers afresh): %w", path, err)
		}
		c.m[e.Table+"\x00"+e.Function] = checkpoint{arn: e.StreamArn, pos: pos}
	}
	return nil
}

func (c *cpStore) get(key string) (checkpoint, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cp, ok := c.m[key]
	return cp, ok
}

func (c *cpStore) set(key string, cp checkpoint) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m[key] == cp {
		return
	}
	c.m[key] = cp
	if c.path == "" {
		return
	}
	list := make([]cpFileEntry, 0, len(c.m))
	for k, cp := range c.m {
		tbl, fn, _ := strings.Cut(k, "\x00")
		list = append(list, cpFileEntry{Table: tbl, Function: fn, StreamArn: cp.arn, SequenceNumber: seqString(cp.pos)})
	}
	sort.Slice(list, func(i, j int) bool {
		return list[i].Table+"\x00"+list[i].Function < list[j].Table+"\x00"+list[j].Function
	})
	b, _ := json.MarshalIndent(list, "", "  ")
	tmp := c.path + ".tmp"
	err := os.WriteFile(tmp, b, 0o644)
	if err == nil {
		err = os.Rename(tmp, c.path)
	}
	if err != nil {
		// The mapping goes on; a restart may deliver again what it
		// delivered since the last checkpoint that was saved.
		c.log.Error("dynamodb stream checkpoint not saved", "err", err)
	}
}

func mappingKey(t *config.StreamTrigger) string { return t.Table + "\x00" + t.Function }

// SetStreamTriggers replaces the running event-source mappings. Unchanged
// triggers keep running; changed ones restart from their checkpoint;
// removed or disabled ones stop (a disabled one keeps its checkpoint).
func (s *Service) SetStreamTriggers(triggers []*config.StreamTrigger) {
	m := s.esm
	m.mu.Lock()
	defer m.mu.Unlock()
	want := map[string]config.StreamTrigger{}
	for _, t := range triggers {
		if t == nil || !t.Enabled {
			continue
		}
		c := *t
		if c.BatchSize <= 0 {
			c.BatchSize = 100
		}
		if c.StartingPosition == "" {
			c.StartingPosition = "LATEST"
		}
		want[mappingKey(t)] = c
	}
	for k, mp := range m.running {
		if c, ok := want[k]; ok && c.Equal(mp.cfg) {
			delete(want, k)
			continue
		}
		mp.cancel()
		<-mp.done
		delete(m.running, k)
	}
	if s.ctx.Err() != nil {
		return
	}
	if s.invoker == nil && len(want) > 0 {
		s.log.Warn("dynamodb stream triggers ignored: no Lambda service to invoke", "triggers", len(want))
		return
	}
	for k, c := range want {
		filters, err := parseFilters(c.Filters)
		if err != nil {
			// The loaders check patterns; this guards other callers.
			s.log.Error("dynamodb stream trigger not started", "table", c.Table, "function", c.Function, "err", err)
			continue
		}
		ctx, cancel := context.WithCancel(s.ctx)
		mp := &mapping{cfg: c, filters: filters, key: k, store: m.checkpoints, cancel: cancel, done: make(chan struct{})}
		if cp, ok := m.checkpoints.get(k); ok {
			mp.cp = cp
		}
		m.running[k] = mp
		go func() {
			defer close(mp.done)
			s.runMapping(ctx, mp)
		}()
	}
}

func (m *mappings) stopAll() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, mp := range m.running {
		mp.cancel()
		<-mp.done
		delete(m.running, k)
	}
}

func (mp *mapping) checkpoint() checkpoint {
	mp.cpMu.Lock()
	defer mp.cpMu.Unlock()
	return mp.cp
}

func (mp *mapping) setCheckpoint(cp checkpoint) {
	mp.cpMu.Lock()
	mp.cp = cp
	mp.cpMu.Unlock()
	mp.store.set(mp.key, cp)
}

// currentStream returns the table's enabled stream, or nil.
func (s *Service) currentStream(name string) *stream {
	t := s.table(name)
	if t == nil {
		return nil
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	if !t.meta.StreamEnabled {
		return nil
	}
	return t.stream
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-tm.C:
		return true
	}
}

func (s *Service) runMapping(ctx context.Context, mp *mapping) {
	cfg := mp.cfg
	for ctx.Err() == nil {
		st := s.currentStream(cfg.Table)
		if st == nil {
			if !sleepCtx(ctx, pollInterval) {
				return
			}
			continue
		}
		cp := mp.checkpoint()
		if cp.arn != st.arn {
			// A new stream (first start, or the stream was re-enabled).
			pos := st.startSeq - 1
			if cfg.StartingPosition != "TRIM_HORIZON" && cp.arn == "" {
				pos = st.last()
			}
			cp = checkpoint{arn: st.arn, pos: pos}
			mp.setCheckpoint(cp)
		}
		recs, wake := st.after(cp.pos, cfg.BatchSize)
		if len(recs) == 0 {
			if mp.win != nil && !time.Now().Before(mp.win.end()) {
				if !s.closeWindow(ctx, mp, st) {
					return
				}
				continue
			}
			select {
			case <-ctx.Done():
				return
			case <-wake:
			case <-time.After(pollInterval):
			}
			continue
		}
		if len(recs) < cfg.BatchSize && cfg.BatchingWindow > 0 {
			deadline := time.Now().Add(cfg.BatchingWindow)
			for len(recs) < cfg.BatchSize && time.Now().Before(deadline) {
				var w <-chan struct{}
				recs, w = st.after(cp.pos, cfg.BatchSize)
				if len(recs) >= cfg.BatchSize {
					break
				}
				select {
				case <-ctx.Done():
					return
				case <-w:
				case <-time.After(time.Until(deadline)):
				}
			}
			recs, _ = st.after(cp.pos, cfg.BatchSize)
		}
		if cfg.TumblingWindow > 0 {
			// A batch holds the records of one window; the previous
			// window closes (its final invocation) before the next opens.
			recs = sameWindow(recs, cfg.TumblingWindow)
			start := windowStart(recs[0].at, cfg.TumblingWindow)
			if mp.win != nil && !mp.win.start.Equal(start) && !s.closeWindow(ctx, mp, st) {
				return
			}
		}
		// Records no filter matches are done: the checkpoint moves past
		// them, and an all-filtered batch invokes nothing.
		end := recs[len(recs)-1].seq
		recs = mp.match(recs, st.arn)
		if len(recs) == 0 {
			mp.setCheckpoint(checkpoint{arn: st.arn, pos: end})
			continue
		}
		if capped := capPayload(recs, st.arn); len(capped) < len(recs) {
			recs, end = capped, capped[len(capped)-1].seq
		}
		if cfg.TumblingWindow > 0 && mp.win == nil {
			mp.win = &window{start: windowStart(recs[0].at, cfg.TumblingWindow), size: cfg.TumblingWindow, state: json.RawMessage("{}")}
		}
		if !s.deliver(ctx, mp, st, recs, 0) {
			return
		}
		mp.setCheckpoint(checkpoint{arn: st.arn, pos: end})
		// A state past its limit ends the window early; its next batch
		// starts afresh in the same window.
		if mp.win != nil && mp.win.early && !s.closeWindow(ctx, mp, st) {
			return
		}
	}
}

// capPayload trims a batch so its event stays under Lambda's 6 MB limit.
func capPayload(recs []*streamRec, arn string) []*streamRec {
	size := 16
	for i, r := range recs {
		size += len(r.body) + len(arn) + 24
		if i > 0 && size > maxPayload {
			return recs[:i]
		}
	}
	return recs
}

func buildEvent(recs []*streamRec, arn string) []byte {
	b := []byte(`{"Records":[`)
	for i, r := range recs {
		if i > 0 {
			b = append(b, ',')
		}
		b = r.appendLambda(b, arn)
	}
	return append(b, "]}"...)
}

// appendLambda appends the record as the Lambda event carries it.
func (r *streamRec) appendLambda(b []byte, arn string) []byte {
	b = append(b, r.body...)
	if r.ttl {
		b = append(b, ttlIdentityLambda...)
	}
	b = append(b, `,"eventSourceARN":`...)
	b = appendJSONString(b, arn)
	return append(b, '}')
}

// deliver invokes the function with recs until the batch succeeds or is
// given up (retries exhausted, records too old); it returns false only
// when ctx ended. attempts counts the failed invocations of this batch so
// far.
func (s *Service) deliver(ctx context.Context, mp *mapping, st *stream, recs []*streamRec, attempts int) bool {
	cfg := mp.cfg
	var last outcome // the latest failed invocation, for the failure record
	for {
		if ctx.Err() != nil {
			return false
		}
		if n := expired(recs, cfg.MaximumRecordAge, time.Now()); n > 0 {
			// Records past MaximumRecordAge are neither invoked nor
			// retried: they are discarded, oldest first.
			s.discard(mp, st, recs[:n], condRecordAge, attempts, last)
			mp.setCheckpoint(checkpoint{arn: st.arn, pos: recs[n-1].seq})
			recs = recs[n:]
			if len(recs) == 0 {
				return true
			}
		}
		out := s.invokeBatch(ctx, mp, st, recs)
		if out.errText == "" {
			return true
		}
		if out.platform {
			// Throttles and service errors retry without counting.
			if !sleepCtx(ctx, backoff(attempts+1)) {
				return false
			}
			continue
		}
		attempts++
		last = out
		if cfg.MaximumRetryAttempts >= 0 && attempts > cfg.MaximumRetryAttempts {
			if out.failedFrom > 0 {
				// What the partial response reported done stays done.
				mp.setCheckpoint(checkpoint{arn: st.arn, pos: recs[out.failedFrom-1].seq})
				recs = recs[out.failedFrom:]
			}
			s.discard(mp, st, recs, condRetries, attempts, last)
			return true
		}
		if out.failedFrom > 0 {
			// Partial batch response: everything before the lowest
			// reported failure is done; the batch is split there (which
			// is also what bisection does with a partial response).
			mp.setCheckpoint(checkpoint{arn: st.arn, pos: recs[out.failedFrom-1].seq})
			recs = recs[out.failedFrom:]
		} else if cfg.BisectBatchOnFunctionError && len(recs) > 1 {
			half := len(recs) / 2
			if !s.deliver(ctx, mp, st, recs[:half], attempts) {
				return false
			}
			mp.setCheckpoint(checkpoint{arn: st.arn, pos: recs[half-1].seq})
			return s.deliver(ctx, mp, st, recs[half:], attempts)
		}
		if !sleepCtx(ctx, backoff(attempts)) {
			return false
		}
	}
}

func backoff(attempt int) time.Duration {
	d := retryBase << min(attempt, 8)
	return min(d, retryMax)
}

// outcome is the result of one invocation of a batch. errText is "" on
// success; with a partial batch response failedFrom is the index of the
// lowest failed record; platform marks errors that are not the function's.
type outcome struct {
	failedFrom int
	errText    string
	platform   bool
	res        lambda.Result
}

// invokeBatch runs one invocation.
func (s *Service) invokeBatch(ctx context.Context, mp *mapping, st *stream, recs []*streamRec) (out outcome) {
	cfg := mp.cfg
	trace := ""
	for _, r := range recs {
		if r.trace != "" {
			trace = r.trace
			break
		}
	}
	ev := telemetry.StreamBatch{At: telemetry.Now(), Table: cfg.Table, Function: cfg.Function, Records: len(recs), TraceID: trace}
	defer func() {
		ev.Err = out.errText
		if s.bus != nil {
			s.bus.Publish(ev)
		}
	}()
	if s.invoker == nil {
		return outcome{errText: "no Lambda service to invoke " + cfg.Function, platform: true}
	}
	payload := buildEvent(recs, st.arn)
	if mp.win != nil {
		payload = mp.win.event(recs, st, false)
	}
	res, err := s.invoker.Invoke(ctx, lambda.Request{
		Function: cfg.Function,
		Payload:  payload,
		Type:     lambda.RequestResponse,
		Trigger:  "ddb:" + cfg.Table,
		TraceID:  trace,
	})
	if err != nil {
		return outcome{errText: err.Error(), platform: true}
	}
	out.res = res
	if res.FunctionError != "" {
		out.errText = fmt.Sprintf("%s: %s", res.FunctionError, bytes.TrimSpace(res.Payload))
		return out
	}
	if mp.win != nil {
		if msg := mp.win.keepState(res.Payload); msg != "" {
			out.errText = msg
			return out
		}
	}
	if cfg.ReportBatchItemFailures {
		out.failedFrom, out.errText = batchItemFailures(res.Payload, recs)
	}
	return out
}

// batchItemFailures interprets a ReportBatchItemFailures response.
func batchItemFailures(payload []byte, recs []*streamRec) (int, string) {
	p := bytes.TrimSpace(payload)
	if len(p) == 0 || string(p) == "null" {
		return 0, ""
	}
	var resp struct {
		BatchItemFailures []map[string]*string `json:"batchItemFailures"`
	}
	if err := json.Unmarshal(p, &resp); err != nil {
		return 0, "" // not a batch response: success
	}
	if len(resp.BatchItemFailures) == 0 {
		return 0, ""
	}
	lowest := -1
	for _, f := range resp.BatchItemFailures {
		id := f["itemIdentifier"]
		idx := -1
		if id != nil {
			for i, r := range recs {
				if seqString(r.seq) == *id {
					idx = i
					break
				}
			}
		}
		if idx < 0 {
			return 0, "invalid batchItemFailures itemIdentifier: the whole batch failed"
		}
		if lowest < 0 || idx < lowest {
			lowest = idx
		}
	}
	return lowest, fmt.Sprintf("%d records reported as failed", len(recs)-lowest)
}
