package filter

import (
	"encoding/json"
)

// scanner walks one JSON document that json.Valid has accepted, in a
// single pass: it decodes the members a need marks and skips the rest
// without allocating. Values come out as the matcher expects them:
// map[string]any, []any, string, json.Number, bool and nil.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// value decodes the value at s.i, pruned to nd (nil: in full).
func (s *scanner) value(nd *need) any {
	s.ws()
	switch s.b[s.i] {
	case '{':
		return s.object(nd)
	case '[':
		s.i++
		out := []any{}
		for {
			s.ws()
			if s.b[s.i] == ']' {
				s.i++
				return out
			}
			out = append(out, s.value(nd))
			s.ws()
			if s.b[s.i] == ',' {
				s.i++
			}
		}
	case '"':
		return s.str()
	case 't':
		s.i += 4
		return true
	case 'f':
		s.i += 5
		return false
	case 'n':
		s.i += 4
		return nil
	}
	start := s.i
	for s.i < len(s.b) && isNumberByte(s.b[s.i]) {
		s.i++
	}
	return json.Number(s.b[start:s.i])
}

func isNumberByte(c byte) bool {
	return c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}

// object decodes the object at s.i; with a partial need it keeps only
// the members nd names.
func (s *scanner) object(nd *need) map[string]any {
	partial := nd != nil && !nd.full
	n := 0
	if partial {
		n = len(nd.sub)
	}
	out := make(map[string]any, n)
	s.i++ // {
	for {
		s.ws()
		if s.b[s.i] == '}' {
			s.i++
			return out
		}
		key := s.str()
		s.ws()
		s.i++ // :
		if !partial {
			out[key] = s.value(nil)
		} else if sub, ok := nd.sub[key]; ok {
			if sub.full {
				sub = nil
			}
			out[key] = s.value(sub)
		} else {
			s.skip()
		}
		s.ws()
		if s.b[s.i] == ',' {
			s.i++
		}
	}
}

// str decodes the string at s.i.
func (s *scanner) str() string {
	start := s.i
	s.i++ // opening quote
	escaped := false
	for s.b[s.i] != '"' {
		if s.b[s.i] == '\\' {
			escaped = true
			s.i++
		}
		s.i++
	}
	s.i++
	if !escaped {
		return string(s.b[start+1 : s.i-1])
	}
	var v string
	_ = json.Unmarshal(s.b[start:s.i], &v) // valid: checked by json.Valid
	return v
}

// skip moves past the value at s.i.
func (s *scanner) skip() {
	s.ws()
	switch s.b[s.i] {
	case '"':
		s.skipStr()
	case '{', '[':
		depth := 0
		for {
			switch s.b[s.i] {
			case '"':
				s.skipStr()
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
			}
			s.i++
			if depth == 0 {
				return
			}
		}
	default: // a number or a literal
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return
			}
			s.i++
		}
	}
}

func (s *scanner) skipStr() {
	s.i++
	for s.b[s.i] != '"' {
		if s.b[s.i] == '\\' {
			s.i++
		}
		s.i++
	}
	s.i++
}
