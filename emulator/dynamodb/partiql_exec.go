package dynamodb

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/slsx/slsx/emulator/awsapi"
	"github.com/slsx/slsx/emulator/dynamodb/attr"
	"github.com/slsx/slsx/emulator/dynamodb/expr"
	"github.com/slsx/slsx/emulator/dynamodb/partiql"
)

// PartiQL limits (reference §11).
const (
	maxBatchStatements = 25
	maxTxStatements    = 100
)

// PartiQL messages (DynamoDB's wording).
const (
	msgDuplicateItem   = "Duplicate primary key exists in table"
	msgExistsOutsideTx = "EXISTS can only be used in ExecuteTransaction write requests."
	msgBatchKey        = "Select statements within BatchExecuteStatement must specify the primary key in the where clause."
	msgTxKey           = "Select statements within ExecuteTransaction must specify the primary key in the where clause."
	msgTxIndex         = "Reads on indices are not supported within transactions."
	msgTxExistsKey     = "EXISTS() must contain a single item read with additional condition"
	msgTxMixed         = "ExecuteTransaction API does not support both read and write operations in the same request."
	// (unconfirmed wording) DynamoDB refuses mixed batches; its message
	// is not documented.
	msgBatchMixed     = "BatchExecuteStatement API does not support both read and write operations in the same request."
	msgTxReturning    = "RETURNING is not supported in ExecuteTransaction" // (unconfirmed wording)
	msgConsistentGSI  = "Strongly consistent read is not supported on Global Secondary Indexes"
	msgInvalidToken   = "Invalid NextToken"
	msgTokenMismatch  = "NextToken does not match request"
	msgOrderNoWhere   = "Must have WHERE clause in the statement when using ORDER BY clause."
	msgOrderNoHash    = "Must have at least one non-optional hash key condition in WHERE clause when using ORDER BY clause."
	msgOrderMultiHash = "Must have hash key in ORDER BY clause when more than one hash key condition specified in WHERE clause."
)

func errDuplicateItem() error {
	return awsapi.Errorf(400, "DuplicateItemException", "%s", msgDuplicateItem)
}

// pqParams are the members ExecuteStatement, BatchStatementRequest and
// ParameterizedStatement share.
type pqParams struct {
	Statement                           *string      `json:"Statement"`
	Parameters                          []attr.Value `json:"Parameters"`
	ConsistentRead                      *bool        `json:"ConsistentRead"`
	ReturnValuesOnConditionCheckFailure *string      `json:"ReturnValuesOnConditionCheckFailure"`
}

func (p *pqParams) validate(v *verrs, prefix string) {
	if p.Statement == nil {
		v.add(nil, prefix+"statement", "Member must not be null")
	} else if len(*p.Statement) < 1 {
		v.add(*p.Statement, prefix+"statement", "Member must have length greater than or equal to 1")
	} else if len(*p.Statement) > partiql.MaxStatementLength {
		v.add(*p.Statement, prefix+"statement", "Member must have length less than or equal to 8192")
	}
	if p.Parameters != nil && len(p.Parameters) == 0 {
		v.add("[]", prefix+"parameters", "Member must have length greater than or equal to 1")
	}
	v.enum(p.ReturnValuesOnConditionCheckFailure, prefix+"returnValuesOnConditionCheckFailure", "ALL_OLD", "NONE")
}

// ExecuteStatement.

func opExecuteStatement(s *Service, c *call) ([]byte, error) {
	var in struct {
		pqParams
		NextToken              *string `json:"NextToken"`
		Limit                  *int64  `json:"Limit"`
		ReturnConsumedCapacity *string `json:"ReturnConsumedCapacity"`
	}
	if err := decode(c.body, &in); err != nil {
		return nil, err
	}
	var v verrs
	in.pqParams.validate(&v, "")
	v.minInt(in.Limit, "limit", 1)
	if in.NextToken != nil && (len(*in.NextToken) < 1 || len(*in.NextToken) > 32768) {
		v.add(*in.NextToken, "nextToken", "Member must have length greater than or equal to 1")
	}
	v.enum(in.ReturnConsumedCapacity, "returnConsumedCapacity", "INDEXES", "TOTAL", "NONE")
	if err := v.err(); err != nil {
		return nil, err
	}
	st, err := partiql.Parse(*in.Statement, in.Parameters)
	if err != nil {
		return nil, err
	}
	if st.Kind == partiql.Exists {
		return nil, awsapi.ValidationError(msgExistsOutsideTx)
	}
	t, err := s.lookup(st.Table)
	if err != nil {
		return nil, err
	}
	mode := str(in.ReturnConsumedCapacity)
	if st.Kind == partiql.Select {
		o := pqReadOpts{
			consistent: in.ConsistentRead != nil && *in.ConsistentRead,
			limit:      -1,
			capMode:    mode,
			sig:        statementSig(*in.Statement, in.Parameters),
		}
		if in.Limit != nil {
			o.limit = int(*in.Limit)
		}
		if in.NextToken != nil {
			o.token = *in.NextToken
		}
		return s.pqSelect(t, st, o)
	}
	res, err := s.pqWrite(t, st, in.ReturnValuesOnConditionCheckFailure, c.traceID, "ExecuteStatement")
	if err != nil {
		return nil, err
	}
	b := []byte(`{"Items":[`)
	if res.item != nil {
		b = append(b, res.item...)
	}
	b = append(b, ']')
	if cc := t.capacity(mode, res.units, true, res.indexUnits); cc != nil {
		enc, _ := json.Marshal(cc)
		b = append(b, `,"ConsumedCapacity":`...)
		b = append(b, enc...)
	}
	return append(b, '}'), nil
}

// statementSig identifies a statement and its parameters, so a NextToken
// is only accepted for the request that produced it.
func statementSig(stmt string, params []attr.Value) string {
	h := sha256.New()
	h.Write([]byte(stmt))
	for _, p := range params {
		h.Write([]byte{0})
		h.Write(attr.AppendJSON(nil, p))
	}
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:12])
}

// pqResult is the outcome of one write statement.
type pqResult struct {
	item       json.RawMessage // RETURNING item, nil when none
	units      float64
	indexUnits map[string]float64
}

// keyOfWhere extracts and checks the full primary key of an UPDATE,
// DELETE or single-item SELECT.
func keyOfWhere(t *table, st *partiql.Statement) (attr.Item, string, error) {
	k := &t.meta.Key
	key, err := st.FullKey(k.names()...)
	if err != nil {
		return nil, "", err
	}
	for _, a := range []struct{ name, typ string }{{k.Hash, k.HashType}, {k.Range, k.RangeType}} {
		if a.name != "" && key[a.name].Kind.String() != a.typ {
			return nil, "", awsapi.ValidationError("Key attribute's data type should match its data type in table's schema: Key %s", a.name)
		}
	}
	sk, err := t.checkKey(key)
	if err != nil {
		return nil, "", err
	}
	return key, sk, nil
}

// pqWrite runs one INSERT, UPDATE or DELETE.
func (s *Service) pqWrite(t *table, st *partiql.Statement, rvcf *string, trace, op string) (*pqResult, error) {
	switch st.Kind {
	case partiql.Insert:
		return s.pqInsert(t, st, trace, op)
	case partiql.Update:
		return s.pqUpdate(t, st, rvcf, trace, op)
	case partiql.Delete:
		return s.pqDelete(t, st, rvcf, trace, op)
	}
	return nil, fmt.Errorf("partiql: %v is not a write", st.Kind)
}

func (s *Service) pqInsert(t *table, st *partiql.Statement, trace, op string) (*pqResult, error) {
	if err := t.checkItem(st.Item); err != nil {
		return nil, err
	}
	data, size, err := encodeItem(st.Item, "One or more parameter values were invalid: Item size has exceeded the maximum allowed size")
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.deleted {
		return nil, errNotFound()
	}
	key := t.meta.Key.keyOf(st.Item)
	if t.get(key) != nil {
		return nil, errDuplicateItem()
	}
	ch := &change{t: t, key: key, newItem: st.Item, newData: data, newSize: size}
	if err := s.commit(ch, op, trace, false); err != nil {
		return nil, err
	}
	return &pqResult{units: writeUnits(size), indexUnits: ch.indexUnits()}, nil
}

func (s *Service) pqUpdate(t *table, st *partiql.Statement, rvcf *string, trace, op string) (*pqResult, error) {
	keyItem, key, err := keyOfWhere(t, st)
	if err != nil {
		return nil, err
	}
	in, err := st.Input()
	if err != nil {
		return nil, err
	}
	comp, err := compileInput(in)
	if err != nil {
		return nil, err
	}
	if err := checkUpdatesKey(t, comp); err != nil {
		return nil, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.deleted {
		return nil, errNotFound()
	}
	ch, err := s.prepareUpdate(t, key, keyItem, comp)
	if err != nil {
		return nil, err
	}
	if ch.old == nil {
		// UPDATE never creates an item (ql-reference.update).
		return nil, errCondFailed(nil)
	}
	if ok, err := evalCondition(comp, ch); err != nil {
		return nil, err
	} else if !ok {
		return nil, condFailed(t, rvcf, ch.old)
	}
	if err := applyUpdate(t, ch, keyItem, comp); err != nil {
		return nil, err
	}
	units := writeUnits(ch.newSize)
	if int(ch.old.size) > ch.newSize {
		units = writeUnits(int(ch.old.size))
	}
	res := &pqResult{units: units, item: returnValues(st.Returning, ch, comp)}
	if ch.newItem != nil {
		if err := s.commit(ch, op, trace, false); err != nil {
			return nil, err
		}
	}
	res.indexUnits = ch.indexUnits()
	return res, nil
}

func (s *Service) pqDelete(t *table, st *partiql.Statement, rvcf *string, trace, op string) (*pqResult, error) {
	_, key, err := keyOfWhere(t, st)
	if err != nil {
		return nil, err
	}
	in, err := st.Input()
	if err != nil {
		return nil, err
	}
	comp, err := compileInput(in)
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.deleted {
		return nil, errNotFound()
	}
	old := t.get(key)
	if old == nil {
		// Deleting a missing item succeeds (ql-reference.delete).
		return &pqResult{units: 1}, nil
	}
	ch := &change{t: t, key: key, old: old}
	if ok, err := evalCondition(comp, ch); err != nil {
		return nil, err
	} else if !ok {
		return nil, condFailed(t, rvcf, old)
	}
	res := &pqResult{units: writeUnits(int(old.size))}
	if st.Returning == "ALL_OLD" {
		res.item = old.data
	}
	if err := s.commit(ch, op, trace, false); err != nil {
		return nil, err
	}
	res.indexUnits = ch.indexUnits()
	return res, nil
}

// SELECT.

type pqReadOpts struct {
	consistent bool
	limit      int // -1 = none
	token      string
	capMode    string
	sig        string
}

// pqToken is the decoded NextToken of a SELECT: the request signature, the
// partition being read (an index into the statement's partition list) and
// the last storage key returned.
type pqToken struct {
	Sig  string `json:"s"`
	Part int    `json:"p"`
	Key  []byte `json:"k"`
}

func (tk *pqToken) encode() string {
	b, _ := json.Marshal(tk)
	return base64.StdEncoding.EncodeToString(b)
}

func decodeToken(s, sig string) (*pqToken, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, awsapi.ValidationError(msgInvalidToken)
	}
	var tk pqToken
	if err := json.Unmarshal(b, &tk); err != nil || tk.Part < 0 {
		return nil, awsapi.ValidationError(msgInvalidToken)
	}
	if tk.Sig != sig {
		return nil, awsapi.ValidationError(msgTokenMismatch)
	}
	return &tk, nil
}

// pqWalker reads candidate entries of a SELECT into one page.
type pqWalker struct {
	t       *table
	ix      *index
	comp    *cexpr
	limit   int
	items   []byte
	count   int
	scanned int
	bytes   int
	lastKey string
	lastE   *entry
	stopped bool
	err     error
}

func (w *pqWalker) visit(key string, e *entry) bool {
	w.scanned++
	w.bytes += int(e.size)
	w.lastKey, w.lastE = key, e
	it, err := attr.DecodeItem(e.data)
	if err != nil {
		w.err = err
		return false
	}
	if w.ix != nil && w.ix.meta.Projection != "ALL" {
		it = projectIndexItem(w.t, w.ix, it)
	}
	pass := true
	if w.comp.cond {
		pass, err = w.comp.Condition(it)
		if err != nil {
			w.err = err
			return false
		}
	}
	if pass {
		if w.count > 0 {
			w.items = append(w.items, ',')
		}
		w.count++
		if w.comp.proj {
			it = w.comp.Project(it)
		}
		w.items = attr.AppendItemJSON(w.items, it)
	}
	if w.scanned == w.limit || w.bytes >= pageBytes {
		w.stopped = true
		return false
	}
	return true
}

// projectIndexItem keeps the attributes a KEYS_ONLY or INCLUDE index holds.
func projectIndexItem(t *table, ix *index, it attr.Item) attr.Item {
	out := attr.Item{}
	keep := func(n string) {
		if v, ok := it[n]; ok {
			out[n] = v
		}
	}
	for _, n := range t.meta.Key.names() {
		keep(n)
	}
	for _, n := range ix.meta.Key.names() {
		keep(n)
	}
	for _, n := range ix.meta.NonKey {
		keep(n)
	}
	return out
}

// walk visits the entries of one partition (prefix != "") or of the whole
// source, strictly after the storage key after ("" = from the start).
func (w *pqWalker) walk(prefix, after string, desc bool) {
	iterTable := func(e *entry) bool {
		if e.key == after {
			return true
		}
		if !strings.HasPrefix(e.key, prefix) {
			return false
		}
		return w.visit(e.key, e)
	}
	iterIndex := func(ie ientry) bool {
		if ie.key == after {
			return true
		}
		if !strings.HasPrefix(ie.key, prefix) {
			return false
		}
		return w.visit(ie.key, ie.e)
	}
	start := prefix
	if after != "" {
		start = after
	} else if desc {
		// The partition prefix ends with the escape terminator 0x00 0x01;
		// 0x00 0x02 sorts after every key in the partition.
		start = prefix[:len(prefix)-1] + "\x02"
	}
	switch {
	case w.ix == nil && desc:
		w.t.items.Descend(&entry{key: start}, iterTable)
	case w.ix == nil:
		w.t.items.Ascend(&entry{key: start}, iterTable)
	case desc:
		w.ix.tree.Descend(ientry{key: start}, iterIndex)
	default:
		w.ix.tree.Ascend(ientry{key: start}, iterIndex)
	}
}

// pqSelect runs a SELECT: a read of the partitions its WHERE clause names
// on the partition key (= or IN), or else a scan, as DynamoDB does.
func (s *Service) pqSelect(t *table, st *partiql.Statement, o pqReadOpts) ([]byte, error) {
	in, err := st.Input()
	if err != nil {
		return nil, err
	}
	comp, err := compileInput(in)
	if err != nil {
		return nil, err
	}
	w := &pqWalker{t: t, comp: comp, limit: o.limit}
	ks := &t.meta.Key
	t.mu.RLock()
	defer t.mu.RUnlock()
	if t.deleted {
		return nil, errNotFound()
	}
	if st.Index != "" {
		w.ix = t.index(st.Index)
		if w.ix == nil {
			return nil, awsapi.ValidationError("The table does not have the specified index: %s", st.Index)
		}
		if w.ix.meta.Global && o.consistent {
			return nil, awsapi.ValidationError(msgConsistentGSI)
		}
		ks = &w.ix.meta.Key
	}
	hashVals, byKey := st.HashValues(ks.Hash)
	var parts []string
	if byKey {
		for _, hv := range hashVals {
			if hv.Kind.String() == ks.HashType && (hv.Kind == attr.N || keyLen(hv) > 0) {
				parts = append(parts, string(appendPart(nil, hv)))
			}
		}
	}
	desc, err := pqOrder(st, ks, byKey, hashVals, &parts)
	if err != nil {
		return nil, err
	}
	tk := &pqToken{Sig: o.sig}
	if o.token != "" {
		if tk, err = decodeToken(o.token, o.sig); err != nil {
			return nil, err
		}
	}
	if byKey {
		for p := tk.Part; p < len(parts) && !w.stopped && w.err == nil; p++ {
			after := ""
			if p == tk.Part {
				after = string(tk.Key)
			}
			w.walk(parts[p], after, desc)
			tk.Part = p
		}
	} else {
		w.walk("", string(tk.Key), false)
	}
	if w.err != nil {
		return nil, w.err
	}
	b := make([]byte, 0, len(w.items)+128)
	b = append(b, `{"Items":[`...)
	b = append(b, w.items...)
	b = append(b, ']')
	if w.stopped {
		tk.Key = []byte(w.lastKey)
		b = append(b, `,"NextToken":`...)
		b = appendJSONString(b, tk.encode())
		it, err := attr.DecodeItem(w.lastE.data)
		if err != nil {
			return nil, err
		}
		lek := t.meta.Key.keyItem(it)
		if w.ix != nil {
			for _, n := range w.ix.meta.Key.names() {
				lek[n] = it[n]
			}
		}
		b = append(b, `,"LastEvaluatedKey":`...)
		b = attr.AppendItemJSON(b, lek)
	}
	tableUnits := readUnits(w.bytes, o.consistent)
	var units map[string]float64
	if w.ix != nil {
		units = map[string]float64{w.ix.meta.Name: tableUnits}
		tableUnits = 0
	}
	if cc := t.capacity(o.capMode, tableUnits, false, units); cc != nil {
		enc, _ := json.Marshal(cc)
		b = append(b, `,"ConsumedCapacity":`...)
		b = append(b, enc...)
	}
	return append(b, '}'), nil
}

// pqOrder validates ORDER BY and orders the partitions; it reports whether
// each partition is read in descending sort-key order.
func pqOrder(st *partiql.Statement, ks *keySchema, byKey bool, hashVals []attr.Value, parts *[]string) (bool, error) {
	if len(st.OrderBy) == 0 {
		return false, nil
	}
	if st.Where == nil {
		return false, awsapi.ValidationError(msgOrderNoWhere)
	}
	if !byKey {
		return false, awsapi.ValidationError(msgOrderNoHash)
	}
	for _, o := range st.OrderBy {
		if o.Name != ks.Hash && o.Name != ks.Range {
			return false, awsapi.ValidationError("Variable reference %s in ORDER BY clause must be part of the primary key", o.Name)
		}
	}
	if len(hashVals) > 1 && st.OrderBy[0].Name != ks.Hash {
		return false, awsapi.ValidationError(msgOrderMultiHash)
	}
	desc := false
	for _, o := range st.OrderBy {
		if o.Name == ks.Range {
			desc = o.Desc
		}
	}
	if st.OrderBy[0].Name == ks.Hash {
		hashDesc := st.OrderBy[0].Desc
		ps := *parts
		keyOf := func(p string) string { return p[8:] } // skip the partition hash
		sort.SliceStable(ps, func(i, j int) bool {
			if hashDesc {
				return keyOf(ps[i]) > keyOf(ps[j])
			}
			return keyOf(ps[i]) < keyOf(ps[j])
		})
	}
	return desc, nil
}

// pqPoint is a single-item SELECT (BatchExecuteStatement, ExecuteTransaction).
type pqPoint struct {
	t    *table
	key  string
	comp *cexpr
}

func preparePoint(t *table, st *partiql.Statement, keyMsg string) (*pqPoint, error) {
	_, key, err := keyOfWhere(t, st)
	if err != nil {
		var ae *awsapi.Error
		if errors.As(err, &ae) && strings.HasPrefix(ae.Message, partiql.MsgIncompleteKey) {
			return nil, awsapi.ValidationError("%s", keyMsg)
		}
		return nil, err
	}
	in, err := st.Input()
	if err != nil {
		return nil, err
	}
	comp, err := compileInput(in)
	if err != nil {
		return nil, err
	}
	return &pqPoint{t: t, key: key, comp: comp}, nil
}

// fetch reads the item; the caller holds p.t.mu. It returns nil when the
// item is missing or fails the WHERE clause.
func (p *pqPoint) fetch() (json.RawMessage, int, error) {
	e := p.t.get(p.key)
	if e == nil {
		return nil, 0, nil
	}
	if !p.comp.cond && !p.comp.proj {
		return e.data, int(e.size), nil
	}
	it, err := attr.DecodeItem(e.data)
	if err != nil {
		return nil, 0, err
	}
	if p.comp.cond {
		ok, err := p.comp.Condition(it)
		if err != nil {
			return nil, 0, err
		}
		if !ok {
			return nil, int(e.size), nil
		}
	}
	if p.comp.proj {
		it = p.comp.Project(it)
	}
	return attr.AppendItemJSON(nil, it), int(e.size), nil
}

// BatchExecuteStatement.

type batchStmtError struct {
	Code    string          `json:"Code"`
	Message string          `json:"Message"`
	Item    json.RawMessage `json:"Item,omitempty"`
}

type batchStmtResponse struct {
	Error     *batchStmtError `json:"Error,omitempty"`
	TableName string          `json:"TableName,omitempty"`
	Item      json.RawMessage `json:"Item,omitempty"`
}

// batchErrorCode maps an exception to BatchStatementError.Code.
func batchErrorCode(code string) string {
	switch code {
	case "ValidationException":
		return "ValidationError"
	case "ConditionalCheckFailedException":
		return "ConditionalCheckFailed"
	case "DuplicateItemException":
		return "DuplicateItem"
	case "ResourceNotFoundException":
		return "ResourceNotFound"
	case "TransactionConflictException":
		return "TransactionConflict"
	case "ItemCollectionSizeLimitExceededException":
		return "ItemCollectionSizeLimitExceeded"
	case "ProvisionedThroughputExceededException":
		return "ProvisionedThroughputExceeded"
	case "RequestLimitExceeded":
		return "RequestLimitExceeded"
	case "ThrottlingException":
		return "ThrottlingError"
	case "AccessDeniedException":
		return "AccessDenied"
	}
	return "InternalServerError"
}

func batchError(err error) *batchStmtError {
	var ae *awsapi.Error
	if !errors.As(err, &ae) {
		return &batchStmtError{Code: "InternalServerError", Message: "Internal server error"}
	}
	be := &batchStmtError{Code: batchErrorCode(ae.Code), Message: ae.Message}
	if raw, ok := ae.Extra["Item"].(json.RawMessage); ok {
		be.Item = raw
	}
	return be
}

func opBatchExecuteStatement(s *Service, c *call) ([]byte, error) {
	var in struct {
		Statements             []pqParams `json:"Statements"`
		ReturnConsumedCapacity *string    `json:"ReturnConsumedCapacity"`
	}
	if err := decode(c.body, &in); err != nil {
		return nil, err
	}
	var v verrs
	switch {
	case in.Statements == nil:
		v.add(nil, "statements", "Member must not be null")
	case len(in.Statements) < 1:
		v.add("[]", "statements", "Member must have length greater than or equal to 1")
	case len(in.Statements) > maxBatchStatements:
		v.add(structList("BatchStatementRequest", len(in.Statements)), "statements", "Member must have length less than or equal to 25")
	}
	for i := range in.Statements {
		in.Statements[i].validate(&v, fmt.Sprintf("statements.%d.member.", i+1))
	}
	v.enum(in.ReturnConsumedCapacity, "returnConsumedCapacity", "INDEXES", "TOTAL", "NONE")
	if err := v.err(); err != nil {
		return nil, err
	}
	stmts := make([]*partiql.Statement, len(in.Statements))
	errs := make([]error, len(in.Statements))
	reads, writes := 0, 0
	for i, p := range in.Statements {
		stmts[i], errs[i] = partiql.Parse(*p.Statement, p.Parameters)
		if errs[i] != nil {
			continue
		}
		switch stmts[i].Kind {
		case partiql.Select:
			reads++
		case partiql.Exists:
			errs[i] = awsapi.ValidationError(msgExistsOutsideTx)
		default:
			writes++
		}
	}
	if reads > 0 && writes > 0 {
		return nil, awsapi.ValidationError(msgBatchMixed)
	}
	mode := str(in.ReturnConsumedCapacity)
	units := map[*table]float64{}
	var order []*table
	resp := make([]batchStmtResponse, len(stmts))
	for i, st := range stmts {
		if errs[i] != nil {
			resp[i].Error = batchError(errs[i])
			continue
		}
		t := s.table(st.Table)
		if t == nil {
			resp[i].Error = batchError(errNotFound())
			continue
		}
		resp[i].TableName = t.meta.Name
		if _, ok := units[t]; !ok {
			order = append(order, t)
		}
		if st.Kind == partiql.Select {
			item, u, err := s.batchRead(t, st, in.Statements[i].ConsistentRead)
			if err != nil {
				resp[i].Error = batchError(err)
				continue
			}
			resp[i].Item = item
			units[t] += u
			continue
		}
		res, err := s.pqWrite(t, st, in.Statements[i].ReturnValuesOnConditionCheckFailure, c.traceID, "BatchExecuteStatement")
		if err != nil {
			resp[i].Error = batchError(err)
			continue
		}
		units[t] += res.units
	}
	out := map[string]any{"Responses": resp}
	if mode == "TOTAL" || mode == "INDEXES" {
		var caps []*consumedCapacity
		for _, t := range order {
			caps = append(caps, t.capacity(mode, units[t], writes > 0, nil))
		}
		out["ConsumedCapacity"] = caps
	}
	return marshal(out)
}

func (s *Service) batchRead(t *table, st *partiql.Statement, consistent *bool) (json.RawMessage, float64, error) {
	if st.Index != "" {
		return nil, 0, awsapi.ValidationError(msgBatchKey)
	}
	p, err := preparePoint(t, st, msgBatchKey)
	if err != nil {
		return nil, 0, err
	}
	t.mu.RLock()
	item, size, err := p.fetch()
	t.mu.RUnlock()
	return item, readUnits(size, consistent != nil && *consistent), err
}

// ExecuteTransaction.

func opExecuteTransaction(s *Service, c *call) ([]byte, error) {
	var in struct {
		TransactStatements     []pqParams `json:"TransactStatements"`
		ClientRequestToken     *string    `json:"ClientRequestToken"`
		ReturnConsumedCapacity *string    `json:"ReturnConsumedCapacity"`
	}
	if err := decode(c.body, &in); err != nil {
		return nil, err
	}
	var v verrs
	switch {
	case in.TransactStatements == nil:
		v.add(nil, "transactStatements", "Member must not be null")
	case len(in.TransactStatements) < 1:
		v.add("[]", "transactStatements", "Member must have length greater than or equal to 1")
	case len(in.TransactStatements) > maxTxStatements:
		v.add(structList("ParameterizedStatement", len(in.TransactStatements)), "transactStatements", "Member must have length less than or equal to 100")
	}
	for i := range in.TransactStatements {
		in.TransactStatements[i].validate(&v, fmt.Sprintf("transactStatements.%d.member.", i+1))
	}
	v.clientToken(in.ClientRequestToken)
	v.enum(in.ReturnConsumedCapacity, "returnConsumedCapacity", "INDEXES", "TOTAL", "NONE")
	if err := v.err(); err != nil {
		return nil, err
	}
	stmts := make([]*partiql.Statement, len(in.TransactStatements))
	reads, writes := 0, 0
	for i, p := range in.TransactStatements {
		st, err := partiql.Parse(*p.Statement, p.Parameters)
		if err != nil {
			return nil, txValidation(i, err)
		}
		if st.Returning != "" {
			return nil, txValidation(i, awsapi.ValidationError(msgTxReturning))
		}
		if st.Kind == partiql.Select {
			reads++
		} else {
			writes++
		}
		stmts[i] = st
	}
	if reads > 0 && writes > 0 {
		return nil, awsapi.ValidationError(msgTxMixed)
	}
	if reads > 0 {
		return s.txRead(stmts, str(in.ReturnConsumedCapacity))
	}
	ops := make([]*txOp, len(stmts))
	insert := make([]bool, len(stmts))
	seen := map[string]bool{}
	var tables []*table
	for i, st := range stmts {
		t, err := s.lookup(st.Table)
		if err != nil {
			return nil, err
		}
		op, err := prepareTxStatement(t, st, in.TransactStatements[i].ReturnValuesOnConditionCheckFailure)
		if err != nil {
			return nil, txValidation(i, err)
		}
		id := t.meta.Name + "\x00" + op.key
		if seen[id] {
			return nil, awsapi.ValidationError("Transaction request cannot include multiple operations on one item")
		}
		seen[id] = true
		ops[i], insert[i] = op, st.Kind == partiql.Insert
		tables = append(tables, t)
	}
	if in.ClientRequestToken != nil {
		replay, err := s.tokens.begin(*in.ClientRequestToken, requestFingerprint(c.body))
		if err != nil {
			return nil, err
		}
		if replay {
			return s.txReplayOutput(ops, tables, str(in.ReturnConsumedCapacity))
		}
	}
	err := s.runTx(ops, tables, c.traceID)
	if in.ClientRequestToken != nil {
		s.tokens.finish(*in.ClientRequestToken, err == nil)
	}
	if err != nil {
		return nil, duplicateReasons(err, insert)
	}
	return s.txWriteOutput(ops, str(in.ReturnConsumedCapacity))
}

// txValidation wraps a statement's ValidationException the way
// ExecuteTransaction reports it; other errors pass unchanged.
func txValidation(i int, err error) error {
	var ae *awsapi.Error
	if errors.As(err, &ae) && ae.Code == "ValidationException" {
		return awsapi.ValidationError("Validation failed in TransactStatements[%d]: %s", i, ae.Message)
	}
	return err
}

// prepareTxStatement turns a write statement into a transaction action
// that runTx executes like TransactWriteItems.
func prepareTxStatement(t *table, st *partiql.Statement, rvcf *string) (*txOp, error) {
	op := &txOp{t: t, a: &txAction{ReturnValuesOnConditionCheckFailure: rvcf}}
	k := &t.meta.Key
	switch st.Kind {
	case partiql.Insert:
		if err := t.checkItem(st.Item); err != nil {
			return nil, err
		}
		data, size, err := encodeItem(st.Item, "One or more parameter values were invalid: Item size has exceeded the maximum allowed size")
		if err != nil {
			return nil, err
		}
		op.kind, op.a.Item, op.data, op.size = "Put", st.Item, data, size
		op.key = k.keyOf(st.Item)
		op.comp, err = compileInput(expr.Input{Condition: "attribute_not_exists(#pqk)", Names: map[string]string{"#pqk": k.Hash}})
		return op, err
	case partiql.Update, partiql.Delete, partiql.Exists:
		keyItem, key, err := keyOfWhere(t, st)
		if err != nil {
			if st.Kind == partiql.Exists {
				var ae *awsapi.Error
				if errors.As(err, &ae) && strings.HasPrefix(ae.Message, partiql.MsgIncompleteKey) {
					return nil, awsapi.ValidationError(msgTxExistsKey)
				}
			}
			return nil, err
		}
		if st.Index != "" {
			return nil, awsapi.ValidationError("Operations on indices are not supported in transactions")
		}
		op.key, op.a.Key = key, keyItem
		st.Projection = nil // EXISTS(SELECT a ...) only checks the condition
		in, err := st.Input()
		if err != nil {
			return nil, err
		}
		switch st.Kind {
		case partiql.Update:
			op.kind = "Update"
		case partiql.Delete:
			// A missing item deletes successfully, whatever the rest of
			// the WHERE clause says (ql-reference.delete).
			op.kind = "Delete"
			in.Condition = "attribute_not_exists(#pqk) OR (" + in.Condition + ")"
			if in.Names == nil {
				in.Names = map[string]string{}
			}
			in.Names["#pqk"] = k.Hash
		default:
			op.kind = "ConditionCheck"
		}
		if op.comp, err = compileInput(in); err != nil {
			return nil, err
		}
		if op.kind == "Update" {
			return op, checkUpdatesKey(t, op.comp)
		}
		return op, nil
	}
	return nil, awsapi.ValidationError("Unsupported operation in transaction.")
}

// duplicateReasons reports a failed INSERT inside a cancelled transaction
// as DuplicateItem, which is what DynamoDB answers for PartiQL inserts.
func duplicateReasons(err error, insert []bool) error {
	var ae *awsapi.Error
	if !errors.As(err, &ae) || ae.Code != "TransactionCanceledException" {
		return err
	}
	raw, ok := ae.Extra["CancellationReasons"].(json.RawMessage)
	if !ok {
		return err
	}
	var reasons []cancelReason
	if json.Unmarshal(raw, &reasons) != nil || len(reasons) != len(insert) {
		return err
	}
	for i := range reasons {
		if insert[i] && reasons[i].Code == "ConditionalCheckFailed" {
			reasons[i] = cancelReason{Code: "DuplicateItem", Message: msgDuplicateItem}
		}
	}
	return txCanceled(reasons)
}

func (s *Service) txRead(stmts []*partiql.Statement, mode string) ([]byte, error) {
	points := make([]*pqPoint, len(stmts))
	var tables []*table
	for i, st := range stmts {
		t, err := s.lookup(st.Table)
		if err != nil {
			return nil, err
		}
		if st.Index != "" {
			return nil, txValidation(i, awsapi.ValidationError(msgTxIndex))
		}
		if points[i], err = preparePoint(t, st, msgTxKey); err != nil {
			return nil, txValidation(i, err)
		}
		tables = append(tables, t)
	}
	unlock := lockTables(tables, false)
	var b bytes.Buffer
	b.WriteString(`{"Responses":[`)
	units := map[*table]float64{}
	var order []*table
	total := 0
	for i, p := range points {
		if i > 0 {
			b.WriteByte(',')
		}
		if _, ok := units[p.t]; !ok {
			order = append(order, p.t)
		}
		item, size, err := p.fetch()
		if err != nil {
			unlock()
			return nil, err
		}
		if total += size; total > maxTxBytes {
			unlock()
			return nil, awsapi.ValidationError("%s", msgTxTooLarge)
		}
		units[p.t] += 2 * readUnits(size, true)
		if item == nil {
			b.WriteString("{}")
			continue
		}
		b.WriteString(`{"Item":`)
		b.Write(item)
		b.WriteByte('}')
	}
	unlock()
	b.WriteByte(']')
	var caps []*consumedCapacity
	for _, t := range order {
		if cc := t.capacity(mode, units[t], false, nil); cc != nil {
			caps = append(caps, cc)
		}
	}
	if caps != nil {
		enc, _ := json.Marshal(caps)
		b.WriteString(`,"ConsumedCapacity":`)
		b.Write(enc)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}
