// Package expr is DynamoDB's expression language: condition, filter, key
// condition, projection and update expressions, parsed once per request
// with DynamoDB's validation messages and check order, then evaluated
// against items. It also turns the legacy request parameters (Expected,
// AttributeUpdates, KeyConditions, ...) into equivalent expressions.
package expr

import (
	"fmt"
	"slices"
	"strings"

	"github.com/slsx/slsx/emulator/awsapi"
	"github.com/slsx/slsx/emulator/dynamodb/attr"
)

// MaxExpressionSize is DynamoDB's limit on one expression string (4 KB).
const MaxExpressionSize = 4096

// MaxInOperands is the largest IN list.
const MaxInOperands = 100

// Input is every expression parameter of one request.
type Input struct {
	Condition, Filter, KeyCondition, Projection, Update string                // "" = absent
	Names                                               map[string]string     // ExpressionAttributeNames (nil = absent)
	Values                                              map[string]attr.Value // ExpressionAttributeValues (nil = absent)
	// Operation names the API action ("PutItem", "Query", ...). It only
	// shapes the message for ExpressionAttributeValues given without any
	// expression that uses values; empty is fine.
	Operation string
}

// Compiled holds the parsed, validated and bound expressions of a request.
// It is immutable and safe for concurrent use.
type Compiled struct {
	cond, filter, key *node
	proj              []*docPath
	projTree          *projNode
	upd               *update
	updated           []string
	updTree           *projNode // the update's target paths, for UPDATED_OLD/UPDATED_NEW
}

// Param names as they appear in messages.
const (
	pCondition    = "ConditionExpression"
	pFilter       = "FilterExpression"
	pKeyCondition = "KeyConditionExpression"
	pProjection   = "ProjectionExpression"
	pUpdate       = "UpdateExpression"
)

func invalid(param, format string, args ...any) error {
	return awsapi.ValidationError("Invalid %s: %s", param, fmt.Sprintf(format, args...))
}

// compileState tracks placeholder use across the request's expressions.
type compileState struct {
	in         *Input
	usedNames  map[string]bool
	usedValues map[string]bool
}

// Compile parses every expression of one request and checks placeholders
// across all of them in DynamoDB's order, returning a ValidationException
// with DynamoDB's message on the first problem.
func Compile(in Input) (*Compiled, error) {
	if in.Names != nil && len(in.Names) == 0 {
		return nil, awsapi.ValidationError("ExpressionAttributeNames must not be empty")
	}
	if in.Values != nil && len(in.Values) == 0 {
		return nil, awsapi.ValidationError("ExpressionAttributeValues must not be empty")
	}
	for _, k := range sortedKeys(in.Names) {
		if !validPlaceholder(k, '#') {
			return nil, awsapi.ValidationError("ExpressionAttributeNames contains invalid key: Syntax error; key: %q", k)
		}
	}
	for _, k := range sortedKeys(in.Values) {
		if !validPlaceholder(k, ':') {
			return nil, awsapi.ValidationError("ExpressionAttributeValues contains invalid key: Syntax error; key: %q", k)
		}
	}
	if in.Names != nil && in.Condition == "" && in.Filter == "" && in.KeyCondition == "" && in.Projection == "" && in.Update == "" {
		return nil, awsapi.ValidationError("ExpressionAttributeNames can only be specified when using expressions")
	}
	if in.Values != nil && in.Condition == "" && in.Filter == "" && in.KeyCondition == "" && in.Update == "" {
		return nil, awsapi.ValidationError("ExpressionAttributeValues can only be specified when using expressions: %s", valueParams(in.Operation))
	}
	st := &compileState{in: &in}
	c := &Compiled{}
	var err error
	if in.Update != "" {
		if c.upd, err = st.compileUpdate(in.Update); err != nil {
			return nil, err
		}
		c.updated = c.upd.topLevel()
		c.updTree = buildProjTree(c.upd.targets())
	}
	if in.Condition != "" {
		if c.cond, err = st.compileCondition(pCondition, in.Condition); err != nil {
			return nil, err
		}
	}
	if in.KeyCondition != "" {
		if c.key, err = st.compileCondition(pKeyCondition, in.KeyCondition); err != nil {
			return nil, err
		}
	}
	if in.Filter != "" {
		if c.filter, err = st.compileCondition(pFilter, in.Filter); err != nil {
			return nil, err
		}
	}
	if in.Projection != "" {
		if c.proj, err = st.compileProjection(in.Projection); err != nil {
			return nil, err
		}
		c.projTree = buildProjTree(c.proj)
	}
	if unused := unusedKeys(in.Names, st.usedNames); unused != "" {
		return nil, awsapi.ValidationError("Value provided in ExpressionAttributeNames unused in expressions: keys: {%s}", unused)
	}
	if unused := unusedKeys(in.Values, st.usedValues); unused != "" {
		return nil, awsapi.ValidationError("Value provided in ExpressionAttributeValues unused in expressions: keys: {%s}", unused)
	}
	return c, nil
}

func valueParams(op string) string {
	switch op {
	case "UpdateItem":
		return "UpdateExpression and ConditionExpression are null"
	case "Query":
		return "KeyConditionExpression and FilterExpression are null"
	case "Scan":
		return "FilterExpression is null"
	}
	return "ConditionExpression is null"
}

func validPlaceholder(k string, prefix byte) bool {
	if len(k) < 2 || k[0] != prefix {
		return false
	}
	for i := 1; i < len(k); i++ {
		if !isWordChar(k[i]) {
			return false
		}
	}
	return true
}

func sortedKeys[V any](m map[string]V) []string {
	if len(m) == 0 {
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func unusedKeys[V any](m map[string]V, used map[string]bool) string {
	var out []string
	for _, k := range sortedKeys(m) {
		if !used[k] {
			out = append(out, k)
		}
	}
	return strings.Join(out, ", ")
}

// prepare checks size and emptiness and lexes the expression.
func prepare(param, src string) (*parser, error) {
	if len(src) > MaxExpressionSize {
		return nil, invalid(param, "Expression size has exceeded the maximum allowed size; expression size: %d", len(src))
	}
	if strings.TrimSpace(src) == "" {
		return nil, invalid(param, "The expression can not be empty;")
	}
	toks := lex(src, make([]token, 0, 16))
	return &parser{src: src, toks: toks}, nil
}

func (p *parser) syntaxError(param string) error {
	t := p.toks[p.err.tok]
	return invalid(param, "Syntax error; token: %q, near: %q", t.text, p.near(p.err.tok))
}

func (st *compileState) compileCondition(param, src string) (*node, error) {
	p, err := prepare(param, src)
	if err != nil {
		return nil, err
	}
	n := p.parseCondition()
	if p.err != nil {
		return nil, p.syntaxError(param)
	}
	checks := []func(*node) error{
		checkParens,
		checkFunctionNames,
		func(n *node) error { return checkFunctionUse(n, true) },
		checkReserved,
		st.bindNames,
		st.bindValues,
		checkArity,
		checkDistinct,
		checkOperandTypes,
	}
	if param == pKeyCondition {
		checks = append(checks, checkKeyOperators)
	}
	for _, check := range checks {
		if err := check(n); err != nil {
			return nil, prefixed(param, err)
		}
	}
	return n, nil
}

// exprError is a message that still needs its "Invalid <Param>: " prefix.
type exprError struct{ msg string }

func (e *exprError) Error() string { return e.msg }

func errf(format string, args ...any) error {
	return &exprError{msg: fmt.Sprintf(format, args...)}
}

func prefixed(param string, err error) error {
	if e, ok := err.(*exprError); ok {
		return invalid(param, "%s", e.msg)
	}
	return err
}

// walk visits n and its descendants in source order until fn fails.
func walk(n *node, fn func(*node) error) error {
	if n == nil {
		return nil
	}
	if err := fn(n); err != nil {
		return err
	}
	for _, a := range n.args {
		if err := walk(a, fn); err != nil {
			return err
		}
	}
	return nil
}

func checkParens(root *node) error {
	return walk(root, func(n *node) error {
		if n.parens > 1 {
			return errf("The expression has redundant parentheses;")
		}
		return nil
	})
}

var functions = map[string]int{ // name -> number of operands
	"attribute_exists":     1,
	"attribute_not_exists": 1,
	"attribute_type":       2,
	"begins_with":          2,
	"contains":             2,
	"size":                 1,
	"if_not_exists":        2,
	"list_append":          2,
}

func isConditionFunc(name string) bool {
	switch name {
	case "attribute_exists", "attribute_not_exists", "attribute_type", "begins_with", "contains":
		return true
	}
	return false
}

func checkFunctionNames(root *node) error {
	return walk(root, func(n *node) error {
		if n.kind == nFunc {
			if _, ok := functions[n.op]; !ok {
				return errf("Invalid function name; function: %s", n.op)
			}
		}
		return nil
	})
}

// checkFunctionUse rejects functions in positions they cannot take:
// conditions take boolean functions as conditions and size() as an operand;
// updates take if_not_exists and list_append as values.
func checkFunctionUse(root *node, condition bool) error {
	var visit func(n *node, asCondition bool) error
	visit = func(n *node, asCondition bool) error {
		if n.kind == nFunc {
			ok := false
			switch {
			case condition && asCondition:
				ok = isConditionFunc(n.op)
			case condition:
				ok = n.op == "size"
			default:
				ok = n.op == "if_not_exists" || n.op == "list_append"
			}
			if !ok {
				return errf("The function is not allowed to be used this way in an expression; function: %s", n.op)
			}
		}
		childCond := n.kind == nAnd || n.kind == nOr || n.kind == nNot
		for _, a := range n.args {
			if err := visit(a, childCond); err != nil {
				return err
			}
		}
		return nil
	}
	return visit(root, condition)
}

func isReserved(name string) bool {
	if len(name) > 20 {
		return false
	}
	var buf [20]byte
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		buf[i] = c
	}
	_, ok := reservedWords[string(buf[:len(name)])]
	return ok
}

func reservedInPath(dp *docPath) error {
	for _, e := range dp.elems {
		if !e.isIndex && e.raw[0] != '#' && isReserved(e.raw) {
			return errf("Attribute name is a reserved keyword; reserved keyword: %s", e.raw)
		}
	}
	return nil
}

func checkReserved(root *node) error {
	return walk(root, func(n *node) error {
		if n.kind == nPath {
			return reservedInPath(n.path)
		}
		return nil
	})
}

// bindPath substitutes #placeholders in the path's elements.
func (st *compileState) bindPath(dp *docPath) error {
	for i := range dp.elems {
		e := &dp.elems[i]
		if e.isIndex || e.raw[0] != '#' {
			continue
		}
		v, ok := st.in.Names[e.raw]
		if !ok {
			return errf("An expression attribute name used in the document path is not defined; attribute name: %s", e.raw)
		}
		if st.usedNames == nil {
			st.usedNames = make(map[string]bool)
		}
		st.usedNames[e.raw] = true
		e.name = v
	}
	return nil
}

func (st *compileState) bindNames(root *node) error {
	return walk(root, func(n *node) error {
		if n.kind == nPath {
			return st.bindPath(n.path)
		}
		return nil
	})
}

func (st *compileState) bindValue(n *node) error {
	v, ok := st.in.Values[n.vname]
	if !ok {
		return errf("An expression attribute value used in expression is not defined; attribute value: %s", n.vname)
	}
	if st.usedValues == nil {
		st.usedValues = make(map[string]bool)
	}
	st.usedValues[n.vname] = true
	n.val = &v
	return nil
}

func (st *compileState) bindValues(root *node) error {
	return walk(root, func(n *node) error {
		if n.kind == nValue {
			return st.bindValue(n)
		}
		return nil
	})
}

func checkArity(root *node) error {
	return walk(root, func(n *node) error {
		switch n.kind {
		case nFunc:
			if want := functions[n.op]; len(n.args) != want {
				return errf("Incorrect number of operands for operator or function; operator or function: %s, number of operands: %d", n.op, len(n.args))
			}
		case nIn:
			if len(n.args)-1 > MaxInOperands {
				return errf("Incorrect number of operands for operator or function; operator or function: IN, number of operands: %d", len(n.args)-1)
			}
		}
		return nil
	})
}

func checkDistinct(root *node) error {
	return walk(root, func(n *node) error {
		switch n.kind {
		case nCompare, nBetween, nIn, nFunc:
		default:
			return nil
		}
		if len(n.args) < 2 || n.args[0].kind != nPath {
			return nil
		}
		first := n.args[0].path
		for _, a := range n.args[1:] {
			if a.kind == nPath && a.path.equal(first) {
				return errf("The first operand must be distinct from the remaining operands for this operator or function; operator: %s, first operand: %s", n.op, first)
			}
		}
		return nil
	})
}

// literal returns the bound value of a value-placeholder operand.
func literal(n *node) (attr.Value, bool) {
	if n.kind == nValue && n.val != nil {
		return *n.val, true
	}
	return attr.Value{}, false
}

func requirePath(n *node, fn string) error {
	if n.kind != nPath {
		return errf("Operator or function requires a document path; operator or function: %s", fn)
	}
	return nil
}

var validTypeNames = map[string]bool{"S": true, "SS": true, "N": true, "NS": true, "B": true, "BS": true, "BOOL": true, "NULL": true, "L": true, "M": true}

func checkOperandTypes(root *node) error {
	return walk(root, func(n *node) error {
		switch n.kind {
		case nFunc:
			switch n.op {
			case "attribute_exists", "attribute_not_exists", "attribute_type", "if_not_exists":
				if err := requirePath(n.args[0], n.op); err != nil {
					return err
				}
			}
			switch n.op {
			case "attribute_type":
				if t, ok := literal(n.args[1]); ok {
					if t.Kind != attr.S {
						return errf("Incorrect operand type for operator or function; operator or function: attribute_type, operand type: %s", t.Kind)
					}
					if !validTypeNames[t.Str] {
						return errf("Invalid attribute type name found; type: %s, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}", t.Str)
					}
				}
			case "begins_with":
				for _, a := range n.args {
					if v, ok := literal(a); ok && v.Kind != attr.S && v.Kind != attr.B {
						return errf("Incorrect operand type for operator or function; operator or function: begins_with, operand type: %s", v.Kind)
					}
				}
			case "size":
				if v, ok := literal(n.args[0]); ok && (v.Kind == attr.N || v.Kind == attr.BOOL || v.Kind == attr.NULL) {
					return errf("Incorrect operand type for operator or function; operator or function: size, operand type: %s", v.Kind)
				}
			case "list_append":
				for _, a := range n.args {
					if v, ok := literal(a); ok && v.Kind != attr.L {
						return errf("Incorrect operand type for operator or function; operator or function: list_append, operand type: %s", v.Kind)
					}
				}
			}
		case nCompare:
			if n.op == "=" || n.op == "<>" {
				return nil
			}
			for _, a := range n.args {
				if v, ok := literal(a); ok && !scalar(v.Kind) {
					return errf("Incorrect operand type for operator or function; operator: %s, operand type: %s", n.op, v.Kind)
				}
			}
		case nBetween:
			for _, a := range n.args {
				if v, ok := literal(a); ok && !scalar(v.Kind) {
					return errf("Incorrect operand type for operator or function; operator: BETWEEN, operand type: %s", v.Kind)
				}
			}
			lo, lok := literal(n.args[1])
			hi, hok := literal(n.args[2])
			if lok && hok {
				c, ok := attr.Compare(lo, hi)
				if !ok {
					return errf("The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: %s, upper bound operand: AttributeValue: %s", showValue(lo), showValue(hi))
				}
				if c > 0 {
					return errf("The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: %s, upper bound operand: AttributeValue: %s", showValue(lo), showValue(hi))
				}
			}
		}
		return nil
	})
}

func scalar(k attr.Kind) bool { return k == attr.S || k == attr.N || k == attr.B }

// showValue renders a value as DynamoDB's messages do: {N:1}, {S:a}.
func showValue(v attr.Value) string {
	switch v.Kind {
	case attr.S, attr.N:
		return "{" + v.Kind.String() + ":" + v.Str + "}"
	case attr.B:
		return "{B:" + string(attr.AppendJSON(nil, v)[6:len(attr.AppendJSON(nil, v))-2]) + "}"
	}
	return "{" + v.Kind.String() + "}"
}

// checkKeyOperators applies the KeyConditionExpression restrictions that do
// not depend on the key schema.
func checkKeyOperators(root *node) error {
	return walk(root, func(n *node) error {
		switch n.kind {
		case nOr:
			return errf("Invalid operator used in KeyConditionExpression: OR")
		case nNot:
			return errf("Invalid operator used in KeyConditionExpression: NOT")
		case nIn:
			return errf("Invalid operator used in KeyConditionExpression: IN")
		case nCompare:
			if n.op == "<>" {
				return errf("Invalid operator used in KeyConditionExpression: <>")
			}
		case nFunc:
			switch n.op {
			case "begins_with":
			case "size":
				return errf("KeyConditionExpressions cannot contain nested operations")
			default:
				return errf("Invalid operator used in KeyConditionExpression: %s", n.op)
			}
		case nPath:
			if len(n.path.elems) > 1 {
				return errf("KeyConditionExpressions cannot have conditions on nested attributes")
			}
		}
		return nil
	})
}

func (st *compileState) compileProjection(src string) ([]*docPath, error) {
	p, err := prepare(pProjection, src)
	if err != nil {
		return nil, err
	}
	paths := p.parseProjection()
	if p.err != nil {
		return nil, p.syntaxError(pProjection)
	}
	for _, dp := range paths {
		if err := reservedInPath(dp); err != nil {
			return nil, prefixed(pProjection, err)
		}
	}
	for _, dp := range paths {
		if err := st.bindPath(dp); err != nil {
			return nil, prefixed(pProjection, err)
		}
	}
	if err := checkOverlap(paths); err != nil {
		return nil, prefixed(pProjection, err)
	}
	return paths, nil
}

// checkOverlap reports the first pair of paths where one is a prefix of the
// other (overlap) or which diverge on a map key versus a list index
// (conflict). All overlaps are reported before any conflict.
func checkOverlap(paths []*docPath) error {
	for i := range paths {
		for j := 0; j < i; j++ {
			if rel := relate(paths[j], paths[i]); rel == relOverlap {
				return errf("Two document paths overlap with each other; must remove or rewrite one of these paths; path one: %s, path two: %s", paths[j], paths[i])
			}
		}
	}
	for i := range paths {
		for j := 0; j < i; j++ {
			if rel := relate(paths[j], paths[i]); rel == relConflict {
				return errf("Two document paths conflict with each other; must remove or rewrite one of these paths; path one: %s, path two: %s", paths[j], paths[i])
			}
		}
	}
	return nil
}

const (
	relNone = iota
	relOverlap
	relConflict
)

func relate(a, b *docPath) int {
	n := min(len(a.elems), len(b.elems))
	for k := 0; k < n; k++ {
		x, y := a.elems[k], b.elems[k]
		if x.isIndex != y.isIndex {
			return relConflict
		}
		if x.isIndex && x.index != y.index || !x.isIndex && x.name != y.name {
			return relNone
		}
	}
	return relOverlap
}
