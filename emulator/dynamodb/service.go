package dynamodb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/slsx/slsx/emulator/awsapi"
	"github.com/slsx/slsx/emulator/dynamodb/attr"
	"github.com/slsx/slsx/emulator/lambda"
	"github.com/slsx/slsx/emulator/telemetry"
)

// DefaultTTLPeriod is how often the TTL sweeper looks for expired items.
// AWS deletes "within days"; locally a few seconds keeps tests and demos
// snappy without measurable cost.
const DefaultTTLPeriod = 5 * time.Second

// Options configures a Service.
type Options struct {
	Identity  awsapi.Identity
	Bus       *telemetry.Bus
	DataDir   string         // "" keeps everything in memory
	Invoker   lambda.Invoker // runs stream triggers; may be nil
	Publisher Publisher      // SNS, for stream triggers' on-failure topics; may be nil
	TTLPeriod time.Duration  // default DefaultTTLPeriod
	Logger    *slog.Logger
}

// Service is the DynamoDB and DynamoDB Streams emulator.
type Service struct {
	id      awsapi.Identity
	bus     *telemetry.Bus
	log     *slog.Logger
	dataDir string
	invoker lambda.Invoker
	pub     Publisher

	mu     sync.RWMutex
	tables map[string]*table

	tokens *tokenCache
	esm    *mappings
	seq    *seqSource
	// streamsMu guards streams on its own: streams are registered while
	// table locks are held, which must not wait for s.mu.
	streamsMu sync.Mutex
	streams   map[string]*stream // by ARN, including disabled streams
	// streamMaxBytes bounds each stream's records (streamMaxBytes).
	streamMaxBytes int

	txlog *txLog // nil without a data directory
	// txHook, set only by tests, runs between the writes of a
	// transaction (points "intent", "part", "done"; one table: "part").
	txHook func(point string)

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	closeOnce sync.Once
	closeErr  error
}

// New creates the service, loading the tables stored under opts.DataDir.
func New(opts Options) (*Service, error) {
	if opts.Identity.Account == "" {
		opts.Identity = awsapi.DefaultIdentity()
	}
	if opts.TTLPeriod <= 0 {
		opts.TTLPeriod = DefaultTTLPeriod
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Service{
		id:      opts.Identity,
		bus:     opts.Bus,
		log:     opts.Logger,
		dataDir: opts.DataDir,
		invoker: opts.Invoker,
		pub:     opts.Publisher,
		tables:  make(map[string]*table),
		tokens:  newTokenCache(),
		seq:     newSeqSource(),
		streams: make(map[string]*stream),
		ctx:     ctx,
		cancel:  cancel,

		streamMaxBytes: streamMaxBytes,
	}
	s.esm = newMappings(s)
	if s.dataDir != "" {
		if err := os.MkdirAll(s.dataDir, 0o755); err != nil {
			cancel()
			return nil, fmt.Errorf("create data directory: %w", err)
		}
		if err := s.esm.checkpoints.load(filepath.Join(s.dataDir, cpStoreName)); err != nil {
			cancel()
			return nil, err
		}
		if err := s.load(); err != nil {
			cancel()
			return nil, err
		}
	}
	s.wg.Add(1)
	go s.sweepTTL(opts.TTLPeriod)
	return s, nil
}

// Handler serves the DynamoDB JSON 1.0 API (X-Amz-Target DynamoDB_20120810.*).
func (s *Service) Handler() http.Handler {
	return &handler{s: s, prefix: targetDynamo, ops: dynamoOps}
}

// StreamsHandler serves the DynamoDB Streams API (DynamoDBStreams_20120810.*).
func (s *Service) StreamsHandler() http.Handler {
	return &handler{s: s, prefix: targetStreams, ops: streamOps}
}

// Close stops the background work and flushes every table to disk.
func (s *Service) Close() error {
	s.closeOnce.Do(func() {
		s.cancel()
		s.esm.stopAll()
		s.wg.Wait()
		s.mu.Lock()
		defer s.mu.Unlock()
		var errs []error
		for _, t := range s.tables {
			t.mu.Lock()
			if t.log != nil {
				if t.log.records > 2*t.liveRecords() {
					if err := s.compact(t); err != nil {
						errs = append(errs, err)
					}
				}
				errs = append(errs, t.log.close())
				t.log = nil
			}
			t.mu.Unlock()
		}
		errs = append(errs, s.txlog.close())
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

func (s *Service) tableARN(name string) string { return s.id.ARN("dynamodb", "table/"+name) }

// resolveName turns a TableName member (a name or a table ARN) into a name.
func resolveName(n string) string {
	if strings.HasPrefix(n, "arn:") {
		if i := strings.Index(n, ":table/"); i >= 0 {
			rest := n[i+len(":table/"):]
			if j := strings.IndexByte(rest, '/'); j >= 0 {
				rest = rest[:j]
			}
			return rest
		}
	}
	return n
}

// table returns the named table or nil.
func (s *Service) table(name string) *table {
	s.mu.RLock()
	t := s.tables[resolveName(name)]
	s.mu.RUnlock()
	return t
}

// lookup returns the named table or the data-plane ResourceNotFound error.
func (s *Service) lookup(name string) (*table, error) {
	if t := s.table(name); t != nil {
		return t, nil
	}
	return nil, errNotFound()
}

func (s *Service) metaPath(name string) string { return filepath.Join(s.dataDir, name+".json") }
func (s *Service) logPath(name string) string  { return filepath.Join(s.dataDir, name+".log") }

// saveMeta persists a table's definition atomically. Caller holds t.mu.
func (s *Service) saveMeta(t *table) error {
	if s.dataDir == "" {
		return nil
	}
	b, err := json.MarshalIndent(&t.meta, "", "  ")
	if err != nil {
		return err
	}
	tmp := s.metaPath(t.meta.Name) + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("write table definition: %w", err)
	}
	if err := os.Rename(tmp, s.metaPath(t.meta.Name)); err != nil {
		return fmt.Errorf("write table definition: %w", err)
	}
	return nil
}

// load reads every table definition, replays its log, and completes the
// transactions a kill interrupted.
func (s *Service) load() error {
	metas, err := filepath.Glob(filepath.Join(s.dataDir, "*.json"))
	if err != nil {
		return err
	}
	now := time.Now()
	for _, mp := range metas {
		b, err := os.ReadFile(mp)
		if err != nil {
			return fmt.Errorf("read table definition: %w", err)
		}
		t := &table{items: newItemTree()}
		if err := json.Unmarshal(b, &t.meta); err != nil {
			return fmt.Errorf("read table definition %s: %w", mp, err)
		}
		s.buildIndexes(t)
		m := &t.meta
		for _, ps := range m.PastStreams {
			if now.Sub(ps.Ended) <= streamRetention {
				t.past = append(t.past, newStream(s, t, ps.Label, ps.View, ps.Created, ps.StartSeq))
			}
		}
		if m.StreamLabel != "" {
			// A disabled stream stays readable too; it is closed below,
			// once its records are back.
			t.stream = newStream(s, t, m.StreamLabel, m.StreamView, m.StreamCreated, m.StreamStartSeq)
		}
		if err := s.replay(t); err != nil {
			return err
		}
		for _, st := range t.past {
			st.disable()
		}
		if t.stream != nil && !m.StreamEnabled {
			t.stream.disable()
		}
		s.tables[t.meta.Name] = t
	}
	return s.openTxLog()
}

func (s *Service) buildIndexes(t *table) {
	t.indexes = t.indexes[:0]
	for _, im := range t.meta.Indexes {
		t.indexes = append(t.indexes, &index{meta: im, tree: newIndexTree()})
	}
}

// replay loads a table's items and stream records from its log and opens
// the log for appends.
func (s *Service) replay(t *table) error {
	path := s.logPath(t.meta.Name)
	n, err := replayLog(path, func(r *logRec) error { return s.replayRec(t, r) })
	if err != nil {
		return fmt.Errorf("replay table %s: %w", t.meta.Name, err)
	}
	w, err := openWAL(path)
	if err != nil {
		return err
	}
	w.records = n
	t.log = w
	if n > 2*t.liveRecords()+1024 {
		return s.compact(t)
	}
	return nil
}

// replayRec applies one log record to a table being loaded.
func (s *Service) replayRec(t *table, r *logRec) error {
	if r.op == recStream || r.op == recTrim {
		s.seq.atLeast(r.seq)
		// Records of a stream that is no longer kept are dropped.
		st := s.streamByARN(s.tableARN(t.meta.Name) + "/stream/" + r.label)
		if st == nil || st.table != t.meta.Name {
			return nil
		}
		if r.op == recTrim {
			st.trimTo(r.seq)
			return nil
		}
		body := append([]byte(nil), r.data...)
		st.add(&streamRec{seq: r.seq, at: r.at, body: body, trace: r.trace, ttl: r.ttl}, time.Now())
		return nil
	}
	decode := len(t.indexes) > 0 || t.meta.TTLAttr != ""
	old := t.get(r.key)
	var oldItem attr.Item
	if old != nil && decode {
		oldItem = mustItem(old.data)
	}
	if r.op == recDelete {
		if old != nil {
			t.remove(old, oldItem)
		}
		return nil
	}
	d := make([]byte, len(r.data))
	copy(d, r.data)
	var it attr.Item
	if decode {
		it = mustItem(d)
	}
	t.put(r.key, d, r.size, it, old, oldItem)
	return nil
}

// compact rewrites the log as one put record per live item. Caller holds
// t.mu (or owns t exclusively).
func (s *Service) compact(t *table) error {
	if s.dataDir == "" {
		return nil
	}
	path := s.logPath(t.meta.Name)
	tmp := path + ".compact"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("compact table log: %w", err)
	}
	buf := make([]byte, 0, 1<<20)
	var werr error
	flush := func() bool {
		if len(buf) > 1<<20 {
			_, werr = f.Write(buf)
			buf = buf[:0]
		}
		return werr == nil
	}
	t.items.Scan(func(e *entry) bool {
		buf = appendRecord(buf, recPut, e.key, int(e.size), e.data)
		return flush()
	})
	records := t.items.Len()
	// Stream records the streams still hold go along, after the trim
	// horizon, which positions before them keep answering with.
	for _, st := range t.streams() {
		trimmed, recs := st.retained()
		if trimmed > 0 {
			buf = appendTrimRecord(buf, st.label, trimmed)
		}
		for _, r := range recs {
			if werr != nil {
				break
			}
			buf = appendStreamRecord(buf, st.label, r)
			records++
			flush()
		}
	}
	if werr == nil {
		_, werr = f.Write(buf)
	}
	if werr == nil {
		// The snapshot replaces the log by rename; make its bytes durable
		// first so a machine crash cannot leave an empty file in its place.
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		os.Remove(tmp)
		return fmt.Errorf("compact table log: %w", werr)
	}
	var refuse error
	if t.log != nil {
		refuse = t.log.err
		_ = t.log.close()
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("compact table log: %w", err)
	}
	w, err := openWAL(path)
	if err != nil {
		return err
	}
	// A table that refuses writes (see wal.err) goes on refusing them.
	w.records, w.err = records, refuse
	t.log = w
	return nil
}

// mustItem decodes stored item JSON, which was validated when written.
func mustItem(data []byte) attr.Item {
	it, err := attr.DecodeItem(data)
	if err != nil {
		panic(fmt.Sprintf("dynamodb: stored item does not decode: %v", err))
	}
	return it
}

// TableInfo is a read-only summary of a table for the dashboard.
type TableInfo struct {
	Name       string
	ItemCount  int
	SizeBytes  int64
	StreamView string // "" when the stream is disabled
	TTL        string // TTL attribute when enabled
	Indexes    []string
}

// Tables returns a snapshot of every table, sorted by name.
func (s *Service) Tables() []TableInfo {
	s.mu.RLock()
	ts := make([]*table, 0, len(s.tables))
	for _, t := range s.tables {
		ts = append(ts, t)
	}
	s.mu.RUnlock()
	out := make([]TableInfo, 0, len(ts))
	for _, t := range ts {
		t.mu.RLock()
		ti := TableInfo{Name: t.meta.Name, ItemCount: t.items.Len(), SizeBytes: t.bytes}
		if t.meta.StreamEnabled {
			ti.StreamView = t.meta.StreamView
		}
		if t.meta.TTLEnabled {
			ti.TTL = t.meta.TTLAttr
		}
		for _, ix := range t.indexes {
			ti.Indexes = append(ti.Indexes, ix.meta.Name)
		}
		t.mu.RUnlock()
		out = append(out, ti)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// ScanPage returns up to limit items of a table in scan order, as wire JSON
// objects, for the dashboard's item browser.
func (s *Service) ScanPage(tableName string, limit int) ([]json.RawMessage, error) {
	t := s.table(tableName)
	if t == nil {
		return nil, errTableNotFound(tableName)
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	var out []json.RawMessage
	t.items.Scan(func(e *entry) bool {
		if len(out) >= limit {
			return false
		}
		out = append(out, append(json.RawMessage(nil), e.data...))
		return true
	})
	return out, nil
}

func (s *Service) publishWrite(table, op string, keys attr.Item, trace string) {
	if s.bus == nil {
		return
	}
	s.bus.Publish(telemetry.DynamoWrite{At: telemetry.Now(), Table: table, Op: op, Keys: string(attr.AppendItemJSON(nil, keys)), TraceID: trace})
}
