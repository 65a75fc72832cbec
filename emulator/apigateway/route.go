package apigateway

import (
	"fmt"
	"strings"

	"github.com/slsx/slsx/emulator/config"
)

type segKind uint8

// Segment kinds in order of precedence: a literal beats a {param}, which
// beats a greedy {proxy+}.
const (
	segLiteral segKind = iota
	segParam
	segGreedy
)

type segment struct {
	kind segKind
	text string // literal text, or the parameter name
}

// route is one compiled route (HTTP API) or resource method (REST API).
type route struct {
	cfg      *config.Route
	key      string // "GET /pets/{id}" or "$default"
	method   string // upper case or "ANY"
	segs     []segment
	greedy   bool
	resource string // the path template, "/pets/{id}"; "$default" for the default route
	resID    string // REST resource id
}

// parseRoutePath compiles a route path like "/pets/{id}/{proxy+}".
func parseRoutePath(p string) ([]segment, error) {
	if !strings.HasPrefix(p, "/") {
		return nil, fmt.Errorf("route path %q must start with /", p)
	}
	if p == "/" {
		return nil, nil
	}
	parts := strings.Split(p[1:], "/")
	segs := make([]segment, 0, len(parts))
	for i, part := range parts {
		switch {
		case strings.HasPrefix(part, "{") && strings.HasSuffix(part, "+}"):
			if i != len(parts)-1 {
				return nil, fmt.Errorf("route path %q: greedy variable %s must be the last segment", p, part)
			}
			name := part[1 : len(part)-2]
			if name == "" {
				return nil, fmt.Errorf("route path %q: empty variable name", p)
			}
			segs = append(segs, segment{kind: segGreedy, text: name})
		case strings.HasPrefix(part, "{") && strings.HasSuffix(part, "}"):
			name := part[1 : len(part)-1]
			if name == "" || strings.ContainsAny(name, "{}") {
				return nil, fmt.Errorf("route path %q: invalid variable %s", p, part)
			}
			segs = append(segs, segment{kind: segParam, text: name})
		default:
			if strings.ContainsAny(part, "{}") {
				return nil, fmt.Errorf("route path %q: invalid segment %s", p, part)
			}
			segs = append(segs, segment{kind: segLiteral, text: part})
		}
	}
	return segs, nil
}

// splitPath splits a decoded request path into segments: "/" → none,
// "/a/b" → [a b], "/a/" → [a ""].
func splitPath(p string) []string {
	if p == "" || p == "/" {
		return nil
	}
	if p[0] == '/' {
		p = p[1:]
	}
	return strings.Split(p, "/")
}

// match reports whether the route's path matches the request segments and
// returns the path parameters.
func (rt *route) match(segs []string) (map[string]string, bool) {
	if rt.greedy {
		if len(segs) < len(rt.segs) {
			return nil, false
		}
	} else if len(segs) != len(rt.segs) {
		return nil, false
	}
	var params map[string]string
	for i, s := range rt.segs {
		switch s.kind {
		case segLiteral:
			if segs[i] != s.text {
				return nil, false
			}
		case segParam:
			if segs[i] == "" {
				return nil, false
			}
			if params == nil {
				params = make(map[string]string, len(rt.segs))
			}
			params[s.text] = segs[i]
		case segGreedy:
			rest := strings.Join(segs[i:], "/")
			if rest == "" {
				return nil, false
			}
			if params == nil {
				params = make(map[string]string, 1)
			}
			params[s.text] = rest
		}
	}
	return params, true
}

// better reports whether route a takes precedence over route b when both
// match the same request. HTTP APIs (tiered) put every non-greedy route
// before every greedy one; REST APIs walk the resource tree, so precedence
// is decided level by level only. At the first position where the segment
// kinds differ, the more specific kind wins; for the same shape a specific
// method beats ANY.
func better(a, b *route, tiered bool) bool {
	if tiered && a.greedy != b.greedy {
		return !a.greedy
	}
	n := min(len(a.segs), len(b.segs))
	for i := 0; i < n; i++ {
		if a.segs[i].kind != b.segs[i].kind {
			return a.segs[i].kind < b.segs[i].kind
		}
	}
	if len(a.segs) != len(b.segs) {
		// Only greedy routes can differ in length here; the longer one has
		// more fixed segments before its greedy tail.
		return len(a.segs) > len(b.segs)
	}
	return a.method != "ANY" && b.method == "ANY"
}

// router is an immutable route table.
type router struct {
	routes []*route
	def    *route // HTTP API $default route, or nil
	tiered bool   // HTTP API precedence (see better)
}

// find returns the route for method and the decoded, stage-less path, and
// its path parameters. onlyExact limits the search to routes whose method
// is exactly method (used to decide whether a CORS preflight is routed).
func (rr *router) find(method string, segs []string, onlyExact bool) (*route, map[string]string) {
	var best *route
	var bestParams map[string]string
	for _, rt := range rr.routes {
		if rt.method != method && (onlyExact || rt.method != "ANY") {
			continue
		}
		params, ok := rt.match(segs)
		if !ok {
			continue
		}
		if best == nil || better(rt, best, rr.tiered) {
			best, bestParams = rt, params
		}
	}
	if best == nil && !onlyExact && rr.def != nil {
		return rr.def, nil
	}
	return best, bestParams
}
