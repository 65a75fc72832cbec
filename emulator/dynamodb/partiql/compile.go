package partiql

import (
	"strconv"
	"strings"

	"github.com/slsx/slsx/emulator/dynamodb/attr"
	"github.com/slsx/slsx/emulator/dynamodb/expr"
)

// MsgIncompleteKey is DynamoDB's answer to a write whose WHERE does not pin
// the whole primary key.
const MsgIncompleteKey = "Where clause does not contain a mandatory equality on all key attributes"

// emitter writes expression-language text with generated placeholders.
type emitter struct {
	byName map[string]string
	names  map[string]string
	values map[string]attr.Value
}

func newEmitter() *emitter {
	return &emitter{byName: map[string]string{}, names: map[string]string{}, values: map[string]attr.Value{}}
}

func (e *emitter) name(n string) string {
	if ph, ok := e.byName[n]; ok {
		return ph
	}
	ph := "#n" + strconv.Itoa(len(e.byName))
	e.byName[n] = ph
	e.names[ph] = n
	return ph
}

func (e *emitter) value(v attr.Value) string {
	ph := ":v" + strconv.Itoa(len(e.values))
	e.values[ph] = v
	return ph
}

func (e *emitter) path(p Path) string {
	var b strings.Builder
	for i, el := range p {
		if el.IsIndex {
			b.WriteString("[" + strconv.Itoa(el.Index) + "]")
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(e.name(el.Name))
	}
	return b.String()
}

// operand renders a comparison operand: a path, a literal or size(path).
func (e *emitter) operand(x Expr) (string, error) {
	switch v := x.(type) {
	case Path:
		return e.path(v), nil
	case Lit:
		return e.value(v.V), nil
	case Call:
		if v.Name == "size" {
			if len(v.Args) != 1 {
				return "", invalid("Incorrect number of operands for operator or function; operator or function: size, number of operands: %d", len(v.Args))
			}
			a, err := e.operand(v.Args[0])
			if err != nil {
				return "", err
			}
			return "size(" + a + ")", nil
		}
		if !knownFunc(v.Name) {
			return "", invalid("Unrecognized function: %s", v.Name)
		}
		return "", invalid("The function is not allowed to be used this way in an expression; function: %s", v.Name)
	case Binary:
		return "", invalid("Unsupported operator in Condition Expression. Operator: %s", v.Op)
	}
	return "", invalid("WHERE clause must contain an expression that resolves to a boolean")
}

func knownFunc(n string) bool {
	switch n {
	case "begins_with", "contains", "attribute_exists", "attribute_not_exists", "attribute_type", "size",
		"list_append", "if_not_exists", "set_add", "set_delete":
		return true
	}
	return false
}

func isLogical(x Expr) bool {
	b, ok := x.(Binary)
	return ok && (b.Op == "AND" || b.Op == "OR")
}

// wrapped renders a child of a NOT (parent "") or of an AND/OR, adding
// parentheses where the child is a different logical operator.
func (e *emitter) wrapped(x Expr, parent string) (string, error) {
	s, err := e.cond(x)
	if err != nil {
		return "", err
	}
	if isLogical(x) && x.(Binary).Op != parent {
		return "(" + s + ")", nil
	}
	return s, nil
}

// cond renders a condition. It never returns text wrapped whole in
// parentheses, so callers can add one pair without the expression parser
// seeing redundant ones.
func (e *emitter) cond(x Expr) (string, error) {
	switch v := x.(type) {
	case Binary:
		switch v.Op {
		case "AND", "OR":
			l, err := e.wrapped(v.L, v.Op)
			if err != nil {
				return "", err
			}
			r, err := e.wrapped(v.R, v.Op)
			if err != nil {
				return "", err
			}
			return l + " " + v.Op + " " + r, nil
		case "+", "-":
			return "", invalid("WHERE clause must contain an expression that resolves to a boolean")
		}
		l, err := e.operand(v.L)
		if err != nil {
			return "", err
		}
		r, err := e.operand(v.R)
		if err != nil {
			return "", err
		}
		return l + " " + v.Op + " " + r, nil
	case Not:
		s, err := e.wrapped(v.X, "")
		if err != nil {
			return "", err
		}
		if _, isNot := v.X.(Not); isNot {
			s = "(" + s + ")"
		}
		return "NOT " + s, nil
	case Between:
		a, err := e.operand(v.X)
		if err != nil {
			return "", err
		}
		lo, err := e.operand(v.Lo)
		if err != nil {
			return "", err
		}
		hi, err := e.operand(v.Hi)
		if err != nil {
			return "", err
		}
		s := a + " BETWEEN " + lo + " AND " + hi
		if v.Negate {
			s = "NOT (" + s + ")"
		}
		return s, nil
	case In:
		if len(v.List) > expr.MaxInOperands {
			return "", invalid("Too many operands in IN list; maximum: %d", expr.MaxInOperands)
		}
		a, err := e.operand(v.X)
		if err != nil {
			return "", err
		}
		parts := make([]string, len(v.List))
		for i, it := range v.List {
			if parts[i], err = e.operand(it); err != nil {
				return "", err
			}
		}
		s := a + " IN (" + strings.Join(parts, ", ") + ")"
		if v.Negate {
			s = "NOT (" + s + ")"
		}
		return s, nil
	case Is:
		p, ok := v.X.(Path)
		if !ok {
			return "", invalid("The left hand side argument to IS must be a Variable Reference, Literal, or Path")
		}
		ps := e.path(p)
		if v.Type == "MISSING" {
			if v.Negate {
				return "attribute_exists(" + ps + ")", nil
			}
			return "attribute_not_exists(" + ps + ")", nil
		}
		s := "attribute_type(" + ps + ", " + e.value(attr.Value{Kind: attr.S, Str: isTypes[v.Type]}) + ")"
		if v.Negate {
			s = "NOT " + s
		}
		return s, nil
	case Call:
		switch v.Name {
		case "begins_with", "contains", "attribute_exists", "attribute_not_exists", "attribute_type":
			args := make([]string, len(v.Args))
			for i, a := range v.Args {
				var err error
				if args[i], err = e.operand(a); err != nil {
					return "", err
				}
			}
			return v.Name + "(" + strings.Join(args, ", ") + ")", nil
		case "size":
			return "", invalid("The function is not allowed to be used this way in an expression; function: size")
		}
		if knownFunc(v.Name) {
			return "", invalid("The function is not allowed to be used this way in an expression; function: %s", v.Name)
		}
		return "", invalid("Unrecognized function: %s", v.Name)
	}
	return "", invalid("WHERE clause must contain an expression that resolves to a boolean")
}

// setValue renders the right side of a SET action.
func (e *emitter) setValue(x Expr) (string, error) {
	switch v := x.(type) {
	case Path:
		return e.path(v), nil
	case Lit:
		return e.value(v.V), nil
	case Binary:
		if v.Op != "+" && v.Op != "-" {
			return "", invalid("Unsupported operator in Update Expression. Operator: %s", v.Op)
		}
		l, err := e.setOperand(v.L)
		if err != nil {
			return "", err
		}
		r, err := e.setOperand(v.R)
		if err != nil {
			return "", err
		}
		return l + " " + v.Op + " " + r, nil
	case Call:
		return e.setOperand(v)
	}
	return "", invalid("Unsupported operator in Update Expression. Operator: %s", exprName(x))
}

func (e *emitter) setOperand(x Expr) (string, error) {
	switch v := x.(type) {
	case Path:
		return e.path(v), nil
	case Lit:
		return e.value(v.V), nil
	case Call:
		if v.Name != "list_append" && v.Name != "if_not_exists" {
			if knownFunc(v.Name) {
				return "", invalid("Unsupported operator in Update Expression. Operator: %s", strings.ToUpper(v.Name))
			}
			return "", invalid("Unrecognized function: %s", v.Name)
		}
		if len(v.Args) != 2 {
			return "", invalid("Incorrect number of operands for operator or function; operator or function: %s, number of operands: %d", v.Name, len(v.Args))
		}
		a, err := e.setOperand(v.Args[0])
		if err != nil {
			return "", err
		}
		b, err := e.setOperand(v.Args[1])
		if err != nil {
			return "", err
		}
		return v.Name + "(" + a + ", " + b + ")", nil
	}
	return "", invalid("Unsupported operator in Update Expression. Operator: %s", exprName(x))
}

func exprName(x Expr) string {
	switch v := x.(type) {
	case Binary:
		return v.Op
	case Not:
		return "NOT"
	case Between:
		return "BETWEEN"
	case In:
		return "IN"
	case Is:
		return "IS"
	case Call:
		return v.Name
	}
	return "?"
}

func samePath(a, b Path) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Input compiles the statement's WHERE (as Condition), SET/REMOVE (as
// Update) and projection (as Projection) into expression-language text
// with generated #n/:v placeholders.
func (s *Statement) Input() (expr.Input, error) {
	e := newEmitter()
	var in expr.Input
	var err error
	if len(s.Projection) > 0 {
		parts := make([]string, len(s.Projection))
		for i, p := range s.Projection {
			parts[i] = e.path(p)
		}
		in.Projection = strings.Join(parts, ", ")
	}
	if len(s.Sets) > 0 || len(s.Removes) > 0 {
		if in.Update, err = s.updateText(e); err != nil {
			return in, err
		}
	}
	if s.Where != nil {
		if in.Condition, err = e.cond(s.Where); err != nil {
			return in, err
		}
	}
	if len(e.names) > 0 {
		in.Names = e.names
	}
	if len(e.values) > 0 {
		in.Values = e.values
	}
	return in, nil
}

func (s *Statement) updateText(e *emitter) (string, error) {
	var set, add, del, rem []string
	for _, a := range s.Sets {
		target := e.path(a.Path)
		if c, ok := a.Value.(Call); ok && (c.Name == "set_add" || c.Name == "set_delete") {
			fn := strings.ToUpper(strings.TrimPrefix(c.Name, "set_"))
			if len(c.Args) != 2 {
				return "", invalid("SET_%s must have exactly two arguments", fn)
			}
			if p, ok := c.Args[0].(Path); !ok || !samePath(p, a.Path) {
				return "", invalid("The first argument to SET_%s must equal the assignment value", fn)
			}
			l, ok := c.Args[1].(Lit)
			if !ok || (l.V.Kind != attr.SS && l.V.Kind != attr.NS && l.V.Kind != attr.BS) {
				return "", invalid("The second argument to SET_%s must be a value with type SET", fn)
			}
			if fn == "ADD" {
				add = append(add, target+" "+e.value(l.V))
			} else {
				del = append(del, target+" "+e.value(l.V))
			}
			continue
		}
		v, err := e.setValue(a.Value)
		if err != nil {
			return "", err
		}
		set = append(set, target+" = "+v)
	}
	for _, p := range s.Removes {
		rem = append(rem, e.path(p))
	}
	var b []string
	if len(set) > 0 {
		b = append(b, "SET "+strings.Join(set, ", "))
	}
	if len(rem) > 0 {
		b = append(b, "REMOVE "+strings.Join(rem, ", "))
	}
	if len(add) > 0 {
		b = append(b, "ADD "+strings.Join(add, ", "))
	}
	if len(del) > 0 {
		b = append(b, "DELETE "+strings.Join(del, ", "))
	}
	return strings.Join(b, " "), nil
}

// conjuncts flattens the top-level AND chain of x.
func conjuncts(x Expr, out []Expr) []Expr {
	if b, ok := x.(Binary); ok && b.Op == "AND" {
		return conjuncts(b.R, conjuncts(b.L, out))
	}
	return append(out, x)
}

// equality returns the top-level attribute name and value of name = literal.
func equality(x Expr) (string, attr.Value, bool) {
	b, ok := x.(Binary)
	if !ok || b.Op != "=" {
		return "", attr.Value{}, false
	}
	p, lit := b.L, b.R
	if _, isLit := p.(Lit); isLit {
		p, lit = lit, p
	}
	path, ok1 := p.(Path)
	l, ok2 := lit.(Lit)
	if !ok1 || !ok2 || len(path) != 1 || path[0].IsIndex {
		return "", attr.Value{}, false
	}
	return path[0].Name, l.V, true
}

// FullKey returns the key the WHERE clause pins with equalities joined by
// AND on every attribute in keys, or DynamoDB's error when it does not.
func (s *Statement) FullKey(keys ...string) (attr.Item, error) {
	if s.Where == nil {
		return nil, invalid(MsgIncompleteKey)
	}
	found := map[string][]attr.Value{}
	for _, c := range conjuncts(s.Where, nil) {
		if n, v, ok := equality(c); ok {
			found[n] = append(found[n], v)
		}
	}
	out := attr.Item{}
	for _, k := range keys {
		switch len(found[k]) {
		case 0:
			return nil, invalid(MsgIncompleteKey)
		case 1:
			out[k] = found[k][0]
		default:
			return nil, invalid("Multiple conditions on same key %s. Only single item Update/Insert/Delete are supported", k)
		}
	}
	return out, nil
}

// HashValues returns the partition-key values a SELECT's WHERE clause
// restricts name to, through = and IN joined by AND (either side) or OR
// (both sides). ok is false when the WHERE clause allows any value, which
// makes the SELECT a scan.
func (s *Statement) HashValues(name string) (vals []attr.Value, ok bool) {
	if s.Where == nil {
		return nil, false
	}
	return hashValues(s.Where, name)
}

func hashValues(x Expr, name string) ([]attr.Value, bool) {
	if n, v, ok := equality(x); ok {
		if n == name {
			return []attr.Value{v}, true
		}
		return nil, false
	}
	switch v := x.(type) {
	case In:
		p, ok := v.X.(Path)
		if v.Negate || !ok || len(p) != 1 || p[0].IsIndex || p[0].Name != name {
			return nil, false
		}
		var out []attr.Value
		for _, it := range v.List {
			l, ok := it.(Lit)
			if !ok {
				return nil, false
			}
			out = appendUnique(out, l.V)
		}
		return out, true
	case Binary:
		switch v.Op {
		case "AND":
			if l, ok := hashValues(v.L, name); ok {
				return l, true
			}
			return hashValues(v.R, name)
		case "OR":
			l, ok := hashValues(v.L, name)
			if !ok {
				return nil, false
			}
			r, ok := hashValues(v.R, name)
			if !ok {
				return nil, false
			}
			for _, x := range r {
				l = appendUnique(l, x)
			}
			return l, true
		}
	}
	return nil, false
}

func appendUnique(list []attr.Value, v attr.Value) []attr.Value {
	for _, x := range list {
		if attr.Equal(x, v) {
			return list
		}
	}
	return append(list, v)
}
