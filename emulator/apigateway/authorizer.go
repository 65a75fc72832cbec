package apigateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/slsx/slsx/emulator/config"
)

// maxCacheEntries bounds an authorizer's cache; a local run never needs
// more distinct identities than this within one TTL.
const maxCacheEntries = 10000

type sourceKind uint8

const (
	srcHeader sourceKind = iota
	srcQuery
	srcContext
	srcStageVar
	srcUnknown
)

type identitySource struct {
	kind sourceKind
	name string
	expr string
}

// parseIdentitySource accepts the HTTP API syntax ("$request.header.X")
// and the REST syntax ("method.request.header.X") alike.
func parseIdentitySource(expr string) identitySource {
	e := strings.TrimPrefix(strings.TrimSpace(expr), "$")
	e = strings.TrimPrefix(e, "method.")
	for _, p := range []struct {
		prefix string
		kind   sourceKind
	}{
		{"request.header.", srcHeader},
		{"request.querystring.", srcQuery},
		{"context.", srcContext},
		{"stageVariables.", srcStageVar},
	} {
		if name, ok := strings.CutPrefix(e, p.prefix); ok && name != "" {
			return identitySource{kind: p.kind, name: name, expr: expr}
		}
	}
	return identitySource{kind: srcUnknown, expr: expr}
}

// authorizer is one configured Lambda REQUEST authorizer with its cache.
type authorizer struct {
	cfg     *config.Authorizer
	sources []identitySource
	mu      sync.Mutex
	cache   map[string]cacheEntry
}

type cacheEntry struct {
	dec     *authDecision
	expires time.Time
}

func newAuthorizer(cfg *config.Authorizer) *authorizer {
	a := &authorizer{cfg: cfg, cache: make(map[string]cacheEntry)}
	for _, s := range cfg.IdentitySource {
		a.sources = append(a.sources, parseIdentitySource(s))
	}
	return a
}

func (a *authorizer) cacheable() bool { return a.cfg.TTL > 0 && len(a.sources) > 0 }

func (a *authorizer) get(key string, now time.Time) *authDecision {
	a.mu.Lock()
	defer a.mu.Unlock()
	e, ok := a.cache[key]
	if !ok {
		return nil
	}
	if !now.Before(e.expires) {
		delete(a.cache, key)
		return nil
	}
	return e.dec
}

func (a *authorizer) put(key string, dec *authDecision, now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.cache) >= maxCacheEntries {
		for k, e := range a.cache {
			if !now.Before(e.expires) {
				delete(a.cache, k)
			}
		}
		if len(a.cache) >= maxCacheEntries {
			clear(a.cache)
		}
	}
	a.cache[key] = cacheEntry{dec: dec, expires: now.Add(a.cfg.TTL)}
}

// authDecision is a parsed authorizer response.
type authDecision struct {
	simple      bool
	allowed     bool // simple responses
	principalID string
	statements  []statement
	context     map[string]any
}

// authResult is what a request carries into its integration event.
type authResult struct {
	dec       *authDecision
	latencyMs int64
}

// v2Context is requestContext.authorizer.lambda: the context as returned,
// plus principalId for IAM-policy responses.
func (a *authResult) v2Context() any {
	if a.dec.simple || a.dec.principalID == "" {
		if a.dec.context == nil {
			return nil
		}
		return a.dec.context
	}
	m := make(map[string]any, len(a.dec.context)+1)
	for k, v := range a.dec.context {
		m[k] = v
	}
	m["principalId"] = a.dec.principalID
	return m
}

// v1Context is requestContext.authorizer of a payload 1.0 event; REST
// stringifies the context values.
func (a *authResult) v1Context(rest bool) map[string]any {
	m := make(map[string]any, len(a.dec.context)+2)
	for k, v := range a.dec.context {
		if rest {
			m[k] = stringify(v)
		} else {
			m[k] = v
		}
	}
	if a.dec.principalID != "" || rest {
		m["principalId"] = a.dec.principalID
	}
	m["integrationLatency"] = a.latencyMs
	return m
}

func stringify(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case json.Number:
		return x.String()
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

// --- request side ---

// resolve returns the identity-source values; ok is false when any is
// missing or empty.
func (c *call) resolveSources(a *authorizer) ([]string, bool) {
	vals := make([]string, len(a.sources))
	for i, s := range a.sources {
		var v string
		switch s.kind {
		case srcHeader:
			v = strings.Join(c.f.r.Header.Values(s.name), ",")
		case srcQuery:
			var parts []string
			for _, p := range c.f.query {
				if p.k == s.name {
					parts = append(parts, p.v)
				}
			}
			v = strings.Join(parts, ",")
		case srcStageVar:
			v = c.st.api.StageVariables[s.name]
		case srcContext:
			v = c.contextVar(s.name)
		}
		if v == "" {
			return nil, false
		}
		vals[i] = v
	}
	return vals, true
}

func (c *call) contextVar(name string) string {
	switch name {
	case "routeKey":
		return c.route.key
	case "stage":
		return c.st.stage
	case "httpMethod":
		return c.f.method
	case "path":
		return c.f.rawPath
	case "requestId":
		return c.f.requestID
	case "apiId":
		return c.st.apiID
	case "domainName":
		return c.f.domain
	case "resourcePath":
		return c.route.resource
	case "identity.sourceIp":
		return c.f.sourceIP
	case "identity.userAgent":
		return c.f.r.UserAgent()
	}
	return ""
}

type v2AuthEvent struct {
	Type           string   `json:"type"`
	RouteArn       string   `json:"routeArn"`
	IdentitySource []string `json:"identitySource"`
	v2Common
}

type authIdentity struct {
	APIKey     string  `json:"apiKey"`
	SourceIP   string  `json:"sourceIp"`
	ClientCert *string `json:"clientCert"`
}

type authRequestContext struct {
	Path         string       `json:"path"`
	AccountID    string       `json:"accountId"`
	ResourceID   string       `json:"resourceId"`
	Stage        string       `json:"stage"`
	RequestID    string       `json:"requestId"`
	Identity     authIdentity `json:"identity"`
	ResourcePath string       `json:"resourcePath"`
	HTTPMethod   string       `json:"httpMethod"`
	APIID        string       `json:"apiId"`
}

// v1AuthEvent covers the HTTP API 1.0 authorizer request
// (version/identitySource/authorizationToken) and the REST REQUEST
// authorizer request (multi-value maps).
type v1AuthEvent struct {
	Version                         string              `json:"version,omitempty"`
	Type                            string              `json:"type"`
	MethodArn                       string              `json:"methodArn"`
	IdentitySource                  string              `json:"identitySource,omitempty"`
	AuthorizationToken              string              `json:"authorizationToken,omitempty"`
	Resource                        string              `json:"resource"`
	Path                            string              `json:"path"`
	HTTPMethod                      string              `json:"httpMethod"`
	Headers                         map[string]string   `json:"headers"`
	MultiValueHeaders               map[string][]string `json:"multiValueHeaders,omitempty"`
	QueryStringParameters           map[string]string   `json:"queryStringParameters"`
	MultiValueQueryStringParameters map[string][]string `json:"multiValueQueryStringParameters,omitempty"`
	PathParameters                  map[string]string   `json:"pathParameters"`
	StageVariables                  map[string]string   `json:"stageVariables"`
	RequestContext                  authRequestContext  `json:"requestContext"`
}

func (c *call) authEvent(a *authorizer, values []string) any {
	if c.st.kind != kindREST && a.cfg.PayloadVersion != "1.0" {
		ev := &v2AuthEvent{Type: "REQUEST", RouteArn: c.routeArn(), IdentitySource: values, v2Common: c.v2Common()}
		if ev.IdentitySource == nil {
			ev.IdentitySource = []string{}
		}
		return ev
	}
	rest := c.st.kind == kindREST
	ev := &v1AuthEvent{
		Type:           "REQUEST",
		MethodArn:      c.routeArn(),
		Resource:       c.route.resource,
		Path:           c.f.rawPath,
		HTTPMethod:     c.f.method,
		PathParameters: c.params,
		StageVariables: stageVars(c.st),
		RequestContext: authRequestContext{
			Path: c.f.rawPath, AccountID: c.g.opts.Identity.Account, ResourceID: c.route.resID,
			Stage: c.st.stage, RequestID: c.f.requestID,
			Identity:     authIdentity{SourceIP: c.f.sourceIP},
			ResourcePath: c.route.resource, HTTPMethod: c.f.method, APIID: c.st.apiID,
		},
	}
	headers, multi := c.f.v1Headers(!rest)
	qs, mqs := c.f.v1Query(rest)
	ev.Headers, ev.QueryStringParameters = headers, qs
	if rest {
		ev.Path = c.f.restPath
		ev.MultiValueHeaders, ev.MultiValueQueryStringParameters = multi, mqs
		if ev.PathParameters == nil {
			ev.PathParameters = map[string]string{}
		}
	} else {
		ev.Version = "1.0"
		joined := strings.Join(values, ",")
		ev.IdentitySource, ev.AuthorizationToken = joined, joined
	}
	return ev
}

// authorize runs the route's authorizer; a non-nil response ends the
// request there.
func (c *call) authorize(name string) *response {
	a := c.st.authorizers[name]
	if a == nil {
		c.g.log.Error("route names an unknown authorizer", "route", c.route.key, "authorizer", name)
		return c.errAuthorizer()
	}
	values, ok := c.resolveSources(a)
	if !ok {
		return c.errUnauthorized()
	}
	now := time.Now()
	key := strings.Join(values, "\x00")
	var dec *authDecision
	var latency int64
	if a.cacheable() {
		dec = a.get(key, now)
	}
	if dec == nil {
		payload, err := json.Marshal(c.authEvent(a, values))
		if err != nil {
			return c.errAuthorizer()
		}
		start := time.Now()
		res, err := c.callFunction(a.cfg.Function, payload, "authorizer "+name)
		latency = time.Since(start).Milliseconds()
		if err != nil {
			c.g.log.Warn("authorizer invoke failed", "authorizer", name, "err", err)
			return c.errAuthorizer()
		}
		if res.FunctionError != "" {
			if c.st.kind == kindREST && errorMessage(res.Payload) == "Unauthorized" {
				return c.errUnauthorized()
			}
			c.g.log.Warn("authorizer function failed", "authorizer", name, "error", string(res.Payload))
			return c.errAuthorizer()
		}
		simple := c.st.kind != kindREST && a.cfg.PayloadVersion != "1.0" && a.cfg.SimpleResponses
		dec, err = parseAuthResponse(res.Payload, simple, c.st.kind == kindREST || a.cfg.PayloadVersion == "1.0")
		if err != nil {
			c.g.log.Warn("invalid authorizer response", "authorizer", name, "err", err)
			return c.errAuthorizer()
		}
		if a.cacheable() {
			a.put(key, dec, now)
		}
	}
	if dec.simple {
		if !dec.allowed {
			return c.errForbidden(false)
		}
	} else if allow, explicitDeny := evaluatePolicy(dec.statements, c.routeArn()); !allow {
		return c.errForbidden(explicitDeny)
	}
	c.auth = &authResult{dec: dec, latencyMs: latency}
	return nil
}

func errorMessage(payload []byte) string {
	var e struct {
		ErrorMessage string `json:"errorMessage"`
	}
	_ = json.Unmarshal(payload, &e)
	return e.ErrorMessage
}

// --- response side ---

type statement struct {
	effect    string
	actions   []string
	resources []string
}

// stringOrList accepts "x" or ["x","y"], as AWS does in policies.
type stringOrList []string

func (s *stringOrList) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var one string
		if err := json.Unmarshal(b, &one); err != nil {
			return err
		}
		*s = []string{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*s = many
	return nil
}

type rawStatement struct {
	Action   stringOrList `json:"Action"`
	Effect   string       `json:"Effect"`
	Resource stringOrList `json:"Resource"`
}

// statementList accepts one statement object or a list of them.
type statementList []rawStatement

func (s *statementList) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '{' {
		var one rawStatement
		if err := json.Unmarshal(b, &one); err != nil {
			return err
		}
		*s = []rawStatement{one}
		return nil
	}
	var many []rawStatement
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*s = many
	return nil
}

func parseAuthResponse(payload []byte, simple, scalarContext bool) (*authDecision, error) {
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	var raw map[string]json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("authorizer response is not a JSON object: %w", err)
	}
	out := &authDecision{simple: simple}
	if ctx, ok := raw["context"]; ok && string(ctx) != "null" {
		d := json.NewDecoder(bytes.NewReader(ctx))
		d.UseNumber()
		if err := d.Decode(&out.context); err != nil {
			return nil, fmt.Errorf("context must be an object: %w", err)
		}
		if scalarContext {
			for k, v := range out.context {
				switch v.(type) {
				case string, bool, json.Number:
				default:
					return nil, fmt.Errorf("context value %q must be a string, number or boolean", k)
				}
			}
		}
	}
	if simple {
		if err := json.Unmarshal(raw["isAuthorized"], &out.allowed); err != nil || raw["isAuthorized"] == nil {
			return nil, errors.New("simple response needs a boolean isAuthorized")
		}
		return out, nil
	}
	if p, ok := raw["principalId"]; ok {
		if err := json.Unmarshal(p, &out.principalID); err != nil {
			return nil, errors.New("principalId must be a string")
		}
	}
	var doc struct {
		Statement statementList `json:"Statement"`
	}
	if err := json.Unmarshal(raw["policyDocument"], &doc); err != nil || raw["policyDocument"] == nil {
		return nil, errors.New("IAM response needs a policyDocument")
	}
	for _, s := range doc.Statement {
		out.statements = append(out.statements, statement{effect: s.Effect, actions: s.Action, resources: s.Resource})
	}
	return out, nil
}

// evaluatePolicy applies IAM logic to arn for execute-api:Invoke: an
// explicit Deny wins, otherwise some Allow must match.
func evaluatePolicy(stmts []statement, arn string) (allow, explicitDeny bool) {
	for _, s := range stmts {
		if !matchAny(s.actions, "execute-api:Invoke", true) || !matchAny(s.resources, arn, false) {
			continue
		}
		switch {
		case strings.EqualFold(s.effect, "Deny"):
			return false, true
		case strings.EqualFold(s.effect, "Allow"):
			allow = true
		}
	}
	return allow, false
}

func matchAny(patterns []string, s string, fold bool) bool {
	for _, p := range patterns {
		if fold {
			if wildcardMatch(strings.ToLower(p), strings.ToLower(s)) {
				return true
			}
		} else if wildcardMatch(p, s) {
			return true
		}
	}
	return false
}

// wildcardMatch matches IAM-style patterns: * any run, ? one character.
func wildcardMatch(pattern, s string) bool {
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
