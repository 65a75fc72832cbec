package partiql

import (
	"errors"
	"strconv"
	"strings"

	"github.com/slsx/slsx/emulator/awsapi"
	"github.com/slsx/slsx/emulator/dynamodb/attr"
)

// MaxStatementLength is the longest Statement ExecuteStatement accepts.
const MaxStatementLength = 8192

// maxPathDepth bounds document paths and literal nesting like DynamoDB's
// 32-level item nesting limit; it also keeps the recursive parser's stack
// small on hostile input.
const maxPathDepth = 32

// Messages DynamoDB sends for statements it refuses.
const (
	msgMalformed     = "Statement wasn't well formed, can't be processed: "
	msgParamCount    = "Number of parameters in request and statement don't match."
	msgAlias         = "Aliasing is not supported"
	msgStarAndOthers = "Other attributes should not be present in the projection when '*' is used."
	msgPathIndex     = "A path cannot start with a list index"
	msgEmptyBag      = "Empty bags are not supported"
	msgBagType       = "Unsupported data type in Bag. DynamoDB only supports either numbers or strings in bags"
	msgItemFormat    = "Unsupported format in item expression. Please use struct format {...} to express item values for insert statement."
	msgInsertReturn  = "RETURNING is not supported in INSERT"
	msgReturnStar    = "Expected '*' after ( MODIFIED | ALL ) ( NEW | OLD ) in RETURNING clause"
	msgIsType        = "Unsupported data type for IS operator: %s. Supported data types are [MISSING, NULL, BOOLEAN, BLOB, STRING, NUMERIC, STRUCT, TUPLE, LIST]"
	msgFromSource    = "A path may contain at most 2 components in the FROM clause"
	msgEmptyPath     = "Path component cannot be an empty string"
)

// Parser error details (after msgMalformed).
const (
	dManipulation = "Expected data manipulation"
	dLeftover     = "Unexpected token after expression"
	dTerm         = "Unexpected term"
	dKeyword      = "Unexpected keyword"
	dOperator     = "Unexpected operator"
	dRHS          = "Missing right-hand side expression of infix operator"
	dTableIdent   = "Expected identifier for simple path"
	dTypeName     = "Expected type name"
	dToken        = "Unexpected token"
	dExpectedKw   = "Expected keyword"
)

func malformed(detail string) error { return awsapi.ValidationError("%s%s", msgMalformed, detail) }

func invalid(format string, args ...any) error { return awsapi.ValidationError(format, args...) }

// keywords cannot be bare attribute names.
var keywords = map[string]bool{
	"SELECT": true, "FROM": true, "WHERE": true, "AND": true, "OR": true, "NOT": true,
	"BETWEEN": true, "IN": true, "IS": true, "MISSING": true, "NULL": true, "TRUE": true,
	"FALSE": true, "INSERT": true, "INTO": true, "VALUE": true, "VALUES": true,
	"UPDATE": true, "SET": true, "REMOVE": true, "DELETE": true, "RETURNING": true,
	"ORDER": true, "BY": true, "AS": true, "EXISTS": true, "LIKE": true, "LIMIT": true,
	"GROUP": true, "HAVING": true, "JOIN": true, "AT": true, "UNION": true,
}

// isTypes are the type names IS accepts; the map value is the DynamoDB
// type they test, "" for names the parser knows but DynamoDB refuses.
var isTypes = map[string]string{
	"MISSING": "MISSING", "NULL": "NULL", "BOOLEAN": "BOOL", "BOOL": "BOOL", "BLOB": "B",
	"STRING": "S", "NUMERIC": "N", "STRUCT": "M", "TUPLE": "M", "LIST": "L",
	"INT": "", "INTEGER": "", "INT4": "", "INT8": "", "SMALLINT": "", "FLOAT": "", "REAL": "",
	"DECIMAL": "", "DOUBLE": "", "VARCHAR": "", "CHAR": "", "CHARACTER": "", "TIMESTAMP": "",
	"DATE": "", "TIME": "", "SYMBOL": "", "CLOB": "", "BAG": "", "SEXP": "", "ANY": "",
}

type parser struct {
	toks   []token
	i      int
	params []attr.Value
	nparam int
	depth  int
}

// Parse parses one statement and binds params to its ? placeholders in
// order. Errors are ValidationExceptions with DynamoDB's wording.
func Parse(stmt string, params []attr.Value) (*Statement, error) {
	p := &parser{toks: lex(stmt), params: params}
	st, err := p.statement()
	if err != nil {
		return nil, err
	}
	if p.nparam != len(params) {
		return nil, invalid(msgParamCount)
	}
	return st, nil
}

// bail carries a parse error up through the recursive descent.
type bail struct{ err error }

func (p *parser) fail(err error) { panic(bail{err}) }

func (p *parser) statement() (st *Statement, err error) {
	defer func() {
		if r := recover(); r != nil {
			b, ok := r.(bail)
			if !ok {
				panic(r)
			}
			st, err = nil, b.err
		}
	}()
	t := p.tok()
	if t.kind == tBad {
		p.fail(malformed(""))
	}
	switch {
	case p.isKw("SELECT"):
		st = p.parseSelect()
	case p.isKw("INSERT"):
		st = p.parseInsert()
	case p.isKw("UPDATE"):
		st = p.parseUpdate()
	case p.isKw("DELETE"):
		st = p.parseDelete()
	case p.isKw("FROM"):
		st = p.parseFromUpdate()
	case p.isKw("EXISTS"):
		p.i++
		p.expectPunct("(")
		if !p.isKw("SELECT") {
			p.fail(malformed(dToken))
		}
		st = p.parseSelect()
		p.expectPunct(")")
		st.Kind = Exists
	default:
		p.fail(malformed(dManipulation))
	}
	if p.isPunct(";") {
		p.i++
	}
	if p.tok().kind == tBad {
		p.fail(malformed(""))
	}
	if p.tok().kind != tEOF {
		p.fail(malformed(dLeftover))
	}
	return st, nil
}

func (p *parser) tok() token { return p.toks[p.i] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) isKw(kw string) bool {
	t := p.tok()
	return t.kind == tIdent && strings.EqualFold(t.text, kw)
}

func (p *parser) acceptKw(kw string) bool {
	if p.isKw(kw) {
		p.i++
		return true
	}
	return false
}

func (p *parser) expectKw(kw string) {
	if !p.acceptKw(kw) {
		p.fail(p.unexpected(dExpectedKw))
	}
}

func (p *parser) isPunct(s string) bool {
	t := p.tok()
	return t.kind == tPunct && t.text == s
}

func (p *parser) isOp(s string) bool {
	t := p.tok()
	return t.kind == tOp && t.text == s
}

func (p *parser) expectPunct(s string) {
	if !p.isPunct(s) {
		p.fail(p.unexpected(dToken))
	}
	p.i++
}

// unexpected classifies the current token for an error detail.
func (p *parser) unexpected(def string) error {
	t := p.tok()
	switch t.kind {
	case tBad:
		return malformed("")
	case tEOF:
		return malformed(dTerm)
	}
	return malformed(def)
}

// termError is the error for a token that cannot start a term.
func (p *parser) termError() error {
	t := p.tok()
	switch {
	case t.kind == tBad:
		return malformed("")
	case t.kind == tEOF, t.kind == tPunct && (t.text == ";" || t.text == ")" || t.text == "]" || t.text == "}" || t.text == ","):
		return malformed(dTerm)
	case t.kind == tIdent && keywords[strings.ToUpper(t.text)]:
		return malformed(dKeyword)
	case t.kind == tOp, t.kind == tPunct:
		return malformed(dOperator)
	}
	return malformed(dTerm)
}

// ---- table names

// tableName reads a table identifier after INTO, UPDATE or DELETE FROM.
func (p *parser) tableName() string {
	t := p.tok()
	if t.kind == tQuoted || (t.kind == tIdent && !keywords[strings.ToUpper(t.text)]) {
		p.i++
		return t.text
	}
	if t.kind == tBad {
		p.fail(malformed(""))
	}
	p.fail(malformed(dTableIdent))
	return ""
}

// noAlias refuses a table alias (t, AS t).
func (p *parser) noAlias() {
	t := p.tok()
	if p.isKw("AS") || t.kind == tQuoted || (t.kind == tIdent && !keywords[strings.ToUpper(t.text)]) {
		p.fail(invalid(msgAlias))
	}
}

// ---- statements

func (p *parser) parseSelect() *Statement {
	p.i++ // SELECT
	st := &Statement{Kind: Select}
	if p.isOp("*") || p.isPunct("*") {
		p.i++
		if p.isPunct(",") {
			p.fail(invalid(msgStarAndOthers))
		}
	} else {
		for {
			if p.isPunct("*") {
				p.fail(invalid(msgStarAndOthers))
			}
			st.Projection = append(st.Projection, p.path(true))
			if !p.isPunct(",") {
				break
			}
			p.i++
		}
	}
	p.expectKw("FROM")
	t := p.tok()
	if t.kind != tQuoted && !(t.kind == tIdent && !keywords[strings.ToUpper(t.text)]) {
		p.fail(p.termError())
	}
	st.Table = p.tableName()
	if p.isPunct(".") {
		p.i++
		st.Index = p.tableName()
		if p.isPunct(".") {
			p.fail(invalid(msgFromSource))
		}
	}
	p.noAlias()
	if p.acceptKw("WHERE") {
		st.Where = p.condition()
	}
	if p.acceptKw("ORDER") {
		p.expectKw("BY")
		for {
			var o Order
			t := p.tok()
			if t.kind != tQuoted && t.kind != tIdent {
				p.fail(p.termError())
			}
			o.Name = p.tableName()
			if p.acceptKw("DESC") {
				o.Desc = true
			} else {
				p.acceptKw("ASC")
			}
			st.OrderBy = append(st.OrderBy, o)
			if !p.isPunct(",") {
				break
			}
			p.i++
		}
	}
	return st
}

func (p *parser) parseInsert() *Statement {
	p.i++ // INSERT
	p.expectKw("INTO")
	st := &Statement{Kind: Insert, Table: p.tableName()}
	if !p.acceptKw("VALUE") {
		p.fail(malformed(dLeftover))
	}
	if !p.isPunct("{") {
		t := p.tok()
		if t.kind == tEOF || t.kind == tBad {
			p.fail(p.termError())
		}
		p.fail(invalid(msgItemFormat))
	}
	// DynamoDB names a bad number by its position inside the attribute's
	// value, with the attribute itself as "root".
	v := p.mapLit("root", true)
	st.Item = attr.Item(v.Map)
	if p.isKw("RETURNING") {
		p.fail(invalid(msgInsertReturn))
	}
	return st
}

func (p *parser) parseUpdate() *Statement {
	p.i++ // UPDATE
	st := &Statement{Kind: Update, Table: p.tableName()}
	p.noAlias()
	p.updateActions(st)
	if p.acceptKw("WHERE") {
		st.Where = p.condition()
	}
	p.returning(st)
	return st
}

// parseFromUpdate reads the FROM-first update form:
// FROM "t" [WHERE cond] SET ... | REMOVE ... [RETURNING ...].
func (p *parser) parseFromUpdate() *Statement {
	p.i++ // FROM
	st := &Statement{Kind: Update, Table: p.tableName()}
	p.noAlias()
	if p.acceptKw("WHERE") {
		st.Where = p.condition()
	}
	p.updateActions(st)
	p.returning(st)
	return st
}

func (p *parser) updateActions(st *Statement) {
	n := 0
	for {
		switch {
		case p.acceptKw("SET"):
			for {
				path := p.path(false)
				if !p.isOp("=") {
					p.fail(p.unexpected(dToken))
				}
				p.i++
				st.Sets = append(st.Sets, Assign{Path: path, Value: p.additive()})
				if !p.isPunct(",") {
					break
				}
				p.i++
			}
		case p.acceptKw("REMOVE"):
			for {
				st.Removes = append(st.Removes, p.path(false))
				if !p.isPunct(",") {
					break
				}
				p.i++
			}
		default:
			if n == 0 {
				p.fail(p.unexpected(dExpectedKw))
			}
			return
		}
		n++
	}
}

func (p *parser) parseDelete() *Statement {
	p.i++ // DELETE
	p.expectKwOr("FROM", dTableIdent)
	st := &Statement{Kind: Delete, Table: p.tableName()}
	p.noAlias()
	if p.acceptKw("WHERE") {
		st.Where = p.condition()
	}
	p.returning(st)
	if st.Returning != "" && st.Returning != "ALL_OLD" {
		p.fail(invalid("Invalid returning clause: RETURNING %s. Only RETURNING ALL OLD * is allowed in DELETE statements.", returningText(st.Returning)))
	}
	return st
}

func (p *parser) expectKwOr(kw, detail string) {
	if !p.acceptKw(kw) {
		p.fail(p.unexpected(detail))
	}
}

func returningText(rv string) string {
	switch rv {
	case "ALL_OLD":
		return "ALL OLD *"
	case "UPDATED_OLD":
		return "MODIFIED OLD *"
	case "ALL_NEW":
		return "ALL NEW *"
	}
	return "MODIFIED NEW *"
}

func (p *parser) returning(st *Statement) {
	if !p.acceptKw("RETURNING") {
		return
	}
	var which, age string
	switch {
	case p.acceptKw("ALL"):
		which = "ALL"
	case p.acceptKw("MODIFIED"):
		which = "UPDATED"
	default:
		p.fail(p.unexpected(dExpectedKw))
	}
	switch {
	case p.acceptKw("OLD"):
		age = "OLD"
	case p.acceptKw("NEW"):
		age = "NEW"
	default:
		p.fail(p.unexpected(dExpectedKw))
	}
	if !(p.isPunct("*") || p.isOp("*")) {
		p.fail(invalid(msgReturnStar))
	}
	p.i++
	st.Returning = which + "_" + age
}

// ---- paths

// path reads a document path. In a SELECT projection (proj) the same rules
// apply; the first element must be a name.
func (p *parser) path(proj bool) Path {
	var out Path
	t := p.tok()
	switch {
	case t.kind == tQuoted:
		if t.text == "" {
			p.fail(invalid(msgEmptyPath))
		}
		out = append(out, PathElem{Name: t.text})
	case t.kind == tIdent && !keywords[strings.ToUpper(t.text)]:
		out = append(out, PathElem{Name: t.text})
	case t.kind == tPunct && t.text == "[":
		p.fail(invalid(msgPathIndex))
	default:
		p.fail(p.termError())
	}
	p.i++
	return p.pathRest(out)
}

func (p *parser) pathRest(out Path) Path {
	for {
		switch {
		case p.isPunct("."):
			p.i++
			t := p.tok()
			if t.kind == tQuoted || t.kind == tIdent {
				if t.text == "" {
					p.fail(invalid(msgEmptyPath))
				}
				out = append(out, PathElem{Name: t.text})
				p.i++
			} else {
				p.fail(p.unexpected(dToken))
			}
		case p.isPunct("["):
			p.i++
			t := p.tok()
			switch t.kind {
			case tNumber:
				n, err := strconv.Atoi(t.text)
				if err != nil || n < 0 {
					p.fail(malformed(dToken))
				}
				out = append(out, PathElem{Index: n, IsIndex: true})
			case tString:
				if t.text == "" {
					p.fail(invalid(msgEmptyPath))
				}
				out = append(out, PathElem{Name: t.text})
			default:
				p.fail(p.unexpected(dToken))
			}
			p.i++
			p.expectPunct("]")
		default:
			if len(out) > maxPathDepth {
				p.fail(invalid("Nesting Levels have exceeded supported limits"))
			}
			return out
		}
	}
}

// ---- conditions and values

func (p *parser) enter() {
	p.depth++
	if p.depth > 4*maxPathDepth {
		p.fail(invalid("Nesting Levels have exceeded supported limits"))
	}
}

func (p *parser) leave() { p.depth-- }

func (p *parser) condition() Expr {
	p.enter()
	defer p.leave()
	l := p.and()
	for p.acceptKw("OR") {
		l = Binary{Op: "OR", L: l, R: p.rhs(p.and)}
	}
	return l
}

// rhs parses the right operand of an infix operator.
func (p *parser) rhs(f func() Expr) Expr {
	if t := p.tok(); t.kind == tEOF || (t.kind == tPunct && t.text == ";") {
		p.fail(malformed(dRHS))
	}
	return f()
}

func (p *parser) and() Expr {
	l := p.not()
	for p.acceptKw("AND") {
		l = Binary{Op: "AND", L: l, R: p.rhs(p.not)}
	}
	return l
}

func (p *parser) not() Expr {
	if p.acceptKw("NOT") {
		p.enter()
		defer p.leave()
		return Not{X: p.not()}
	}
	return p.predicate()
}

var comparators = map[string]string{"=": "=", "<>": "<>", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}

func (p *parser) predicate() Expr {
	l := p.additive()
	t := p.tok()
	if t.kind == tOp {
		if op, ok := comparators[t.text]; ok {
			p.i++
			return Binary{Op: op, L: l, R: p.rhs(p.additive)}
		}
	}
	negate := false
	if p.isKw("NOT") && p.i+1 < len(p.toks) {
		nt := p.toks[p.i+1]
		if nt.kind == tIdent && (strings.EqualFold(nt.text, "BETWEEN") || strings.EqualFold(nt.text, "IN") || strings.EqualFold(nt.text, "LIKE")) {
			p.i++
			negate = true
		}
	}
	switch {
	case p.acceptKw("BETWEEN"):
		lo := p.rhs(p.additive)
		p.expectKw("AND")
		hi := p.rhs(p.additive)
		return Between{X: l, Lo: lo, Hi: hi, Negate: negate}
	case p.acceptKw("IN"):
		var list []Expr
		closer := "]"
		switch {
		case p.isPunct("["):
		case p.isPunct("("):
			closer = ")"
		case p.tok().kind == tParam:
			v := p.param()
			if v.Kind != attr.L {
				p.fail(invalid("IN operator must have a left hand argument of type Variable Reference and right hand argument of type Seq with at least one member"))
			}
			for _, e := range v.List {
				list = append(list, Lit{e})
			}
			return In{X: l, List: list, Negate: negate}
		default:
			p.fail(p.termError())
		}
		p.i++
		for !p.isPunct(closer) {
			list = append(list, p.additive())
			if p.isPunct(",") {
				p.i++
				continue
			}
			if !p.isPunct(closer) {
				p.fail(p.unexpected(dToken))
			}
		}
		p.i++
		if len(list) == 0 {
			p.fail(invalid("IN operator must have a left hand argument of type Variable Reference and right hand argument of type Seq with at least one member"))
		}
		return In{X: l, List: list, Negate: negate}
	case p.acceptKw("LIKE"):
		p.fail(invalid("Unsupported operator in Condition Expression. Operator: LIKE"))
	case p.acceptKw("IS"):
		is := Is{X: l}
		if p.acceptKw("NOT") {
			is.Negate = true
		}
		t := p.tok()
		if t.kind != tIdent {
			p.fail(p.unexpected(dTypeName))
		}
		name := strings.ToUpper(t.text)
		p.i++
		if name == "DOUBLE" {
			p.acceptKw("PRECISION")
		}
		if name == "CHARACTER" {
			p.acceptKw("VARYING")
		}
		dt, ok := isTypes[name]
		if !ok {
			p.fail(malformed(dTypeName))
		}
		if dt == "" {
			p.fail(invalid(msgIsType, name))
		}
		is.Type = name
		return is
	}
	return l
}

func (p *parser) additive() Expr {
	p.enter()
	defer p.leave()
	l := p.primary()
	for p.isOp("+") || p.isOp("-") {
		op := p.next().text
		l = Binary{Op: op, L: l, R: p.rhs(p.primary)}
	}
	return l
}

func (p *parser) primary() Expr {
	t := p.tok()
	switch {
	case t.kind == tPunct && t.text == "(":
		p.i++
		e := p.condition()
		p.expectPunct(")")
		return e
	case t.kind == tIdent && p.i+1 < len(p.toks) && p.toks[p.i+1].kind == tPunct && p.toks[p.i+1].text == "(" && !keywords[strings.ToUpper(t.text)]:
		p.i += 2
		c := Call{Name: strings.ToLower(t.text)}
		for !p.isPunct(")") {
			c.Args = append(c.Args, p.additive())
			if p.isPunct(",") {
				p.i++
				continue
			}
			if !p.isPunct(")") {
				p.fail(p.unexpected(dToken))
			}
		}
		p.i++
		return c
	case t.kind == tIdent && strings.EqualFold(t.text, "MISSING"):
		p.fail(invalid("MISSING must be compared using IS operator"))
	case t.kind == tQuoted, t.kind == tIdent && !keywords[strings.ToUpper(t.text)]:
		return p.path(false)
	}
	return Lit{p.literal("root")}
}

func (p *parser) param() attr.Value {
	p.i++
	n := p.nparam
	p.nparam++
	if n >= len(p.params) {
		// Keep parsing so a syntax error still wins; Parse reports the
		// count mismatch at the end.
		return attr.Value{Kind: attr.NULL}
	}
	return p.params[n]
}

// literal reads a value: string, number, true/false/null, {map}, [list],
// <<set>> or a ? parameter. where names the value's position for number
// errors ("root", "root.x", "root[1]").
func (p *parser) literal(where string) attr.Value {
	p.enter()
	defer p.leave()
	t := p.tok()
	switch t.kind {
	case tString:
		p.i++
		return attr.Value{Kind: attr.S, Str: t.text}
	case tNumber:
		p.i++
		return p.number(t.text, where)
	case tParam:
		return p.param()
	case tOp:
		if t.text == "-" && p.toks[p.i+1].kind == tNumber {
			p.i++
			n := p.next()
			return p.number("-"+n.text, where)
		}
	case tIdent:
		switch strings.ToUpper(t.text) {
		case "TRUE", "FALSE":
			p.i++
			return attr.Value{Kind: attr.BOOL, Bool: strings.EqualFold(t.text, "TRUE")}
		case "NULL":
			p.i++
			return attr.Value{Kind: attr.NULL}
		}
	case tPunct:
		switch t.text {
		case "{":
			return p.mapLit(where, false)
		case "[":
			p.i++
			v := attr.Value{Kind: attr.L, List: []attr.Value{}}
			for !p.isPunct("]") {
				v.List = append(v.List, p.literal(where+"["+strconv.Itoa(len(v.List))+"]"))
				if p.isPunct(",") {
					p.i++
					continue
				}
				if !p.isPunct("]") {
					p.fail(p.unexpected(dToken))
				}
			}
			p.i++
			return v
		case "<<":
			return p.bag(where)
		}
	}
	p.fail(p.termError())
	return attr.Value{}
}

func (p *parser) number(text, where string) attr.Value {
	c, err := attr.CanonicalNumber(text)
	if err != nil {
		var ae *awsapi.Error
		if errors.As(err, &ae) && (strings.HasPrefix(ae.Message, "Number ") || strings.HasPrefix(ae.Message, "Attempting")) {
			p.fail(invalid("%s under %s", ae.Message, where))
		}
		p.fail(malformed(""))
	}
	return attr.Value{Kind: attr.N, Str: c}
}

func (p *parser) mapLit(where string, item bool) attr.Value {
	p.i++ // {
	v := attr.Value{Kind: attr.M, Map: map[string]attr.Value{}}
	for !p.isPunct("}") {
		k := p.tok()
		if k.kind != tString {
			if k.kind == tEOF || k.kind == tBad {
				p.fail(p.termError())
			}
			p.fail(invalid("Tuple keys must be of type String. Actual type: %s under %s", tokenType(k), where))
		}
		p.i++
		if !p.isPunct(":") {
			p.fail(p.unexpected(dToken))
		}
		p.i++
		if _, dup := v.Map[k.text]; dup {
			p.fail(invalid("Duplicate keys in tuple. Key: %s under %s", k.text, where))
		}
		child := where + "." + k.text
		if item {
			child = where
		}
		v.Map[k.text] = p.literal(child)
		if p.isPunct(",") {
			p.i++
			continue
		}
		if !p.isPunct("}") {
			p.fail(p.unexpected(dToken))
		}
	}
	p.i++
	return v
}

func tokenType(t token) string {
	switch t.kind {
	case tNumber:
		return "DECIMAL"
	case tQuoted, tIdent:
		return "SYMBOL"
	}
	return "UNKNOWN"
}

func (p *parser) bag(where string) attr.Value {
	p.i++ // <<
	var strs []string
	var kind attr.Kind
	for !p.isPunct(">>") {
		t := p.tok()
		var e attr.Value
		switch {
		case t.kind == tString || t.kind == tNumber || (t.kind == tOp && t.text == "-"):
			e = p.literal(where)
		case t.kind == tEOF || t.kind == tBad:
			p.fail(p.termError())
		default:
			p.fail(invalid(msgBagType))
		}
		k := attr.SS
		if e.Kind == attr.N {
			k = attr.NS
		}
		if kind != 0 && kind != k {
			p.fail(invalid(msgBagType))
		}
		kind = k
		for _, s := range strs {
			if s == e.Str {
				p.fail(invalid("Input collection contains duplicates"))
			}
		}
		strs = append(strs, e.Str)
		if p.isPunct(",") {
			p.i++
			continue
		}
		if !p.isPunct(">>") {
			p.fail(p.unexpected(dToken))
		}
	}
	p.i++
	if len(strs) == 0 {
		p.fail(invalid(msgEmptyBag))
	}
	return attr.Value{Kind: kind, Strs: strs}
}
