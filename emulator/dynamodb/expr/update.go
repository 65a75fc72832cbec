package expr

import (
	"slices"

	"github.com/slsx/slsx/emulator/awsapi"
	"github.com/slsx/slsx/emulator/dynamodb/attr"
)

// Runtime update errors (reference §12.6, §9.3).
const (
	msgMissingOperand = "Invalid UpdateExpression: The provided expression refers to an attribute that does not exist in the item"
	msgBadOperandType = "An operand in the update expression has an incorrect data type"
	msgInvalidPath    = "The document path provided in the update expression is invalid for update"
)

func (st *compileState) compileUpdate(src string) (*update, error) {
	p, err := prepare(pUpdate, src)
	if err != nil {
		return nil, err
	}
	u := p.parseUpdate()
	if p.err != nil {
		return nil, p.syntaxError(pUpdate)
	}
	if err := st.checkUpdate(u); err != nil {
		return nil, prefixed(pUpdate, err)
	}
	return u, nil
}

// targets lists the paths the update writes, in source order.
func (u *update) targets() []*docPath {
	var out []*docPath
	for _, a := range u.set {
		out = append(out, a.path)
	}
	out = append(out, u.remove...)
	for _, a := range u.add {
		out = append(out, a.path)
	}
	for _, a := range u.del {
		out = append(out, a.path)
	}
	slices.SortStableFunc(out, func(a, b *docPath) int { return a.elems[0].pos - b.elems[0].pos })
	return out
}

// values lists the value nodes (SET right-hand sides, ADD/DELETE operands).
func (u *update) values() []*node {
	var out []*node
	for _, a := range u.set {
		out = append(out, a.value)
	}
	for _, a := range u.add {
		out = append(out, a.value)
	}
	for _, a := range u.del {
		out = append(out, a.value)
	}
	slices.SortStableFunc(out, func(a, b *node) int { return a.pos - b.pos })
	return out
}

// allPaths lists every path of the update (targets and operands) in source order.
func (u *update) allPaths() []*docPath {
	out := u.targets()
	for _, v := range u.values() {
		_ = walk(v, func(n *node) error {
			if n.kind == nPath {
				out = append(out, n.path)
			}
			return nil
		})
	}
	slices.SortStableFunc(out, func(a, b *docPath) int { return a.elems[0].pos - b.elems[0].pos })
	return out
}

func (st *compileState) checkUpdate(u *update) error {
	paths := u.allPaths()
	for _, dp := range paths {
		if err := reservedInPath(dp); err != nil {
			return err
		}
	}
	for _, v := range u.values() {
		if err := checkFunctionNames(v); err != nil {
			return err
		}
	}
	for _, v := range u.values() {
		if err := checkFunctionUse(v, false); err != nil {
			return err
		}
	}
	seen := map[string]bool{}
	for _, s := range u.sections {
		if seen[s] {
			return errf("The %q section can only be used once in an update expression;", s)
		}
		seen[s] = true
	}
	for _, dp := range paths {
		if err := st.bindPath(dp); err != nil {
			return err
		}
	}
	for _, v := range u.values() {
		if err := st.bindValues(v); err != nil {
			return err
		}
	}
	if err := checkOverlap(u.targets()); err != nil {
		return err
	}
	for _, a := range u.add {
		if v := *a.value.val; v.Kind != attr.N && v.Kind != attr.SS && v.Kind != attr.NS && v.Kind != attr.BS {
			return errf("Incorrect operand type for operator or function; operator: ADD, operand type: %s", longType(v.Kind))
		}
	}
	for _, a := range u.del {
		if v := *a.value.val; v.Kind != attr.SS && v.Kind != attr.NS && v.Kind != attr.BS {
			return errf("Incorrect operand type for operator or function; operator: DELETE, operand type: %s", longType(v.Kind))
		}
	}
	for _, a := range u.set {
		if err := checkArity(a.value); err != nil {
			return err
		}
		if err := checkOperandTypes(a.value); err != nil {
			return err
		}
	}
	return nil
}

func longType(k attr.Kind) string {
	switch k {
	case attr.S:
		return "STRING"
	case attr.N:
		return "NUMBER"
	case attr.B:
		return "BINARY"
	case attr.BOOL:
		return "BOOLEAN"
	case attr.NULL:
		return "NULL"
	case attr.L:
		return "LIST"
	case attr.M:
		return "MAP"
	case attr.SS:
		return "STRING_SET"
	case attr.NS:
		return "NUMBER_SET"
	case attr.BS:
		return "BINARY_SET"
	}
	return k.String()
}

// topLevel returns the distinct top-level attribute names the update writes.
func (u *update) topLevel() []string {
	var out []string
	for _, dp := range u.targets() {
		if n := dp.elems[0].name; !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// HasUpdate reports whether the request carries an UpdateExpression.
func (c *Compiled) HasUpdate() bool { return c.upd != nil }

// UpdatedPaths returns the top-level attribute names the update touches.
func (c *Compiled) UpdatedPaths() []string { return c.updated }

// OnlyRemoves reports whether the update has only REMOVE and DELETE
// actions, which do not create a missing item.
func (c *Compiled) OnlyRemoves() bool {
	return c.upd != nil && len(c.upd.set) == 0 && len(c.upd.add) == 0
}

// evalSetValue evaluates a SET right-hand side against the original item.
func evalSetValue(n *node, item attr.Item) (attr.Value, error) {
	switch n.kind {
	case nValue:
		return *n.val, nil
	case nPath:
		v, ok := resolve(item, n.path)
		if !ok {
			return attr.Value{}, awsapi.ValidationError(msgMissingOperand)
		}
		return v, nil
	case nArith:
		a, err := evalSetValue(n.args[0], item)
		if err != nil {
			return a, err
		}
		b, err := evalSetValue(n.args[1], item)
		if err != nil {
			return b, err
		}
		if a.Kind != attr.N || b.Kind != attr.N {
			return attr.Value{}, awsapi.ValidationError(msgBadOperandType)
		}
		da, err := attr.ParseNumber(a.Str)
		if err != nil {
			return attr.Value{}, err
		}
		db, err := attr.ParseNumber(b.Str)
		if err != nil {
			return attr.Value{}, err
		}
		var r attr.Decimal
		if n.op == "+" {
			r, err = da.Add(db)
		} else {
			r, err = da.Sub(db)
		}
		if err != nil {
			return attr.Value{}, err
		}
		return attr.Value{Kind: attr.N, Str: r.String()}, nil
	case nFunc:
		switch n.op {
		case "if_not_exists":
			if v, ok := resolve(item, n.args[0].path); ok {
				return v, nil
			}
			return evalSetValue(n.args[1], item)
		case "list_append":
			a, err := evalSetValue(n.args[0], item)
			if err != nil {
				return a, err
			}
			b, err := evalSetValue(n.args[1], item)
			if err != nil {
				return b, err
			}
			if a.Kind != attr.L || b.Kind != attr.L {
				return attr.Value{}, awsapi.ValidationError(msgBadOperandType)
			}
			l := make([]attr.Value, 0, len(a.List)+len(b.List))
			l = append(append(l, a.List...), b.List...)
			return attr.Value{Kind: attr.L, List: l}, nil
		}
	}
	return attr.Value{}, awsapi.ValidationError(msgBadOperandType)
}

// comparePaths orders paths element by element (names lexically, indexes
// numerically) so appends to one list apply in ascending index order.
func comparePaths(a, b *docPath) int {
	for k := 0; k < len(a.elems) && k < len(b.elems); k++ {
		x, y := a.elems[k], b.elems[k]
		switch {
		case x.isIndex && y.isIndex:
			if x.index != y.index {
				return x.index - y.index
			}
		case !x.isIndex && !y.isIndex:
			if x.name != y.name {
				if x.name < y.name {
					return -1
				}
				return 1
			}
		case x.isIndex:
			return -1
		default:
			return 1
		}
	}
	return len(a.elems) - len(b.elems)
}

// Apply runs the UpdateExpression on a copy of item (nil = missing item)
// and returns the new item. The input item is not modified.
func (c *Compiled) Apply(item attr.Item) (attr.Item, error) {
	u := c.upd
	out := make(attr.Item, len(item)+2)
	for k, v := range item {
		out[k] = v
	}
	if u == nil {
		return out, nil
	}
	// Right-hand sides see the item as it was before the update.
	type pending struct {
		path *docPath
		v    attr.Value
	}
	sets := make([]pending, len(u.set))
	for i, a := range u.set {
		v, err := evalSetValue(a.value, item)
		if err != nil {
			return nil, err
		}
		sets[i] = pending{a.path, v}
	}
	slices.SortStableFunc(sets, func(a, b pending) int { return comparePaths(a.path, b.path) })
	for _, s := range sets {
		if err := setPath(out, s.path, s.v); err != nil {
			return nil, err
		}
	}
	removes := slices.Clone(u.remove)
	slices.SortStableFunc(removes, func(a, b *docPath) int { return comparePaths(b, a) })
	for _, dp := range removes {
		removePath(out, dp)
	}
	for _, a := range u.add {
		if err := addPath(out, a.path, *a.value.val); err != nil {
			return nil, err
		}
	}
	for _, a := range u.del {
		if err := deletePath(out, a.path, *a.value.val); err != nil {
			return nil, err
		}
	}
	return out, nil
}

type action uint8

const (
	actNone action = iota
	actSet
	actRemove
)

// editFunc decides what happens at the path's final slot given its current
// value (exists=false when absent).
type editFunc func(cur attr.Value, exists bool) (attr.Value, action, error)

// edit applies fn at dp inside item (a copy owned by the caller). Every map
// and list on the way is cloned, so values shared with the caller's
// original item are never written. A missing or mistyped parent is an error
// when strict, else a no-op.
func edit(item attr.Item, dp *docPath, strict bool, fn editFunc) error {
	name := dp.elems[0].name
	cur, ok := item[name]
	if len(dp.elems) == 1 {
		v, act, err := fn(cur, ok)
		if err != nil {
			return err
		}
		switch act {
		case actSet:
			item[name] = v
		case actRemove:
			delete(item, name)
		}
		return nil
	}
	if !ok {
		return missingParent(strict)
	}
	nv, changed, err := editIn(cur, dp.elems[1:], strict, fn)
	if err != nil || !changed {
		return err
	}
	item[name] = nv
	return nil
}

func missingParent(strict bool) error {
	if strict {
		return awsapi.ValidationError(msgInvalidPath)
	}
	return nil
}

// editIn applies fn at elems below container and returns the new container.
func editIn(container attr.Value, elems []pathElem, strict bool, fn editFunc) (attr.Value, bool, error) {
	e := elems[0]
	if e.isIndex {
		if container.Kind != attr.L {
			return container, false, missingParent(strict)
		}
		exists := e.index < len(container.List)
		if len(elems) > 1 {
			if !exists {
				return container, false, missingParent(strict)
			}
			child, changed, err := editIn(container.List[e.index], elems[1:], strict, fn)
			if err != nil || !changed {
				return container, false, err
			}
			l := slices.Clone(container.List)
			l[e.index] = child
			container.List = l
			return container, true, nil
		}
		var cur attr.Value
		if exists {
			cur = container.List[e.index]
		}
		v, act, err := fn(cur, exists)
		if err != nil {
			return container, false, err
		}
		switch {
		case act == actSet && exists:
			l := slices.Clone(container.List)
			l[e.index] = v
			container.List = l
		case act == actSet:
			l := make([]attr.Value, len(container.List), len(container.List)+1)
			copy(l, container.List)
			container.List = append(l, v)
		case act == actRemove && exists:
			l := make([]attr.Value, 0, len(container.List)-1)
			l = append(append(l, container.List[:e.index]...), container.List[e.index+1:]...)
			container.List = l
		default:
			return container, false, nil
		}
		return container, true, nil
	}
	if container.Kind != attr.M {
		return container, false, missingParent(strict)
	}
	cur, exists := container.Map[e.name]
	var nv attr.Value
	act := actSet
	if len(elems) > 1 {
		if !exists {
			return container, false, missingParent(strict)
		}
		child, changed, err := editIn(cur, elems[1:], strict, fn)
		if err != nil || !changed {
			return container, false, err
		}
		nv = child
	} else {
		v, a, err := fn(cur, exists)
		if err != nil {
			return container, false, err
		}
		if a == actNone || a == actRemove && !exists {
			return container, false, nil
		}
		nv, act = v, a
	}
	m := make(map[string]attr.Value, len(container.Map)+1)
	for k, v := range container.Map {
		m[k] = v
	}
	if act == actRemove {
		delete(m, e.name)
	} else {
		m[e.name] = nv
	}
	container.Map = m
	return container, true, nil
}

func setPath(item attr.Item, dp *docPath, v attr.Value) error {
	return edit(item, dp, true, func(attr.Value, bool) (attr.Value, action, error) { return v, actSet, nil })
}

func removePath(item attr.Item, dp *docPath) {
	_ = edit(item, dp, false, func(_ attr.Value, exists bool) (attr.Value, action, error) {
		if !exists {
			return attr.Value{}, actNone, nil
		}
		return attr.Value{}, actRemove, nil
	})
}

func addPath(item attr.Item, dp *docPath, v attr.Value) error {
	return edit(item, dp, true, func(cur attr.Value, exists bool) (attr.Value, action, error) {
		if !exists {
			if v.Kind == attr.N {
				c, err := attr.CanonicalNumber(v.Str)
				if err != nil {
					return v, actNone, err
				}
				v.Str = c
			}
			return v, actSet, nil
		}
		switch {
		case cur.Kind == attr.N && v.Kind == attr.N:
			a, err := attr.ParseNumber(cur.Str)
			if err != nil {
				return v, actNone, err
			}
			b, err := attr.ParseNumber(v.Str)
			if err != nil {
				return v, actNone, err
			}
			r, err := a.Add(b)
			if err != nil {
				return v, actNone, err
			}
			return attr.Value{Kind: attr.N, Str: r.String()}, actSet, nil
		case cur.Kind == v.Kind && (v.Kind == attr.SS || v.Kind == attr.NS):
			out := slices.Clone(cur.Strs)
			for _, s := range v.Strs {
				if !attr.SetContains(cur, attr.Value{Kind: elemKind(v.Kind), Str: s}) {
					out = append(out, s)
				}
			}
			return attr.Value{Kind: v.Kind, Strs: out}, actSet, nil
		case cur.Kind == attr.BS && v.Kind == attr.BS:
			out := slices.Clone(cur.Bins)
			for _, b := range v.Bins {
				if !attr.ContainsBin(cur.Bins, b) {
					out = append(out, b)
				}
			}
			return attr.Value{Kind: attr.BS, Bins: out}, actSet, nil
		}
		return v, actNone, awsapi.ValidationError(msgBadOperandType)
	})
}

func elemKind(set attr.Kind) attr.Kind {
	switch set {
	case attr.SS:
		return attr.S
	case attr.NS:
		return attr.N
	case attr.BS:
		return attr.B
	}
	return 0
}

func deletePath(item attr.Item, dp *docPath, v attr.Value) error {
	return edit(item, dp, false, func(cur attr.Value, exists bool) (attr.Value, action, error) {
		if !exists {
			return v, actNone, nil
		}
		if cur.Kind != v.Kind {
			return v, actNone, awsapi.ValidationError(msgBadOperandType)
		}
		out := attr.Value{Kind: cur.Kind}
		if cur.Kind == attr.BS {
			for _, b := range cur.Bins {
				if !attr.ContainsBin(v.Bins, b) {
					out.Bins = append(out.Bins, b)
				}
			}
			if len(out.Bins) == 0 {
				return out, actRemove, nil
			}
			return out, actSet, nil
		}
		for _, s := range cur.Strs {
			if !attr.SetContains(v, attr.Value{Kind: elemKind(cur.Kind), Str: s}) {
				out.Strs = append(out.Strs, s)
			}
		}
		if len(out.Strs) == 0 {
			return out, actRemove, nil
		}
		return out, actSet, nil
	})
}
