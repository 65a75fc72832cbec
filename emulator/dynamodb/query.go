package dynamodb

import (
	"encoding/json"
	"strconv"

	"github.com/slsx/slsx/emulator/awsapi"
	"github.com/slsx/slsx/emulator/dynamodb/attr"
	"github.com/slsx/slsx/emulator/dynamodb/expr"
)

// pageBytes is the 1 MB cap on the data one Query or Scan page reads.
const pageBytes = 1 << 20

type readInput struct {
	TableName                 *string                    `json:"TableName"`
	IndexName                 *string                    `json:"IndexName"`
	Select                    *string                    `json:"Select"`
	Limit                     *int64                     `json:"Limit"`
	ExclusiveStartKey         attr.Item                  `json:"ExclusiveStartKey"`
	ConsistentRead            *bool                      `json:"ConsistentRead"`
	ReturnConsumedCapacity    *string                    `json:"ReturnConsumedCapacity"`
	ProjectionExpression      *string                    `json:"ProjectionExpression"`
	FilterExpression          *string                    `json:"FilterExpression"`
	KeyConditionExpression    *string                    `json:"KeyConditionExpression"`
	ExpressionAttributeNames  map[string]string          `json:"ExpressionAttributeNames"`
	ExpressionAttributeValues map[string]json.RawMessage `json:"ExpressionAttributeValues"`
	ScanIndexForward          *bool                      `json:"ScanIndexForward"`
	Segment                   *int64                     `json:"Segment"`
	TotalSegments             *int64                     `json:"TotalSegments"`
	legacyFields
}

// reader is one Query or Scan being executed.
type reader struct {
	t       *table
	ix      *index // nil for the table
	comp    *cexpr
	sel     string
	limit   int
	query   bool
	kc      expr.KeyCond
	sm      *sortMatcher
	forward bool
	segLo   uint64
	segHi   uint64
	segLast bool
	esk     string // composite start key, "" for none

	items    []byte
	count    int
	scanned  int
	bytes    int
	lastE    *entry
	lastKey  string
	stopped  bool
	countOut bool
}

func opQuery(s *Service, c *call) ([]byte, error) { return s.read(c, true) }
func opScan(s *Service, c *call) ([]byte, error)  { return s.read(c, false) }

func (s *Service) read(c *call, query bool) ([]byte, error) {
	var in readInput
	if err := decode(c.body, &in); err != nil {
		return nil, err
	}
	var v verrs
	v.tableName(in.TableName, "tableName")
	if in.IndexName != nil {
		v.name(*in.IndexName, "indexName")
	}
	v.minInt(in.Limit, "limit", 1)
	v.enum(in.Select, "select", "SPECIFIC_ATTRIBUTES", "COUNT", "ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES")
	v.enum(in.ReturnConsumedCapacity, "returnConsumedCapacity", "INDEXES", "TOTAL", "NONE")
	if !query {
		v.minInt(in.Segment, "segment", 0)
		v.maxInt(in.Segment, "segment", 999999)
		v.minInt(in.TotalSegments, "totalSegments", 1)
		v.maxInt(in.TotalSegments, "totalSegments", 1000000)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	op := "Scan"
	if query {
		op = "Query"
	}
	if !query {
		if in.TotalSegments != nil && in.Segment == nil {
			return nil, awsapi.ValidationError("The Segment parameter is required but was not present in the request when parameter TotalSegments is present")
		}
		if in.Segment != nil && in.TotalSegments == nil {
			return nil, awsapi.ValidationError("The TotalSegments parameter is required but was not present in the request when Segment parameter is present")
		}
		if in.Segment != nil && *in.Segment >= *in.TotalSegments {
			return nil, awsapi.ValidationError("The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: %d is not less than TotalSegments: %d", *in.Segment, *in.TotalSegments)
		}
	}
	t, err := s.lookup(*in.TableName)
	if err != nil {
		return nil, err
	}
	if query && in.KeyConditionExpression == nil && in.legacyFields.KeyConditions == nil {
		return nil, awsapi.ValidationError("Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.")
	}
	sp := exprSpec{proj: in.ProjectionExpression, filter: in.FilterExpression, names: in.ExpressionAttributeNames,
		values: in.ExpressionAttributeValues, legacy: &in.legacyFields, body: c.body, op: op}
	if query {
		sp.keyCond = in.KeyConditionExpression
	}
	comp, err := compile(sp)
	if err != nil {
		return nil, err
	}
	r := &reader{t: t, comp: comp, query: query, forward: in.ScanIndexForward == nil || *in.ScanIndexForward}
	t.mu.RLock()
	defer t.mu.RUnlock()
	if in.IndexName != nil {
		r.ix = t.index(*in.IndexName)
		if r.ix == nil {
			return nil, awsapi.ValidationError("The table does not have the specified index: %s", *in.IndexName)
		}
		if r.ix.meta.Global && in.ConsistentRead != nil && *in.ConsistentRead {
			return nil, awsapi.ValidationError("Consistent reads are not supported on global secondary indexes")
		}
	}
	r.sel = str(in.Select)
	if err := r.checkSelect(comp); err != nil {
		return nil, err
	}
	// The answer is built in place while items are read: a page is
	// usually a few KB to 1 MB, so start with room for a typical one.
	r.items = make([]byte, 0, 32<<10)
	if r.countOut {
		r.items = append(r.items, '{')
	} else {
		r.items = append(r.items, `{"Items":[`...)
	}
	r.limit = -1
	if in.Limit != nil {
		r.limit = int(*in.Limit)
	}
	ks := &t.meta.Key
	if r.ix != nil {
		ks = &r.ix.meta.Key
	}
	if query {
		kc, err := comp.KeyCondition(ks.Hash, ks.Range)
		if err != nil {
			return nil, err
		}
		if kc.Hash.Kind.String() != ks.HashType || (kc.Sort != nil && (kc.Sort.A.Kind.String() != ks.RangeType ||
			(kc.Sort.Op == "BETWEEN" && kc.Sort.B.Kind.String() != ks.RangeType))) {
			return nil, invalid("Condition parameter type does not match schema type")
		}
		r.kc = kc
		r.sm = newSortMatcher(kc.Sort)
		if comp.filter {
			for _, p := range comp.FilterPaths() {
				if p == ks.Hash || p == ks.Range {
					if in.legacyFields.QueryFilter != nil {
						return nil, awsapi.ValidationError("QueryFilter can only contain non-primary key attributes: Primary key attribute: %s", p)
					}
					return nil, awsapi.ValidationError("Filter Expression can only contain non-primary key attributes: Primary key attribute: %s", p)
				}
			}
		}
	} else if in.Segment != nil {
		r.segLo, r.segHi, r.segLast = segmentBounds(int(*in.Segment), int(*in.TotalSegments))
	} else {
		r.segLast = true
	}
	if in.ExclusiveStartKey != nil {
		if err := r.startKey(in.ExclusiveStartKey); err != nil {
			return nil, err
		}
	}
	r.run()
	consistent := in.ConsistentRead != nil && *in.ConsistentRead
	return r.output(str(in.ReturnConsumedCapacity), consistent)
}

func (r *reader) checkSelect(comp *cexpr) error {
	switch r.sel {
	case "ALL_PROJECTED_ATTRIBUTES":
		if r.ix == nil {
			return invalid("ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName")
		}
	case "ALL_ATTRIBUTES":
		if r.ix != nil && r.ix.meta.Global && r.ix.meta.Projection != "ALL" {
			return invalid("Select type ALL_ATTRIBUTES is not supported for global secondary index %s because its projection type is not ALL", r.ix.meta.Name)
		}
	case "SPECIFIC_ATTRIBUTES":
		if !comp.proj {
			return invalid("Select type SPECIFIC_ATTRIBUTES requires ProjectionExpression or AttributesToGet")
		}
	case "COUNT":
		r.countOut = true
	}
	if comp.proj && r.sel != "" && r.sel != "SPECIFIC_ATTRIBUTES" {
		return awsapi.ValidationError("Cannot specify the ProjectionExpression when choosing to get %s", r.sel)
	}
	return nil
}

// startKey validates ExclusiveStartKey and turns it into a composite key.
func (r *reader) startKey(esk attr.Item) error {
	bad := func() error {
		return awsapi.ValidationError("The provided starting key is invalid: The provided key element does not match the schema")
	}
	want := map[string]string{}
	for _, ks := range []*keySchema{&r.t.meta.Key, r.ixKey()} {
		if ks == nil {
			continue
		}
		want[ks.Hash] = ks.HashType
		if ks.Range != "" {
			want[ks.Range] = ks.RangeType
		}
	}
	if len(esk) != len(want) {
		return bad()
	}
	for name, typ := range want {
		v, ok := esk[name]
		if !ok || v.Kind.String() != typ {
			return bad()
		}
	}
	tk := r.t.meta.Key.keyOf(esk)
	if r.ix != nil {
		k, ok := r.ix.keyOf(esk, tk)
		if !ok {
			return bad()
		}
		r.esk = k
	} else {
		r.esk = tk
	}
	if r.query {
		ks := r.ixKey()
		if ks == nil {
			ks = &r.t.meta.Key
		}
		if !attr.Equal(esk[ks.Hash], r.kc.Hash) {
			if r.kc.Sort != nil && r.kc.Sort.Match(esk[ks.Range]) {
				return awsapi.ValidationError("The query can return at most one row and cannot be restarted")
			}
			if r.kc.Sort == nil {
				return awsapi.ValidationError("The provided starting key is outside query boundaries based on provided conditions")
			}
		}
		if r.kc.Sort != nil && !r.kc.Sort.Match(esk[ks.Range]) {
			return awsapi.ValidationError("The provided starting key does not match the range key predicate")
		}
	}
	return nil
}

func (r *reader) ixKey() *keySchema {
	if r.ix == nil {
		return nil
	}
	return &r.ix.meta.Key
}

// visit reads one candidate entry (tk = its table key); it returns false to
// stop the walk.
func (r *reader) visit(e *entry) bool {
	r.scanned++
	r.bytes += int(e.size)
	r.lastE = e
	var it attr.Item
	needItem := r.comp.filter || r.comp.proj || (r.ix != nil && r.ix.meta.Projection != "ALL" && r.sel != "ALL_ATTRIBUTES")
	if needItem {
		var err error
		if it, err = attr.DecodeItem(e.data); err != nil {
			return false
		}
		if r.ix != nil && r.ix.meta.Projection != "ALL" && !(r.sel == "ALL_ATTRIBUTES" || (!r.ix.meta.Global && r.comp.proj)) {
			it = r.projectIndex(it)
		}
	}
	pass := true
	if r.comp.filter {
		ok, err := r.comp.Filter(it)
		pass = err == nil && ok
	}
	if pass {
		r.count++
		if !r.countOut {
			if r.count > 1 {
				r.items = append(r.items, ',')
			}
			if r.comp.proj {
				r.items = attr.AppendItemJSON(r.items, r.comp.Project(it))
			} else if it != nil {
				r.items = attr.AppendItemJSON(r.items, it)
			} else {
				r.items = append(r.items, e.data...)
			}
		}
	}
	if r.scanned == r.limit || r.bytes >= pageBytes {
		r.stopped = true
		return false
	}
	return true
}

// projectIndex keeps the attributes a KEYS_ONLY or INCLUDE index holds.
func (r *reader) projectIndex(it attr.Item) attr.Item {
	out := attr.Item{}
	keep := func(n string) {
		if v, ok := it[n]; ok {
			out[n] = v
		}
	}
	for _, n := range r.t.meta.Key.names() {
		keep(n)
	}
	for _, n := range r.ix.meta.Key.names() {
		keep(n)
	}
	for _, n := range r.ix.meta.NonKey {
		keep(n)
	}
	return out
}

// run walks the candidate sequence.
func (r *reader) run() {
	if r.ix != nil {
		r.walkIndex()
	} else {
		r.walkTable()
	}
}

func (r *reader) bounds() (start string, prefix string) {
	if r.query {
		p := string(appendPart(nil, r.kc.Hash))
		if r.esk != "" {
			return r.esk, p
		}
		if !r.forward {
			return p[:len(p)-1] + "\x02", p
		}
		if r.kc.Sort != nil && r.kc.Sort.Op != "<" && r.kc.Sort.Op != "<=" {
			return string(appendSort([]byte(p), r.kc.Sort.A)), p
		}
		return p, p
	}
	if r.esk != "" {
		return r.esk, ""
	}
	return hashPrefix(r.segLo), ""
}

// sortSeg returns the escaped sort-key segment (with its terminator) that
// follows the partition prefix in a composite key.
func sortSeg(key string, prefixLen int) string {
	rest := key[prefixLen:]
	for i := 0; i+1 < len(rest); i++ {
		if rest[i] == 0 && rest[i+1] == 1 {
			return rest[:i+2]
		}
	}
	return rest
}

// sortMatcher compares escaped sort-key encodings, which order like the
// values themselves, so the key condition needs no item decoding.
type sortMatcher struct {
	op     string
	a, b   string
	prefix string
}

func newSortMatcher(sc *expr.SortCond) *sortMatcher {
	if sc == nil {
		return nil
	}
	m := &sortMatcher{op: sc.Op, a: string(appendSort(nil, sc.A))}
	if sc.Op == "BETWEEN" {
		m.b = string(appendSort(nil, sc.B))
	}
	m.prefix = m.a[:len(m.a)-2]
	return m
}

func (m *sortMatcher) match(seg string) bool {
	if m == nil {
		return true
	}
	switch m.op {
	case "=":
		return seg == m.a
	case "<":
		return seg < m.a
	case "<=":
		return seg <= m.a
	case ">":
		return seg > m.a
	case ">=":
		return seg >= m.a
	case "BETWEEN":
		return seg >= m.a && seg <= m.b
	case "begins_with":
		return len(seg) >= len(m.prefix) && seg[:len(m.prefix)] == m.prefix
	}
	return false
}

// accept decides whether a key within the walk is a candidate; done
// reports that the walk is past the candidates.
func (r *reader) accept(key string, prefixLen int, matched *bool) (ok, done bool) {
	if r.query {
		if r.sm != nil && !r.sm.match(sortSeg(key, prefixLen)) {
			return false, *matched
		}
		*matched = true
		return true, false
	}
	h := keyHash(key)
	if !r.segLast && h >= r.segHi {
		return false, true
	}
	return true, false
}

func (r *reader) walkTable() {
	start, prefix := r.bounds()
	matched := false
	iter := func(e *entry) bool {
		if e.key == r.esk {
			return true
		}
		if r.query && (len(e.key) < len(prefix) || e.key[:len(prefix)] != prefix) {
			return false
		}
		ok, done := r.accept(e.key, len(prefix), &matched)
		if done {
			return false
		}
		if !ok {
			return true
		}
		return r.visit(e)
	}
	if r.forward {
		r.t.items.Ascend(&entry{key: start}, iter)
	} else {
		r.t.items.Descend(&entry{key: start}, iter)
	}
}

func (r *reader) walkIndex() {
	start, prefix := r.bounds()
	matched := false
	iter := func(ie ientry) bool {
		if ie.key == r.esk {
			return true
		}
		if r.query && (len(ie.key) < len(prefix) || ie.key[:len(prefix)] != prefix) {
			return false
		}
		ok, done := r.accept(ie.key, len(prefix), &matched)
		if done {
			return false
		}
		if !ok {
			return true
		}
		return r.visit(ie.e)
	}
	if r.forward {
		r.ix.tree.Ascend(ientry{key: start}, iter)
	} else {
		r.ix.tree.Descend(ientry{key: start}, iter)
	}
}

func (r *reader) output(capMode string, consistent bool) ([]byte, error) {
	// r.items already holds the start of the answer (see read), so the
	// items are not copied again.
	b := r.items
	if !r.countOut {
		b = append(b, "],"...)
	}
	b = append(b, `"Count":`...)
	b = strconv.AppendInt(b, int64(r.count), 10)
	b = append(b, `,"ScannedCount":`...)
	b = strconv.AppendInt(b, int64(r.scanned), 10)
	if r.stopped && r.lastE != nil {
		it, err := attr.DecodeItem(r.lastE.data)
		if err != nil {
			return nil, err
		}
		lek := r.t.meta.Key.keyItem(it)
		if r.ix != nil {
			for _, n := range r.ix.meta.Key.names() {
				lek[n] = it[n]
			}
		}
		b = append(b, `,"LastEvaluatedKey":`...)
		b = attr.AppendItemJSON(b, lek)
	}
	var units map[string]float64
	tableUnits := readUnits(r.bytes, consistent)
	if r.ix != nil {
		units = map[string]float64{r.ix.meta.Name: tableUnits}
		tableUnits = 0
	}
	if cc := r.t.capacity(capMode, tableUnits, false, units); cc != nil {
		enc, _ := json.Marshal(cc)
		b = append(b, `,"ConsumedCapacity":`...)
		b = append(b, enc...)
	}
	return append(b, '}'), nil
}
