// Package filter implements SNS subscription filter policies: parsing and
// validating a policy with SNS's own rules and error wording, and matching
// it against message attributes (scope MessageAttributes) or a JSON message
// body (scope MessageBody).
package filter

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"net/netip"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The two filter policy scopes.
const (
	ScopeAttributes = "MessageAttributes"
	ScopeBody       = "MessageBody"
)

// Limits from the SNS guide, "Filter policy constraints".
const (
	MaxKeys         = 5          // attribute names (body scope: leaf keys)
	MaxCombinations = 150        // product of value counts across keys
	MaxPolicyBytes  = 256 * 1024 // policy JSON size
	maxNumeric      = 1e9        // numeric match values lie within ±10^9
	maxDecimals     = 5          // digits after the decimal point
	maxDepth        = 32         // guards recursion on hostile input; AWS documents no figure
)

// Error is a validation failure. Reason is SNS's wording without the
// caller-specific prefix ("Invalid parameter: FilterPolicy: ").
type Error struct{ Reason string }

func (e *Error) Error() string { return e.Reason }

func errf(format string, args ...any) error { return &Error{Reason: fmt.Sprintf(format, args...)} }

// Attribute is one message attribute as published.
type Attribute struct {
	Type  string // "String", "Number", "String.Array", "Binary" (custom suffixes allowed)
	Value string // string value; base64 for Binary
}

// Policy is a parsed filter policy.
type Policy struct {
	scope string
	root  *node
}

// Scope reports the scope the policy was parsed for.
func (p *Policy) Scope() string { return p.scope }

type node struct {
	fields []field
	ors    [][]*node // each $or: alternatives, any of which must match
}

type field struct {
	key   string
	sub   *node  // nested object (body scope)
	conds []cond // leaf
}

type kind int

const (
	kString kind = iota
	kNumber
	kBool
	kNull
	kPrefix
	kSuffix
	kEqualsIgnoreCase
	kAnythingBut
	kNumeric
	kExists
	kCIDR
)

type cond struct {
	kind kind
	s    string
	n    float64
	b    bool
	// anything-but
	butStrings []string
	butNumbers []float64
	butOp      kind // kPrefix, kSuffix, kEqualsIgnoreCase, or kString for plain values
	// numeric
	ranges []numOp
	prefix netip.Prefix
}

type numOp struct {
	op string
	v  float64
}

// Parse validates policy for scope ("" means MessageAttributes) and
// returns it ready to match. Errors are *Error.
func Parse(policy []byte, scope string) (*Policy, error) {
	if scope == "" {
		scope = ScopeAttributes
	}
	if scope != ScopeAttributes && scope != ScopeBody {
		return nil, errf("FilterPolicyScope: Invalid value [%s]. Please use either MessageBody or MessageAttributes", scope)
	}
	if len(policy) > MaxPolicyBytes {
		return nil, errf("Filter policy is too big")
	}
	if !utf8.Valid(policy) {
		return nil, errf("failed to parse JSON. Invalid UTF-8 character")
	}
	v, err := decodeStrict(policy)
	if err != nil {
		return nil, errf("failed to parse JSON. %s", err)
	}
	obj, ok := v.(*object)
	if !ok {
		return nil, errf("failed to parse JSON. Filter policy must be a JSON object")
	}
	p := &parser{scope: scope}
	root, err := p.node(obj, 1)
	if err != nil {
		return nil, err
	}
	if p.keys > MaxKeys {
		return nil, errf("Filter policy can not have more than %d keys", MaxKeys)
	}
	if combinations(root) > MaxCombinations {
		return nil, errf("Filter policy is too complex")
	}
	return &Policy{scope: scope, root: root}, nil
}

// object keeps JSON object members in document order and rejects
// duplicate keys, as AWS's Jackson-based parser does.
type object struct {
	keys []string
	vals []any
}

type parser struct {
	scope string
	keys  int
}

func (p *parser) node(obj *object, depth int) (*node, error) {
	if depth > maxDepth {
		return nil, errf("Filter policy is too complex")
	}
	n := &node{}
	for i, key := range obj.keys {
		switch v := obj.vals[i].(type) {
		case *object:
			if p.scope == ScopeAttributes {
				return nil, errf("Filter policy scope MessageAttributes does not support nested filter policy")
			}
			sub, err := p.node(v, depth+1)
			if err != nil {
				return nil, err
			}
			n.fields = append(n.fields, field{key: key, sub: sub})
		case []any:
			if key == "$or" && isOr(v) {
				var alts []*node
				for _, a := range v {
					sub, err := p.node(a.(*object), depth+1)
					if err != nil {
						return nil, err
					}
					alts = append(alts, sub)
				}
				n.ors = append(n.ors, alts)
				continue
			}
			if len(v) == 0 {
				return nil, errf("Empty arrays are not allowed")
			}
			conds := make([]cond, 0, len(v))
			for _, e := range v {
				c, err := parseCond(e)
				if err != nil {
					return nil, err
				}
				conds = append(conds, c)
			}
			p.keys++
			n.fields = append(n.fields, field{key: key, conds: conds})
		default:
			return nil, errf("%q must be an object or an array", key)
		}
	}
	return n, nil
}

// isOr reports whether v is an $or operand: an array of two or more objects.
func isOr(v []any) bool {
	if len(v) < 2 {
		return false
	}
	for _, e := range v {
		if _, ok := e.(*object); !ok {
			return false
		}
	}
	return true
}

func combinations(n *node) int {
	total := 1
	for _, f := range n.fields {
		if f.sub != nil {
			total = mulCap(total, combinations(f.sub))
		} else {
			total = mulCap(total, len(f.conds))
		}
	}
	for _, alts := range n.ors {
		sum := 0
		for _, a := range alts {
			sum += combinations(a)
			if sum > MaxCombinations {
				sum = MaxCombinations + 1
			}
		}
		total = mulCap(total, sum)
	}
	return total
}

func mulCap(a, b int) int {
	if a > MaxCombinations || b > MaxCombinations || a*b > MaxCombinations {
		return MaxCombinations + 1
	}
	return a * b
}

func parseCond(e any) (cond, error) {
	switch v := e.(type) {
	case string:
		return cond{kind: kString, s: v}, nil
	case json.Number:
		f, err := policyNumber(v)
		if err != nil {
			return cond{}, err
		}
		return cond{kind: kNumber, n: f}, nil
	case bool:
		return cond{kind: kBool, b: v}, nil
	case nil:
		return cond{kind: kNull}, nil
	case *object:
		if len(v.keys) != 1 {
			return cond{}, errf("Only one key allowed in match expression")
		}
		return parseOp(v.keys[0], v.vals[0])
	}
	return cond{}, errf("Match value must be String, number, true, false, or null")
}

// policyNumber checks AWS's numeric limits: within ±10^9 with at most five
// decimal places.
func policyNumber(n json.Number) (float64, error) {
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || math.Abs(f) > maxNumeric {
		return 0, errf("Value %s is out of range; numeric values must be between -1.0E9 and 1.0E9 inclusive", n)
	}
	r, ok := new(big.Rat).SetString(string(n))
	if ok {
		scaled := new(big.Rat).Mul(r, new(big.Rat).SetInt64(100000))
		if !scaled.IsInt() {
			return 0, errf("Value %s has more than %d digits after the decimal point", n, maxDecimals)
		}
	}
	return f, nil
}

func parseOp(op string, arg any) (cond, error) {
	switch op {
	case "prefix", "suffix", "equals-ignore-case":
		s, ok := arg.(string)
		if !ok {
			return cond{}, errf("%s match pattern must be a string", op)
		}
		k := map[string]kind{"prefix": kPrefix, "suffix": kSuffix, "equals-ignore-case": kEqualsIgnoreCase}[op]
		if k == kEqualsIgnoreCase {
			s = strings.ToLower(s)
		}
		return cond{kind: k, s: s}, nil
	case "exists":
		b, ok := arg.(bool)
		if !ok {
			return cond{}, errf("exists match pattern must be either true or false.")
		}
		return cond{kind: kExists, b: b}, nil
	case "cidr":
		s, ok := arg.(string)
		if !ok {
			return cond{}, errf("prefix match pattern must be a string")
		}
		pfx, err := netip.ParsePrefix(s)
		if err != nil {
			return cond{}, errf("Malformed CIDR, one '/' required")
		}
		if !strings.Contains(s, "/") {
			return cond{}, errf("Malformed CIDR, one '/' required")
		}
		return cond{kind: kCIDR, prefix: pfx.Masked()}, nil
	case "numeric":
		return parseNumeric(arg)
	case "anything-but":
		return parseAnythingBut(arg)
	}
	return cond{}, errf("Unrecognized match type %s", op)
}

func parseNumeric(arg any) (cond, error) {
	arr, ok := arg.([]any)
	if !ok {
		return cond{}, errf("Value of numeric must be an array.")
	}
	if len(arr) == 0 {
		return cond{}, errf("Invalid member in numeric match: ]")
	}
	c := cond{kind: kNumeric}
	op, ok := arr[0].(string)
	if !ok {
		return cond{}, errf("Invalid member in numeric match: %s", show(arr[0]))
	}
	if !validOp(op) {
		return cond{}, errf("Unrecognized numeric range operator: %s", op)
	}
	if len(arr) < 2 {
		return cond{}, errf("Value of %s must be numeric", op)
	}
	n1, ok := arr[1].(json.Number)
	if !ok {
		return cond{}, errf("Value of %s must be numeric", op)
	}
	v1, err := policyNumber(n1)
	if err != nil {
		return cond{}, err
	}
	c.ranges = append(c.ranges, numOp{op, v1})
	if len(arr) == 2 {
		return c, nil
	}
	if op != ">" && op != ">=" {
		return cond{}, errf("Too many elements in numeric expression")
	}
	op2, ok := arr[2].(string)
	if !ok {
		return cond{}, errf("Invalid member in numeric match: %s", show(arr[2]))
	}
	if op2 != "<" && op2 != "<=" {
		return cond{}, errf("Bad numeric range operator: %s", op2)
	}
	if len(arr) < 4 {
		return cond{}, errf("Value of %s must be numeric", op2)
	}
	n2, ok := arr[3].(json.Number)
	if !ok {
		return cond{}, errf("Value of %s must be numeric", op2)
	}
	v2, err := policyNumber(n2)
	if err != nil {
		return cond{}, err
	}
	if v2 <= v1 {
		return cond{}, errf("Bottom must be less than top")
	}
	if len(arr) > 4 {
		return cond{}, errf("Too many elements in numeric expression")
	}
	c.ranges = append(c.ranges, numOp{op2, v2})
	return c, nil
}

func validOp(op string) bool {
	switch op {
	case "=", "<", "<=", ">", ">=":
		return true
	}
	return false
}

func show(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return x
	case json.Number:
		return string(x)
	case bool:
		return strconv.FormatBool(x)
	case []any:
		return "["
	case *object:
		return "{"
	}
	return fmt.Sprint(v)
}

func parseAnythingBut(arg any) (cond, error) {
	c := cond{kind: kAnythingBut, butOp: kString}
	addScalar := func(e any) error {
		switch x := e.(type) {
		case string:
			c.butStrings = append(c.butStrings, x)
		case json.Number:
			f, err := policyNumber(x)
			if err != nil {
				return err
			}
			c.butNumbers = append(c.butNumbers, f)
		default:
			return errf("Inside anything but list, start|null|boolean is not supported.")
		}
		return nil
	}
	switch v := arg.(type) {
	case string, json.Number:
		if err := addScalar(v); err != nil {
			return cond{}, err
		}
	case []any:
		if len(v) == 0 {
			return cond{}, errf("Empty arrays are not allowed")
		}
		for _, e := range v {
			if err := addScalar(e); err != nil {
				return cond{}, err
			}
		}
	case *object:
		if len(v.keys) != 1 {
			return cond{}, errf("Only one key allowed in match expression")
		}
		op := v.keys[0]
		switch op {
		case "prefix", "suffix", "equals-ignore-case":
		default:
			return cond{}, errf("Unsupported anything-but pattern: %s", op)
		}
		c.butOp = map[string]kind{"prefix": kPrefix, "suffix": kSuffix, "equals-ignore-case": kEqualsIgnoreCase}[op]
		switch x := v.vals[0].(type) {
		case string:
			if c.butOp == kEqualsIgnoreCase {
				x = strings.ToLower(x)
			}
			c.butStrings = []string{x}
		case []any:
			if c.butOp != kEqualsIgnoreCase || len(x) == 0 {
				return cond{}, errf("%s match pattern must be a string", op)
			}
			for _, e := range x {
				s, ok := e.(string)
				if !ok {
					return cond{}, errf("Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.")
				}
				c.butStrings = append(c.butStrings, strings.ToLower(s))
			}
		default:
			return cond{}, errf("%s match pattern must be a string", op)
		}
	default:
		return cond{}, errf("Value of anything-but must be an array or single string/number value.")
	}
	return c, nil
}

// decodeStrict decodes JSON into string, json.Number, bool, nil, []any and
// *object, refusing duplicate keys and trailing data.
func decodeStrict(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeValue(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("Unexpected data after the end of the JSON value")
	}
	return v, nil
}

func decodeValue(dec *json.Decoder, depth int) (any, error) {
	if depth > 2*maxDepth {
		return nil, errors.New("Nesting too deep")
	}
	tok, err := dec.Token()
	if err != nil {
		if err == io.EOF {
			return nil, errors.New("No content to map due to end-of-input")
		}
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			obj := &object{}
			seen := map[string]bool{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k := kt.(string)
				if seen[k] {
					return nil, fmt.Errorf("Duplicate field '%s'", k)
				}
				seen[k] = true
				v, err := decodeValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				obj.keys = append(obj.keys, k)
				obj.vals = append(obj.vals, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return obj, nil
		case '[':
			arr := []any{}
			for dec.More() {
				v, err := decodeValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				arr = append(arr, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return arr, nil
		}
		return nil, fmt.Errorf("Unexpected close marker '%c'", rune(t))
	default:
		return t, nil
	}
}
