package filter

import (
	"bytes"
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
// patterns (Lambda: a record passes when any filter matches). It decodes
// doc once for all of them. No patterns means everything matches; a doc
// that is not a JSON object matches none.
func MatchAny(patterns []*Policy, doc []byte) bool {
	if len(patterns) == 0 {
		return true
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil || obj == nil || dec.More() {
		return false
	}
	for _, p := range patterns {
		if p != nil && p.root.matchObject(obj) {
			return true
		}
	}
	return false
}
