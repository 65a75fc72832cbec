package expr

import (
	"strconv"
	"strings"

	"github.com/slsx/slsx/emulator/dynamodb/attr"
)

// pathElem is one step of a document path: a map key (or top-level
// attribute name) or a list index.
type pathElem struct {
	name    string // resolved name (after #placeholder substitution)
	raw     string // as written: identifier or #placeholder
	index   int
	isIndex bool
	pos     int // token offset, for ordering messages
}

// docPath is a document path such as a.b[3].c.
type docPath struct {
	elems []pathElem
}

// String renders the path as DynamoDB does in messages: [a, b, [3]].
func (p *docPath) String() string {
	var b strings.Builder
	b.WriteByte('[')
	for i, e := range p.elems {
		if i > 0 {
			b.WriteString(", ")
		}
		if e.isIndex {
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(e.index))
			b.WriteByte(']')
		} else {
			b.WriteString(e.name)
		}
	}
	b.WriteByte(']')
	return b.String()
}

func (p *docPath) equal(q *docPath) bool {
	if len(p.elems) != len(q.elems) {
		return false
	}
	for i := range p.elems {
		a, b := p.elems[i], q.elems[i]
		if a.isIndex != b.isIndex || a.index != b.index || a.name != b.name {
			return false
		}
	}
	return true
}

type nodeKind uint8

const (
	nPath    nodeKind = iota + 1
	nValue            // :placeholder
	nFunc             // name(args...)
	nCompare          // a op b
	nBetween          // a BETWEEN b AND c
	nIn               // a IN (b, ...)
	nAnd
	nOr
	nNot
	nArith // a + b, a - b (update SET values)
)

// node is one element of a parsed expression. Operands and conditions share
// the type so the parser can defer deciding what a parenthesised group is.
type node struct {
	kind   nodeKind
	op     string // comparator, "+"/"-", or function name
	path   *docPath
	vname  string      // value placeholder as written
	val    *attr.Value // bound value
	args   []*node
	parens int // number of parenthesis pairs directly around the node
	pos    int // source offset of the first token
}

func (n *node) isOperand() bool {
	return n.kind == nPath || n.kind == nValue || n.kind == nArith || (n.kind == nFunc && n.op == "size")
}

// syntaxErr is a parse failure at one token.
type syntaxErr struct{ tok int }

type parser struct {
	src  string
	toks []token
	i    int
	err  *syntaxErr
}

func (p *parser) tok() token { return p.toks[p.i] }

func (p *parser) fail() {
	if p.err == nil {
		p.err = &syntaxErr{tok: p.i}
	}
}

// near renders DynamoDB's "near" excerpt: the source text from the token
// before the offending one to the token after it.
func (p *parser) near(i int) string {
	from := p.toks[i].start
	if i > 0 {
		from = p.toks[i-1].start
	}
	to := p.toks[i].end
	if i+1 < len(p.toks) && p.toks[i+1].kind != tEOF {
		to = p.toks[i+1].end
	}
	return p.src[from:to]
}

func (p *parser) isPunct(s string) bool {
	t := p.toks[p.i]
	return t.kind == tPunct && t.text == s
}

func (p *parser) isKeyword(kw string) bool {
	t := p.toks[p.i]
	return t.kind == tIdent && strings.EqualFold(t.text, kw)
}

func (p *parser) expectPunct(s string) bool {
	if p.isPunct(s) {
		p.i++
		return true
	}
	p.fail()
	return false
}

// keywords that cannot start a path in condition and update expressions.
func isKeywordText(s string) bool {
	switch strings.ToUpper(s) {
	case "AND", "OR", "NOT", "BETWEEN", "IN", "SET", "REMOVE", "ADD", "DELETE":
		return true
	}
	return false
}

// parsePath parses a document path starting at an identifier or #name.
func (p *parser) parsePath(keywords bool) *docPath {
	t := p.tok()
	if t.kind != tName && (t.kind != tIdent || (keywords && isKeywordText(t.text))) {
		p.fail()
		return nil
	}
	dp := &docPath{}
	dp.elems = append(dp.elems, pathElem{raw: t.text, name: t.text, pos: t.start})
	p.i++
	for {
		switch {
		case p.isPunct("."):
			p.i++
			t := p.tok()
			if t.kind != tName && t.kind != tIdent {
				p.fail()
				return nil
			}
			dp.elems = append(dp.elems, pathElem{raw: t.text, name: t.text, pos: t.start})
			p.i++
		case p.isPunct("["):
			p.i++
			t := p.tok()
			if t.kind != tNumber {
				p.fail()
				return nil
			}
			n, err := strconv.Atoi(t.text)
			if err != nil || n > 1<<30 {
				p.fail()
				return nil
			}
			p.i++
			if !p.expectPunct("]") {
				return nil
			}
			dp.elems = append(dp.elems, pathElem{index: n, isIndex: true, pos: t.start})
		default:
			return dp
		}
	}
}

// parseOperand parses a path, a value placeholder, a function call or a
// parenthesised operand.
func (p *parser) parseOperand(update bool) *node {
	t := p.tok()
	switch {
	case p.err != nil:
		return nil
	case t.kind == tPunct && t.text == "(":
		p.i++
		var n *node
		if update {
			n = p.parseSetValue()
		} else {
			n = p.parseOperand(false)
		}
		if n == nil || !p.expectPunct(")") {
			return nil
		}
		n.parens++
		return n
	case t.kind == tValue:
		p.i++
		return &node{kind: nValue, vname: t.text, pos: t.start}
	case t.kind == tIdent && p.toks[p.i+1].kind == tPunct && p.toks[p.i+1].text == "(":
		return p.parseCall(update)
	case t.kind == tIdent || t.kind == tName:
		dp := p.parsePath(true)
		if dp == nil {
			return nil
		}
		return &node{kind: nPath, path: dp, pos: t.start}
	}
	p.fail()
	return nil
}

func (p *parser) parseCall(update bool) *node {
	t := p.tok()
	p.i += 2 // name and "("
	n := &node{kind: nFunc, op: t.text, pos: t.start}
	if p.isPunct(")") {
		p.i++
		return n
	}
	for {
		a := p.parseOperand(update)
		if a == nil {
			return nil
		}
		n.args = append(n.args, a)
		if p.isPunct(",") {
			p.i++
			continue
		}
		if !p.expectPunct(")") {
			return nil
		}
		return n
	}
}

// parseCondition parses a whole condition, ending at EOF.
func (p *parser) parseCondition() *node {
	n := p.parseOr(false)
	if p.err == nil && p.tok().kind != tEOF {
		p.fail()
	}
	if p.err != nil {
		return nil
	}
	return n
}

func (p *parser) parseOr(inParens bool) *node {
	left := p.parseAnd(inParens)
	for left != nil && p.isKeyword("OR") {
		pos := p.tok().start
		p.i++
		right := p.parseAnd(false)
		if right == nil {
			return nil
		}
		left = &node{kind: nOr, args: []*node{left, right}, pos: pos}
	}
	return left
}

func (p *parser) parseAnd(inParens bool) *node {
	left := p.parseNot(inParens)
	for left != nil && p.isKeyword("AND") {
		pos := p.tok().start
		p.i++
		right := p.parseNot(false)
		if right == nil {
			return nil
		}
		left = &node{kind: nAnd, args: []*node{left, right}, pos: pos}
	}
	return left
}

func (p *parser) parseNot(inParens bool) *node {
	if p.isKeyword("NOT") {
		pos := p.tok().start
		p.i++
		n := p.parseNot(false)
		if n == nil {
			return nil
		}
		return &node{kind: nNot, args: []*node{n}, pos: pos}
	}
	return p.parsePrimary(inParens)
}

// parsePrimary parses a comparison, BETWEEN, IN, function call or
// parenthesised group. inParens allows a bare operand, which the enclosing
// parenthesis then continues as a comparison: "(a) = :v".
func (p *parser) parsePrimary(inParens bool) *node {
	var left *node
	if p.isPunct("(") {
		p.i++
		inner := p.parseOr(true)
		if inner == nil || !p.expectPunct(")") {
			return nil
		}
		inner.parens++
		if !inner.isOperand() {
			return inner
		}
		left = inner
	} else {
		left = p.parseOperand(false)
		if left == nil {
			return nil
		}
	}
	t := p.tok()
	switch {
	case t.kind == tPunct && (t.text == "=" || t.text == "<>" || t.text == "<" || t.text == "<=" || t.text == ">" || t.text == ">="):
		p.i++
		right := p.parseOperand(false)
		if right == nil {
			return nil
		}
		return &node{kind: nCompare, op: t.text, args: []*node{left, right}, pos: left.pos}
	case p.isKeyword("BETWEEN"):
		p.i++
		lo := p.parseOperand(false)
		if lo == nil {
			return nil
		}
		if !p.isKeyword("AND") {
			p.fail()
			return nil
		}
		p.i++
		hi := p.parseOperand(false)
		if hi == nil {
			return nil
		}
		return &node{kind: nBetween, op: "BETWEEN", args: []*node{left, lo, hi}, pos: left.pos}
	case p.isKeyword("IN"):
		p.i++
		if !p.expectPunct("(") {
			return nil
		}
		n := &node{kind: nIn, op: "IN", args: []*node{left}, pos: left.pos}
		for {
			a := p.parseOperand(false)
			if a == nil {
				return nil
			}
			n.args = append(n.args, a)
			if p.isPunct(",") {
				p.i++
				continue
			}
			if !p.expectPunct(")") {
				return nil
			}
			return n
		}
	}
	if left.kind == nFunc {
		return left // a boolean function, or size() misused (checked later)
	}
	if inParens && p.isPunct(")") {
		return left
	}
	p.fail()
	return nil
}

// update is a parsed UpdateExpression.
type update struct {
	set    []setAction
	remove []*docPath
	add    []pathValue
	del    []pathValue
	// sections in the order written, for the repeated-section check.
	sections []string
}

type setAction struct {
	path  *docPath
	value *node
}

type pathValue struct {
	path  *docPath
	value *node
}

func (p *parser) parseUpdate() *update {
	u := &update{}
	if p.tok().kind == tEOF {
		p.fail()
		return nil
	}
	for p.err == nil && p.tok().kind != tEOF {
		t := p.tok()
		if t.kind != tIdent {
			p.fail()
			return nil
		}
		kw := strings.ToUpper(t.text)
		switch kw {
		case "SET", "REMOVE", "ADD", "DELETE":
		default:
			p.fail()
			return nil
		}
		p.i++
		u.sections = append(u.sections, kw)
		for {
			dp := p.parsePath(true)
			if dp == nil {
				return nil
			}
			switch kw {
			case "SET":
				if !p.expectPunct("=") {
					return nil
				}
				v := p.parseSetValue()
				if v == nil {
					return nil
				}
				u.set = append(u.set, setAction{path: dp, value: v})
			case "REMOVE":
				u.remove = append(u.remove, dp)
			case "ADD", "DELETE":
				t := p.tok()
				if t.kind != tValue {
					p.fail()
					return nil
				}
				p.i++
				pv := pathValue{path: dp, value: &node{kind: nValue, vname: t.text, pos: t.start}}
				if kw == "ADD" {
					u.add = append(u.add, pv)
				} else {
					u.del = append(u.del, pv)
				}
			}
			if !p.isPunct(",") {
				break
			}
			p.i++
		}
	}
	if p.err != nil {
		return nil
	}
	return u
}

// parseSetValue parses operand [ (+|-) operand ].
func (p *parser) parseSetValue() *node {
	left := p.parseOperand(true)
	if left == nil {
		return nil
	}
	if p.isPunct("+") || p.isPunct("-") {
		op := p.tok().text
		p.i++
		right := p.parseOperand(true)
		if right == nil {
			return nil
		}
		return &node{kind: nArith, op: op, args: []*node{left, right}, pos: left.pos}
	}
	return left
}

// parseProjection parses path {, path}.
func (p *parser) parseProjection() []*docPath {
	var out []*docPath
	for {
		dp := p.parsePath(false)
		if dp == nil {
			return nil
		}
		out = append(out, dp)
		if p.isPunct(",") {
			p.i++
			continue
		}
		if p.tok().kind != tEOF {
			p.fail()
			return nil
		}
		return out
	}
}
