package expr

import (
	"bytes"
	"slices"
	"strconv"
	"strings"

	"github.com/slsx/slsx/emulator/awsapi"
	"github.com/slsx/slsx/emulator/dynamodb/attr"
)

// resolve follows a document path; ok is false when any step is missing or
// of the wrong type.
func resolve(item attr.Item, dp *docPath) (attr.Value, bool) {
	v, ok := item[dp.elems[0].name]
	if !ok {
		return attr.Value{}, false
	}
	for _, e := range dp.elems[1:] {
		if e.isIndex {
			if v.Kind != attr.L || e.index >= len(v.List) {
				return attr.Value{}, false
			}
			v = v.List[e.index]
		} else {
			if v.Kind != attr.M {
				return attr.Value{}, false
			}
			if v, ok = v.Map[e.name]; !ok {
				return attr.Value{}, false
			}
		}
	}
	return v, true
}

// operand evaluates a path, value or size() operand.
func operand(n *node, item attr.Item) (attr.Value, bool) {
	switch n.kind {
	case nPath:
		return resolve(item, n.path)
	case nValue:
		return *n.val, true
	case nFunc: // size
		var v attr.Value
		var ok bool
		if a := n.args[0]; a.kind == nValue {
			v, ok = *a.val, true
		} else if a.kind == nPath {
			v, ok = resolve(item, a.path)
		}
		if !ok {
			return attr.Value{}, false
		}
		var size int
		switch v.Kind {
		case attr.S:
			size = len(v.Str)
		case attr.B:
			size = len(v.Bin)
		case attr.SS, attr.NS:
			size = len(v.Strs)
		case attr.BS:
			size = len(v.Bins)
		case attr.L:
			size = len(v.List)
		case attr.M:
			size = len(v.Map)
		default:
			return attr.Value{}, false
		}
		return attr.Value{Kind: attr.N, Str: strconv.Itoa(size)}, true
	}
	return attr.Value{}, false
}

func eval(n *node, item attr.Item) bool {
	switch n.kind {
	case nAnd:
		return eval(n.args[0], item) && eval(n.args[1], item)
	case nOr:
		return eval(n.args[0], item) || eval(n.args[1], item)
	case nNot:
		return !eval(n.args[0], item)
	case nCompare:
		a, aok := operand(n.args[0], item)
		b, bok := operand(n.args[1], item)
		switch n.op {
		case "=":
			return aok && bok && attr.Equal(a, b)
		case "<>":
			return !(aok && bok && attr.Equal(a, b))
		}
		if !aok || !bok {
			return false
		}
		c, ok := attr.Compare(a, b)
		if !ok {
			return false
		}
		switch n.op {
		case "<":
			return c < 0
		case "<=":
			return c <= 0
		case ">":
			return c > 0
		default:
			return c >= 0
		}
	case nBetween:
		v, ok := operand(n.args[0], item)
		lo, lok := operand(n.args[1], item)
		hi, hok := operand(n.args[2], item)
		if !ok || !lok || !hok {
			return false
		}
		c1, ok1 := attr.Compare(lo, v)
		c2, ok2 := attr.Compare(v, hi)
		return ok1 && ok2 && c1 <= 0 && c2 <= 0
	case nIn:
		v, ok := operand(n.args[0], item)
		if !ok {
			return false
		}
		for _, a := range n.args[1:] {
			if w, ok := operand(a, item); ok && attr.Equal(v, w) {
				return true
			}
		}
		return false
	case nFunc:
		return evalFunc(n, item)
	}
	return false
}

func evalFunc(n *node, item attr.Item) bool {
	switch n.op {
	case "attribute_exists":
		_, ok := resolve(item, n.args[0].path)
		return ok
	case "attribute_not_exists":
		_, ok := resolve(item, n.args[0].path)
		return !ok
	case "attribute_type":
		v, ok := resolve(item, n.args[0].path)
		t, tok := operand(n.args[1], item)
		return ok && tok && t.Kind == attr.S && v.Kind.String() == t.Str
	case "begins_with":
		a, aok := operand(n.args[0], item)
		b, bok := operand(n.args[1], item)
		if !aok || !bok || a.Kind != b.Kind {
			return false
		}
		switch a.Kind {
		case attr.S:
			return strings.HasPrefix(a.Str, b.Str)
		case attr.B:
			return bytes.HasPrefix(a.Bin, b.Bin)
		}
	case "contains":
		a, aok := operand(n.args[0], item)
		b, bok := operand(n.args[1], item)
		if !aok || !bok {
			return false
		}
		switch a.Kind {
		case attr.S:
			return b.Kind == attr.S && strings.Contains(a.Str, b.Str)
		case attr.B:
			return b.Kind == attr.B && bytes.Contains(a.Bin, b.Bin)
		case attr.SS, attr.NS, attr.BS:
			return attr.SetContains(a, b)
		case attr.L:
			for _, e := range a.List {
				if attr.Equal(e, b) {
					return true
				}
			}
		}
	}
	return false
}

// Condition evaluates the ConditionExpression against item (nil = no item);
// true when there is none.
func (c *Compiled) Condition(item attr.Item) (bool, error) {
	if c.cond == nil {
		return true, nil
	}
	return eval(c.cond, item), nil
}

// Filter evaluates the FilterExpression; true when there is none.
func (c *Compiled) Filter(item attr.Item) (bool, error) {
	if c.filter == nil {
		return true, nil
	}
	return eval(c.filter, item), nil
}

// HasCondition reports whether a ConditionExpression is present.
func (c *Compiled) HasCondition() bool { return c.cond != nil }

// HasFilter reports whether a FilterExpression is present.
func (c *Compiled) HasFilter() bool { return c.filter != nil }

// HasProjection reports whether a ProjectionExpression is present.
func (c *Compiled) HasProjection() bool { return c.proj != nil }

// FilterPaths returns the top-level attribute names the FilterExpression
// reads (for the "Filter Expression can only contain non-primary key
// attributes" check).
func (c *Compiled) FilterPaths() []string { return topNames(c.filter) }

// ConditionPaths returns the top-level attribute names the
// ConditionExpression reads.
func (c *Compiled) ConditionPaths() []string { return topNames(c.cond) }

func topNames(root *node) []string {
	var out []string
	_ = walk(root, func(n *node) error {
		if n.kind == nPath && !slices.Contains(out, n.path.elems[0].name) {
			out = append(out, n.path.elems[0].name)
		}
		return nil
	})
	return out
}

// ProjectionPaths returns the top-level attribute names of the projection.
func (c *Compiled) ProjectionPaths() []string {
	var out []string
	for _, dp := range c.proj {
		if n := dp.elems[0].name; !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// projNode is a trie of projected paths.
type projNode struct {
	leaf  bool
	names map[string]*projNode
	idx   map[int]*projNode
	order []int // sorted list indexes
}

func buildProjTree(paths []*docPath) *projNode {
	root := &projNode{}
	for _, dp := range paths {
		n := root
		for _, e := range dp.elems {
			var next *projNode
			if e.isIndex {
				if n.idx == nil {
					n.idx = map[int]*projNode{}
				}
				if next = n.idx[e.index]; next == nil {
					next = &projNode{}
					n.idx[e.index] = next
					n.order = append(n.order, e.index)
				}
			} else {
				if n.names == nil {
					n.names = map[string]*projNode{}
				}
				if next = n.names[e.name]; next == nil {
					next = &projNode{}
					n.names[e.name] = next
				}
			}
			n = next
		}
		n.leaf = true
	}
	var sortAll func(n *projNode)
	sortAll = func(n *projNode) {
		slices.Sort(n.order)
		for _, c := range n.names {
			sortAll(c)
		}
		for _, c := range n.idx {
			sortAll(c)
		}
	}
	sortAll(root)
	return root
}

func project(v attr.Value, t *projNode) (attr.Value, bool) {
	if t.leaf {
		return v, true
	}
	switch {
	case v.Kind == attr.M && t.names != nil:
		m := make(map[string]attr.Value, len(t.names))
		for name, child := range t.names {
			if cv, ok := v.Map[name]; ok {
				if pv, ok := project(cv, child); ok {
					m[name] = pv
				}
			}
		}
		if len(m) == 0 {
			return attr.Value{}, false
		}
		return attr.Value{Kind: attr.M, Map: m}, true
	case v.Kind == attr.L && t.idx != nil:
		var l []attr.Value
		for _, i := range t.order {
			if i < len(v.List) {
				if pv, ok := project(v.List[i], t.idx[i]); ok {
					l = append(l, pv)
				}
			}
		}
		if len(l) == 0 {
			return attr.Value{}, false
		}
		return attr.Value{Kind: attr.L, List: l}, true
	}
	return attr.Value{}, false
}

// Project applies the ProjectionExpression; item itself when there is none.
func (c *Compiled) Project(item attr.Item) attr.Item {
	if c.projTree == nil || item == nil {
		return item
	}
	return projectItem(item, c.projTree)
}

// ProjectUpdated returns the parts of item at the paths the update writes,
// nested as in the item, as UpdateItem's UPDATED_OLD and UPDATED_NEW do:
// SET a.b = :v yields {"a":{"M":{"b":…}}} and SET a[2] = :v yields
// {"a":{"L":[…]}} with only the existing elements named, in index order.
// Paths missing from item are left out. Nil when there is no update.
func (c *Compiled) ProjectUpdated(item attr.Item) attr.Item {
	if c.updTree == nil || item == nil {
		return nil
	}
	return projectItem(item, c.updTree)
}

func projectItem(item attr.Item, t *projNode) attr.Item {
	out := make(attr.Item, len(t.names))
	for name, child := range t.names {
		if v, ok := item[name]; ok {
			if pv, ok := project(v, child); ok {
				out[name] = pv
			}
		}
	}
	return out
}

// KeyCond is a Query's key condition resolved against the key schema.
type KeyCond struct {
	Hash attr.Value
	Sort *SortCond
}

// SortCond is the optional condition on the sort key.
type SortCond struct {
	Op   string // "=", "<", "<=", ">", ">=", "BETWEEN", "begins_with"
	A, B attr.Value
}

// Match reports whether the sort key value v satisfies the condition.
func (s *SortCond) Match(v attr.Value) bool {
	if s == nil {
		return true
	}
	if s.Op == "begins_with" {
		switch {
		case v.Kind == attr.S && s.A.Kind == attr.S:
			return strings.HasPrefix(v.Str, s.A.Str)
		case v.Kind == attr.B && s.A.Kind == attr.B:
			return bytes.HasPrefix(v.Bin, s.A.Bin)
		}
		return false
	}
	c, ok := attr.Compare(v, s.A)
	if !ok {
		return false
	}
	switch s.Op {
	case "=":
		return c == 0
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	case ">=":
		return c >= 0
	case "BETWEEN":
		c2, ok := attr.Compare(v, s.B)
		return c >= 0 && ok && c2 <= 0
	}
	return false
}

func keyInvalid(format string, args ...any) error {
	return invalid(pKeyCondition, format, args...)
}

// keyTerm is one condition of a key condition: the attribute it constrains.
type keyTerm struct {
	name string
	cond SortCond
}

// KeyCondition checks the KeyConditionExpression against the key schema of
// the table or index queried (rangeKey "" when there is none) and returns
// the partition key value and the optional sort key condition.
func (c *Compiled) KeyCondition(hashKey, rangeKey string) (KeyCond, error) {
	if c.key == nil {
		return KeyCond{}, awsapi.ValidationError("Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.")
	}
	var conds []*node
	var flatten func(n *node)
	flatten = func(n *node) {
		if n.kind == nAnd {
			flatten(n.args[0])
			flatten(n.args[1])
			return
		}
		conds = append(conds, n)
	}
	flatten(c.key)
	var terms []keyTerm
	for _, n := range conds {
		t, err := keyTermOf(n)
		if err != nil {
			return KeyCond{}, err
		}
		terms = append(terms, t)
	}
	seen := map[string]bool{}
	nonKey := false
	for _, t := range terms {
		if seen[t.name] {
			return KeyCond{}, keyInvalid("KeyConditionExpressions must only contain one condition per key")
		}
		seen[t.name] = true
		if t.name != hashKey && (rangeKey == "" || t.name != rangeKey) {
			nonKey = true
		}
	}
	if !seen[hashKey] || nonKey {
		missing := hashKey
		if seen[hashKey] && rangeKey != "" {
			missing = rangeKey
		}
		if seen[missing] {
			return KeyCond{}, awsapi.ValidationError("Query key condition not supported")
		}
		return KeyCond{}, awsapi.ValidationError("Query condition missed key schema element: %s", missing)
	}
	var kc KeyCond
	for i := range terms {
		t := &terms[i]
		if t.name == hashKey {
			if t.cond.Op != "=" {
				return KeyCond{}, awsapi.ValidationError("Query key condition not supported")
			}
			kc.Hash = t.cond.A
		} else {
			kc.Sort = &t.cond
		}
	}
	return kc, nil
}

func keyTermOf(n *node) (keyTerm, error) {
	var ops []*node
	op := n.op
	switch n.kind {
	case nCompare, nBetween, nFunc:
		ops = n.args
	default:
		return keyTerm{}, keyInvalid("Invalid operator used in KeyConditionExpression: %s", n.op)
	}
	var name string
	names := 0
	for _, a := range ops {
		if a.kind == nPath {
			names++
			name = a.path.elems[0].name
		}
	}
	switch {
	case names == 0:
		return keyTerm{}, keyInvalid("Invalid condition in KeyConditionExpression: No key attribute specified")
	case names > 1:
		return keyTerm{}, keyInvalid("Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition")
	}
	if (n.kind == nBetween || n.kind == nFunc) && ops[0].kind != nPath {
		return keyTerm{}, keyInvalid("Invalid condition in KeyConditionExpression: %s operator must have the key attribute as its first operand", op)
	}
	t := keyTerm{name: name, cond: SortCond{Op: op}}
	switch n.kind {
	case nBetween:
		t.cond.A, t.cond.B = *ops[1].val, *ops[2].val
	case nFunc:
		t.cond.A = *ops[1].val
	default:
		if ops[0].kind == nPath {
			t.cond.A = *ops[1].val
		} else {
			t.cond.A = *ops[0].val
			t.cond.Op = flip(op)
		}
	}
	return t, nil
}

// flip mirrors a comparator for ":v < key" written value-first.
func flip(op string) string {
	switch op {
	case "<":
		return ">"
	case "<=":
		return ">="
	case ">":
		return "<"
	case ">=":
		return "<="
	}
	return op
}
