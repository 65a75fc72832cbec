package filter

import (
	"encoding/json"
	"unicode/utf8"
)

// MaxPatternChars is the length limit of one Lambda event-source filter
// pattern (Lambda API reference, Filter.Pattern: at most 4096).
const MaxPatternChars = 4096

// ParsePattern validates a Lambda event-source mapping filter pattern
// (FilterCriteria.Filters[].Pattern). Lambda filter rules are the
// EventBridge pattern syntax that SNS body-scope policies share: nested
// objects, exact values, prefix, suffix, equals-ignore-case, anything-but,
// numeric, exists, null, "" and $or. SNS's own limits on keys and value
// combinations do not apply; Lambda's pattern length limit does. Errors are
// *Error.
func ParsePattern(pattern []byte) (*Policy, error) {
	if !utf8.Valid(pattern) {
		return nil, errf("failed to parse JSON. Invalid UTF-8 character")
	}
	if n := utf8.RuneCount(pattern); n > MaxPatternChars {
		return nil, errf("pattern is %d characters; Lambda allows %d", n, MaxPatternChars)
	}
	v, err := decodeStrict(pattern)
	if err != nil {
		return nil, errf("failed to parse JSON. %s", err)
	}
	obj, ok := v.(*object)
	if !ok {
		return nil, errf("failed to parse JSON. A filter pattern must be a JSON object")
	}
	p := &parser{scope: ScopeBody}
	root, err := p.node(obj, 1)
	if err != nil {
		return nil, err
	}
	return &Policy{scope: ScopeBody, root: root}, nil
}

// MatchAny reports whether the JSON object doc matches at least one of
// patterns (Lambda: a record passes when any filter matches). To match
// many documents, prepare the set once with NewPatterns.
func MatchAny(patterns []*Policy, doc []byte) bool {
	return NewPatterns(patterns).Match(doc)
}

// Patterns is a set of filter patterns matched as one: a document passes
// when any pattern matches. It decodes of each document only the members
// some pattern reads (a DynamoDB record's images are mostly attributes no
// pattern names), so matching costs little more than scanning the bytes.
type Patterns struct {
	ps   []*Policy
	need *need
}

// need says which parts of a JSON value the patterns read: all of it, or
// only some members of an object (of each object of an array).
type need struct {
	full bool
	sub  map[string]*need
}

// NewPatterns prepares ps for matching; nil entries are ignored.
func NewPatterns(ps []*Policy) *Patterns {
	set := &Patterns{need: &need{sub: map[string]*need{}}}
	for _, p := range ps {
		if p != nil {
			set.ps = append(set.ps, p)
			set.need.add(p.root)
		}
	}
	return set
}

func (nd *need) add(n *node) {
	for _, f := range n.fields {
		c := nd.sub[f.key]
		if c == nil {
			c = &need{sub: map[string]*need{}}
			nd.sub[f.key] = c
		}
		if f.sub != nil {
			c.add(f.sub)
		} else {
			c.full = true
		}
	}
	for _, alts := range n.ors {
		for _, a := range alts {
			nd.add(a)
		}
	}
}

// Len reports how many patterns the set holds.
func (s *Patterns) Len() int {
	if s == nil {
		return 0
	}
	return len(s.ps)
}

// Match reports whether the JSON object doc matches at least one pattern.
// An empty set matches everything; a doc that is not one JSON object
// matches nothing.
func (s *Patterns) Match(doc []byte) bool {
	if s == nil || len(s.ps) == 0 {
		return true
	}
	if !json.Valid(doc) {
		return false
	}
	sc := scanner{b: doc}
	sc.ws()
	if sc.b[sc.i] != '{' {
		return false
	}
	obj := sc.object(s.need)
	for _, p := range s.ps {
		if p.root.matchObject(obj) {
			return true
		}
	}
	return false
}
