package dynamodb

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/slsx/slsx/emulator/awsapi"
	"github.com/slsx/slsx/emulator/dynamodb/attr"
)

// Transaction limits (reference §9).
const (
	maxTransactItems = 100
	tokenWindow      = 10 * time.Minute
	// maxTxBytes caps the aggregate DynamoDB size of the items a
	// transaction writes or reads (4 MB, API Ref TransactWriteItems).
	maxTxBytes = 4 << 20
	// msgTxTooLarge is the ValidationException for a transaction over
	// maxTxBytes. The AWS documentation names the condition but not the
	// wording, so it paraphrases the documentation (unconfirmed).
	msgTxTooLarge = "Transaction request cannot be processed: the aggregate size of the items in the transaction exceeds 4 MB"
)

// clientToken validates a ClientRequestToken against the service model
// (1–36 characters).
func (v *verrs) clientToken(tok *string) {
	if tok == nil {
		return
	}
	switch n := utf8.RuneCountInString(*tok); {
	case n < 1:
		v.add(*tok, "clientRequestToken", "Member must have length greater than or equal to 1")
	case n > 36:
		v.add(*tok, "clientRequestToken", "Member must have length less than or equal to 36")
	}
}

// requestFingerprint identifies a request's parameters for idempotency.
// DynamoDB compares parameters, not bytes: the SDKs write map members in
// any order (aws-sdk-go-v2 ranges over Go maps), so two identical calls
// seldom have identical bodies. The body is decoded and re-encoded with
// sorted keys; numbers stay text, since attribute numbers are strings and
// the few JSON numbers are compared as written.
func requestFingerprint(body []byte) [32]byte {
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return sha256.Sum256(body)
	}
	canon, err := json.Marshal(v)
	if err != nil {
		return sha256.Sum256(body)
	}
	return sha256.Sum256(canon)
}

// tokenCache remembers ClientRequestTokens of TransactWriteItems for the
// idempotency window.
type tokenCache struct {
	mu sync.Mutex
	m  map[string]*tokenState
}

type tokenState struct {
	sum     [32]byte
	done    time.Time
	running bool
	ok      bool
}

func newTokenCache() *tokenCache { return &tokenCache{m: map[string]*tokenState{}} }

// begin registers a token; replay reports a completed identical call.
func (tc *tokenCache) begin(token string, sum [32]byte) (replay bool, err error) {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	now := time.Now()
	for k, st := range tc.m {
		if !st.running && now.Sub(st.done) > tokenWindow {
			delete(tc.m, k)
		}
	}
	if st, ok := tc.m[token]; ok {
		if st.sum != sum {
			return false, awsapi.Errorf(400, "IdempotentParameterMismatchException", "The request uses the same client token as a previous, but non-identical request. Tokens must be unique for each distinct request.")
		}
		if st.running {
			return false, awsapi.Errorf(400, "TransactionInProgressException", "Transaction is in progress")
		}
		if st.ok {
			return true, nil
		}
	}
	tc.m[token] = &tokenState{sum: sum, running: true}
	return false, nil
}

func (tc *tokenCache) finish(token string, ok bool) {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if st, found := tc.m[token]; found {
		st.running, st.ok, st.done = false, ok, time.Now()
		if !ok {
			delete(tc.m, token)
		}
	}
}

type txAction struct {
	TableName                           *string                    `json:"TableName"`
	Key                                 attr.Item                  `json:"Key"`
	Item                                attr.Item                  `json:"Item"`
	ConditionExpression                 *string                    `json:"ConditionExpression"`
	UpdateExpression                    *string                    `json:"UpdateExpression"`
	ExpressionAttributeNames            map[string]string          `json:"ExpressionAttributeNames"`
	ExpressionAttributeValues           map[string]json.RawMessage `json:"ExpressionAttributeValues"`
	ReturnValuesOnConditionCheckFailure *string                    `json:"ReturnValuesOnConditionCheckFailure"`
}

type transactWriteItem struct {
	ConditionCheck *txAction `json:"ConditionCheck"`
	Put            *txAction `json:"Put"`
	Delete         *txAction `json:"Delete"`
	Update         *txAction `json:"Update"`
}

// txOp is one validated transaction action.
type txOp struct {
	kind string // ConditionCheck, Put, Delete, Update
	a    *txAction
	t    *table
	key  string
	comp *cexpr
	data []byte
	size int
}

type cancelReason struct {
	Code    string          `json:"Code"`
	Message string          `json:"Message,omitempty"`
	Item    json.RawMessage `json:"Item,omitempty"`
}

func txCanceled(reasons []cancelReason) error {
	codes := make([]string, len(reasons))
	for i, r := range reasons {
		codes[i] = r.Code
	}
	enc, _ := json.Marshal(reasons)
	e := awsapi.Errorf(400, "TransactionCanceledException", "Transaction cancelled, please refer cancellation reasons for specific reasons [%s]", strings.Join(codes, ", "))
	e.Extra = map[string]any{"CancellationReasons": json.RawMessage(enc)}
	return e
}

// lockTables write- or read-locks the distinct tables in name order, so
// concurrent transactions cannot deadlock, and returns the unlock func.
func lockTables(ts []*table, write bool) func() {
	uniq := map[*table]bool{}
	var list []*table
	for _, t := range ts {
		if !uniq[t] {
			uniq[t] = true
			list = append(list, t)
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].meta.Name < list[j].meta.Name })
	for _, t := range list {
		if write {
			t.mu.Lock()
		} else {
			t.mu.RLock()
		}
	}
	return func() {
		for _, t := range list {
			if write {
				t.mu.Unlock()
			} else {
				t.mu.RUnlock()
			}
		}
	}
}

func opTransactWriteItems(s *Service, c *call) ([]byte, error) {
	var in struct {
		TransactItems               []transactWriteItem `json:"TransactItems"`
		ClientRequestToken          *string             `json:"ClientRequestToken"`
		ReturnConsumedCapacity      *string             `json:"ReturnConsumedCapacity"`
		ReturnItemCollectionMetrics *string             `json:"ReturnItemCollectionMetrics"`
	}
	if err := decode(c.body, &in); err != nil {
		return nil, err
	}
	var v verrs
	if in.TransactItems == nil {
		v.add(nil, "transactItems", "Member must not be null")
	} else if len(in.TransactItems) < 1 {
		v.add("[]", "transactItems", "Member must have length greater than or equal to 1")
	} else if len(in.TransactItems) > maxTransactItems {
		v.add(structList("TransactWriteItem", len(in.TransactItems)), "transactItems", "Member must have length less than or equal to 100")
	}
	v.clientToken(in.ClientRequestToken)
	v.enum(in.ReturnConsumedCapacity, "returnConsumedCapacity", "INDEXES", "TOTAL", "NONE")
	v.enum(in.ReturnItemCollectionMetrics, "returnItemCollectionMetrics", "SIZE", "NONE")
	if err := v.err(); err != nil {
		return nil, err
	}
	ops := make([]*txOp, 0, len(in.TransactItems))
	seen := map[string]bool{}
	var tables []*table
	for _, ti := range in.TransactItems {
		n := 0
		op := &txOp{}
		for _, cand := range []struct {
			kind string
			a    *txAction
		}{{"ConditionCheck", ti.ConditionCheck}, {"Put", ti.Put}, {"Delete", ti.Delete}, {"Update", ti.Update}} {
			if cand.a != nil {
				n++
				op.kind, op.a = cand.kind, cand.a
			}
		}
		if n != 1 {
			return nil, awsapi.ValidationError("TransactItems can only contain one of Check, Put, Update or Delete")
		}
		if err := s.prepareTx(op); err != nil {
			return nil, err
		}
		id := op.t.meta.Name + "\x00" + op.key
		if seen[id] {
			return nil, awsapi.ValidationError("Transaction request cannot include multiple operations on one item")
		}
		seen[id] = true
		ops = append(ops, op)
		tables = append(tables, op.t)
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
		return nil, err
	}
	out, err := s.txWriteOutput(ops, str(in.ReturnConsumedCapacity))
	if err != nil || str(in.ReturnItemCollectionMetrics) != "SIZE" {
		return out, err
	}
	return appendTxCollections(out, ops, tables, in.ReturnItemCollectionMetrics), nil
}

// appendTxCollections adds the ItemCollectionMetrics of the collections a
// committed transaction wrote to its output object. The sizes are read
// after the commit, under fresh read locks, so a write landing in between
// may be included: the figure is an estimate on AWS too.
func appendTxCollections(out []byte, ops []*txOp, tables []*table, mode *string) []byte {
	var colls collectionSet
	unlock := lockTables(tables, false)
	for _, op := range ops {
		switch op.kind {
		case "Put":
			colls.add(op.t, mode, op.a.Item)
		case "Update", "Delete":
			colls.add(op.t, mode, op.a.Key)
		}
	}
	unlock()
	if len(colls.byTable) == 0 {
		return out
	}
	b := out[:len(out)-1] // reopen the object
	if len(b) > 1 {
		b = append(b, ',')
	}
	b = append(b, `"ItemCollectionMetrics":`...)
	return append(colls.appendJSON(b), '}')
}

func (s *Service) txWriteOutput(ops []*txOp, mode string) ([]byte, error) {
	if mode != "TOTAL" && mode != "INDEXES" {
		return []byte("{}"), nil
	}
	units := map[*table]float64{}
	var order []*table
	for _, op := range ops {
		if _, ok := units[op.t]; !ok {
			order = append(order, op.t)
		}
		units[op.t] += 2 * writeUnits(op.size)
	}
	var caps []*consumedCapacity
	for _, t := range order {
		caps = append(caps, t.capacity(mode, units[t], true, nil))
	}
	return marshal(map[string]any{"ConsumedCapacity": caps})
}

// txReplayOutput answers a repeated call with an already used token. The
// writes are not done again; per the API reference (ClientRequestToken) the
// consumed capacity is then the read units of reading the items, not write
// units. Each item is charged as one strongly consistent read (unconfirmed
// detail).
func (s *Service) txReplayOutput(ops []*txOp, tables []*table, mode string) ([]byte, error) {
	if mode != "TOTAL" && mode != "INDEXES" {
		return []byte("{}"), nil
	}
	unlock := lockTables(tables, false)
	units := map[*table]float64{}
	var order []*table
	for _, op := range ops {
		if _, ok := units[op.t]; !ok {
			order = append(order, op.t)
		}
		size := 0
		if e := op.t.get(op.key); e != nil {
			size = int(e.size)
		}
		units[op.t] += readUnits(size, true)
	}
	unlock()
	var caps []*consumedCapacity
	for _, t := range order {
		caps = append(caps, t.capacity(mode, units[t], false, nil))
	}
	return marshal(map[string]any{"ConsumedCapacity": caps})
}

// checkTxSize enforces maxTxBytes over the items a transaction touches:
// the new item of a Put or Update, the stored item of a Delete or
// ConditionCheck.
func checkTxSize(ops []*txOp, changes []*change) error {
	total := 0
	for i := range ops {
		switch ch := changes[i]; {
		case ch == nil:
		case ch.newItem != nil:
			total += ch.newSize
		case ch.old != nil:
			total += int(ch.old.size)
		}
	}
	if total > maxTxBytes {
		return awsapi.ValidationError("%s", msgTxTooLarge)
	}
	return nil
}

// prepareTx does an action's static validation.
func (s *Service) prepareTx(op *txOp) error {
	a := op.a
	var v verrs
	v.tableName(a.TableName, "transactItems.1.member."+lowerFirst(op.kind)+".tableName")
	if op.kind == "Put" && a.Item == nil {
		v.add(nil, "transactItems.1.member.put.item", "Member must not be null")
	}
	if op.kind != "Put" && a.Key == nil {
		v.add(nil, "transactItems.1.member."+lowerFirst(op.kind)+".key", "Member must not be null")
	}
	if op.kind == "ConditionCheck" && a.ConditionExpression == nil {
		v.add(nil, "transactItems.1.member.conditionCheck.conditionExpression", "Member must not be null")
	}
	if op.kind == "Update" && a.UpdateExpression == nil {
		v.add(nil, "transactItems.1.member.update.updateExpression", "Member must not be null")
	}
	v.enum(a.ReturnValuesOnConditionCheckFailure, "transactItems.1.member."+lowerFirst(op.kind)+".returnValuesOnConditionCheckFailure", "ALL_OLD", "NONE")
	if err := v.err(); err != nil {
		return err
	}
	t, err := s.lookup(*a.TableName)
	if err != nil {
		return err
	}
	op.t = t
	sp := exprSpec{cond: a.ConditionExpression, names: a.ExpressionAttributeNames, values: a.ExpressionAttributeValues, op: op.kind}
	if op.kind == "Update" {
		sp.update = a.UpdateExpression
		sp.op = "UpdateItem"
	}
	if op.comp, err = compile(sp); err != nil {
		return err
	}
	if op.kind == "Put" {
		if err := t.checkItem(a.Item); err != nil {
			return err
		}
		if op.data, op.size, err = encodeItem(a.Item, "One or more parameter values were invalid: Item size has exceeded the maximum allowed size"); err != nil {
			return err
		}
		op.key = t.meta.Key.keyOf(a.Item)
		return nil
	}
	if op.key, err = t.checkKey(a.Key); err != nil {
		return err
	}
	if op.kind == "Update" {
		return checkUpdatesKey(t, op.comp)
	}
	return nil
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// runTx evaluates every condition under the locks of all tables involved
// and commits all writes, or none.
func (s *Service) runTx(ops []*txOp, tables []*table, trace string) error {
	unlock := lockTables(tables, true)
	defer unlock()
	for _, op := range ops {
		if op.t.deleted {
			return errNotFound()
		}
	}
	changes := make([]*change, len(ops))
	reasons := make([]cancelReason, len(ops))
	failed := false
	for i, op := range ops {
		reasons[i].Code = "None"
		ch := &change{t: op.t, key: op.key, old: op.t.get(op.key)}
		if ch.old != nil {
			it, err := attr.DecodeItem(ch.old.data)
			if err != nil {
				return err
			}
			ch.oldItem = it
		}
		ok, err := evalCondition(op.comp, ch)
		if err != nil {
			reasons[i] = validationReason(err)
			failed = true
			continue
		}
		if !ok {
			reasons[i] = cancelReason{Code: "ConditionalCheckFailed", Message: "The conditional request failed"}
			if str(op.a.ReturnValuesOnConditionCheckFailure) == "ALL_OLD" && ch.old != nil {
				reasons[i].Item = ch.old.data
			}
			failed = true
			continue
		}
		switch op.kind {
		case "Put":
			ch.newItem, ch.newData, ch.newSize = op.a.Item, op.data, op.size
		case "Update":
			if err := applyUpdate(op.t, ch, op.a.Key, op.comp); err != nil {
				reasons[i] = validationReason(err)
				failed = true
				continue
			}
			op.size = ch.newSize
		case "Delete":
			if ch.old != nil {
				op.size = int(ch.old.size)
			}
		}
		changes[i] = ch
	}
	if failed {
		return txCanceled(reasons)
	}
	if err := checkTxSize(ops, changes); err != nil {
		return err
	}
	var staged []*change
	for i, op := range ops {
		ch := changes[i]
		if op.kind == "ConditionCheck" || (op.kind == "Update" && ch.newItem == nil) {
			continue
		}
		ok, err := s.stage(ch, trace, false)
		if err != nil {
			return err
		}
		if ok {
			staged = append(staged, ch)
		}
	}
	committed, err := s.logTx(staged)
	if !committed {
		return err
	}
	for _, ch := range staged {
		s.apply(ch, "TransactWriteItems", trace)
	}
	for _, t := range tables {
		if t.log != nil {
			s.maybeCompact(t)
		}
	}
	return err
}

func validationReason(err error) cancelReason {
	msg := err.Error()
	if ae, ok := err.(*awsapi.Error); ok {
		msg = ae.Message
	}
	return cancelReason{Code: "ValidationError", Message: msg}
}

func opTransactGetItems(s *Service, c *call) ([]byte, error) {
	var in struct {
		TransactItems []struct {
			Get *struct {
				TableName                *string           `json:"TableName"`
				Key                      attr.Item         `json:"Key"`
				ProjectionExpression     *string           `json:"ProjectionExpression"`
				ExpressionAttributeNames map[string]string `json:"ExpressionAttributeNames"`
			} `json:"Get"`
		} `json:"TransactItems"`
		ReturnConsumedCapacity *string `json:"ReturnConsumedCapacity"`
	}
	if err := decode(c.body, &in); err != nil {
		return nil, err
	}
	var v verrs
	if in.TransactItems == nil {
		v.add(nil, "transactItems", "Member must not be null")
	} else if len(in.TransactItems) < 1 {
		v.add("[]", "transactItems", "Member must have length greater than or equal to 1")
	} else if len(in.TransactItems) > maxTransactItems {
		v.add(structList("TransactGetItem", len(in.TransactItems)), "transactItems", "Member must have length less than or equal to 100")
	}
	v.enum(in.ReturnConsumedCapacity, "returnConsumedCapacity", "INDEXES", "TOTAL", "NONE")
	if err := v.err(); err != nil {
		return nil, err
	}
	type get struct {
		t    *table
		key  string
		comp *cexpr
	}
	gets := make([]get, len(in.TransactItems))
	var tables []*table
	for i, ti := range in.TransactItems {
		if ti.Get == nil {
			return nil, awsapi.ValidationError("1 validation error detected: Value null at 'transactItems.%d.member.get' failed to satisfy constraint: Member must not be null", i+1)
		}
		g := ti.Get
		var v verrs
		v.tableName(g.TableName, "transactItems."+itoa(i+1)+".member.get.tableName")
		if g.Key == nil {
			v.add(nil, "transactItems."+itoa(i+1)+".member.get.key", "Member must not be null")
		}
		if err := v.err(); err != nil {
			return nil, err
		}
		t, err := s.lookup(*g.TableName)
		if err != nil {
			return nil, err
		}
		k, err := t.checkKey(g.Key)
		if err != nil {
			return nil, err
		}
		var comp *cexpr
		if g.ProjectionExpression != nil || g.ExpressionAttributeNames != nil {
			if comp, err = compile(exprSpec{proj: g.ProjectionExpression, names: g.ExpressionAttributeNames, op: "TransactGetItems"}); err != nil {
				return nil, err
			}
		}
		gets[i] = get{t, k, comp}
		tables = append(tables, t)
	}
	unlock := lockTables(tables, false)
	total := 0
	for _, g := range gets {
		if e := g.t.get(g.key); e != nil {
			total += int(e.size)
		}
	}
	if total > maxTxBytes {
		unlock()
		return nil, awsapi.ValidationError("%s", msgTxTooLarge)
	}
	b := []byte(`{"Responses":[`)
	units := map[*table]float64{}
	var order []*table
	for i, g := range gets {
		if i > 0 {
			b = append(b, ',')
		}
		if _, ok := units[g.t]; !ok {
			order = append(order, g.t)
		}
		e := g.t.get(g.key)
		if e == nil {
			units[g.t] += 2
			b = append(b, "{}"...)
			continue
		}
		units[g.t] += 2 * readUnits(int(e.size), true)
		b = append(b, `{"Item":`...)
		if g.comp != nil && g.comp.proj {
			it, err := attr.DecodeItem(e.data)
			if err != nil {
				unlock()
				return nil, err
			}
			b = attr.AppendItemJSON(b, g.comp.Project(it))
		} else {
			b = append(b, e.data...)
		}
		b = append(b, '}')
	}
	unlock()
	b = append(b, ']')
	var caps []*consumedCapacity
	for _, t := range order {
		if cc := t.capacity(str(in.ReturnConsumedCapacity), units[t], false, nil); cc != nil {
			caps = append(caps, cc)
		}
	}
	if caps != nil {
		enc, _ := json.Marshal(caps)
		b = append(b, `,"ConsumedCapacity":`...)
		b = append(b, enc...)
	}
	return append(b, '}'), nil
}

func itoa(i int) string { return strconv.Itoa(i) }
