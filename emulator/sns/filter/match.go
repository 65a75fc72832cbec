package filter

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"strconv"
	"strings"
)

// value is one candidate a condition is tested against: a string attribute,
// a number attribute, an element of a String.Array, or a body scalar.
type value struct {
	k kind // kString, kNumber, kBool, kNull; kOther for objects/arrays
	s string
	n float64
	b bool
}

const kOther kind = -1

// MatchAttributes reports whether message attributes satisfy the policy
// (scope MessageAttributes). Binary attributes are ignored, as in SNS.
func (p *Policy) MatchAttributes(attrs map[string]Attribute) bool {
	return p.root.match(func(key string) (bool, []value, any) {
		a, ok := attrs[key]
		if !ok {
			return false, nil, nil
		}
		switch {
		case a.Type == "String.Array":
			return true, arrayValues(a.Value), nil
		case strings.HasPrefix(a.Type, "String"):
			return true, []value{{k: kString, s: a.Value}}, nil
		case strings.HasPrefix(a.Type, "Number"):
			f, err := strconv.ParseFloat(strings.TrimSpace(a.Value), 64)
			if err != nil {
				return true, []value{{k: kOther}}, nil
			}
			return true, []value{{k: kNumber, n: f}}, nil
		}
		return false, nil, nil // Binary
	})
}

func arrayValues(s string) []value {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var arr []any
	if err := dec.Decode(&arr); err != nil {
		return []value{{k: kString, s: s}}
	}
	var out []value
	flatten(arr, &out)
	return out
}

// MatchBody reports whether a JSON message body satisfies the policy (scope
// MessageBody). A body that is not a JSON object never matches.
func (p *Policy) MatchBody(body []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil || obj == nil {
		return false
	}
	if dec.More() {
		return false
	}
	return p.root.matchObject(obj)
}

// Match dispatches on the policy's scope.
func (p *Policy) Match(attrs map[string]Attribute, body []byte) bool {
	if p == nil {
		return true
	}
	if p.scope == ScopeBody {
		return p.MatchBody(body)
	}
	return p.MatchAttributes(attrs)
}

func (n *node) matchObject(obj map[string]any) bool {
	return n.match(func(key string) (bool, []value, any) {
		v, ok := obj[key]
		if !ok {
			return false, nil, nil
		}
		var out []value
		flatten(v, &out)
		return true, out, v
	})
}

// lookup returns whether key is present, its candidate values, and (body
// scope) the raw value for descending into nested policies.
type lookup func(key string) (present bool, vals []value, raw any)

func (n *node) match(get lookup) bool {
	for _, f := range n.fields {
		present, vals, raw := get(f.key)
		if f.sub != nil {
			if !f.sub.matchNested(present, raw) {
				return false
			}
			continue
		}
		ok := false
		for i := range f.conds {
			if f.conds[i].match(present, vals) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	for _, alts := range n.ors {
		ok := false
		for _, a := range alts {
			if a.match(get) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// matchNested applies a nested policy to a body property: an object is
// matched directly, an array matches when any object element matches, and
// anything else is treated as an object with no properties (so only
// exists:false leaves can match).
func (n *node) matchNested(present bool, raw any) bool {
	if present {
		switch v := raw.(type) {
		case map[string]any:
			return n.matchObject(v)
		case []any:
			for _, e := range v {
				if m, ok := e.(map[string]any); ok && n.matchObject(m) {
					return true
				}
			}
			return false
		}
	}
	return n.matchObject(nil)
}

func flatten(v any, out *[]value) {
	switch x := v.(type) {
	case string:
		*out = append(*out, value{k: kString, s: x})
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil {
			*out = append(*out, value{k: kOther})
			return
		}
		*out = append(*out, value{k: kNumber, n: f})
	case bool:
		*out = append(*out, value{k: kBool, b: x})
	case nil:
		*out = append(*out, value{k: kNull})
	case []any:
		for _, e := range x {
			flatten(e, out)
		}
	default:
		*out = append(*out, value{k: kOther})
	}
}

func (c *cond) match(present bool, vals []value) bool {
	if c.kind == kExists {
		return present == c.b
	}
	if !present {
		return false
	}
	if c.kind == kAnythingBut {
		for _, v := range vals {
			if c.excludes(v) {
				return false
			}
		}
		return true
	}
	for _, v := range vals {
		if c.matchOne(v) {
			return true
		}
	}
	return false
}

func (c *cond) matchOne(v value) bool {
	switch c.kind {
	case kString:
		return v.k == kString && v.s == c.s
	case kNumber:
		return v.k == kNumber && v.n == c.n
	case kBool:
		return v.k == kBool && v.b == c.b
	case kNull:
		return v.k == kNull
	case kPrefix:
		return v.k == kString && strings.HasPrefix(v.s, c.s)
	case kSuffix:
		return v.k == kString && strings.HasSuffix(v.s, c.s)
	case kEqualsIgnoreCase:
		return v.k == kString && strings.ToLower(v.s) == c.s
	case kNumeric:
		if v.k != kNumber {
			return false
		}
		for _, r := range c.ranges {
			if !r.holds(v.n) {
				return false
			}
		}
		return true
	case kCIDR:
		if v.k != kString {
			return false
		}
		ip, err := netip.ParseAddr(v.s)
		if err != nil {
			return false
		}
		return c.prefix.Contains(ip.Unmap())
	}
	return false
}

func (c *cond) excludes(v value) bool {
	switch c.butOp {
	case kString:
		switch v.k {
		case kString:
			for _, s := range c.butStrings {
				if v.s == s {
					return true
				}
			}
		case kNumber:
			for _, n := range c.butNumbers {
				if v.n == n {
					return true
				}
			}
		}
	case kPrefix:
		return v.k == kString && strings.HasPrefix(v.s, c.butStrings[0])
	case kSuffix:
		return v.k == kString && strings.HasSuffix(v.s, c.butStrings[0])
	case kEqualsIgnoreCase:
		if v.k != kString {
			return false
		}
		l := strings.ToLower(v.s)
		for _, s := range c.butStrings {
			if l == s {
				return true
			}
		}
	}
	return false
}

func (r numOp) holds(x float64) bool {
	switch r.op {
	case "=":
		return x == r.v
	case "<":
		return x < r.v
	case "<=":
		return x <= r.v
	case ">":
		return x > r.v
	case ">=":
		return x >= r.v
	}
	return false
}
