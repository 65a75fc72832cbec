package apigateway

import (
	"encoding/base64"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// timeLayout is API Gateway's request time format, always in UTC
// ("12/Mar/2020:19:03:58 +0000").
const timeLayout = "02/Jan/2006:15:04:05 -0700"

// --- payload 2.0 (HTTP API) ---

// v2Common holds the fields the integration event and the 2.0 authorizer
// event share.
type v2Common struct {
	Version               string            `json:"version"`
	RouteKey              string            `json:"routeKey"`
	RawPath               string            `json:"rawPath"`
	RawQueryString        string            `json:"rawQueryString"`
	Cookies               []string          `json:"cookies,omitempty"`
	Headers               map[string]string `json:"headers"`
	QueryStringParameters map[string]string `json:"queryStringParameters,omitempty"`
	PathParameters        map[string]string `json:"pathParameters,omitempty"`
	StageVariables        map[string]string `json:"stageVariables,omitempty"`
	RequestContext        v2Context         `json:"requestContext"`
}

type v2Event struct {
	v2Common
	Body            string `json:"body,omitempty"`
	IsBase64Encoded bool   `json:"isBase64Encoded"`
}

type v2Context struct {
	AccountID    string        `json:"accountId"`
	APIID        string        `json:"apiId"`
	Authorizer   *v2Authorizer `json:"authorizer,omitempty"`
	DomainName   string        `json:"domainName"`
	DomainPrefix string        `json:"domainPrefix"`
	HTTP         v2HTTP        `json:"http"`
	RequestID    string        `json:"requestId"`
	RouteKey     string        `json:"routeKey"`
	Stage        string        `json:"stage"`
	Time         string        `json:"time"`
	TimeEpoch    int64         `json:"timeEpoch"`
}

type v2HTTP struct {
	Method    string `json:"method"`
	Path      string `json:"path"`
	Protocol  string `json:"protocol"`
	SourceIP  string `json:"sourceIp"`
	UserAgent string `json:"userAgent"`
}

type v2Authorizer struct {
	Lambda any `json:"lambda"`
}

// --- payload 1.0 (REST API and HTTP API 1.0) ---

type v1Event struct {
	Version                         string              `json:"version,omitempty"`
	Resource                        string              `json:"resource"`
	Path                            string              `json:"path"`
	HTTPMethod                      string              `json:"httpMethod"`
	Headers                         map[string]string   `json:"headers"`
	MultiValueHeaders               map[string][]string `json:"multiValueHeaders"`
	QueryStringParameters           map[string]string   `json:"queryStringParameters"`
	MultiValueQueryStringParameters map[string][]string `json:"multiValueQueryStringParameters"`
	PathParameters                  map[string]string   `json:"pathParameters"`
	StageVariables                  map[string]string   `json:"stageVariables"`
	RequestContext                  v1Context           `json:"requestContext"`
	Body                            *string             `json:"body"`
	IsBase64Encoded                 bool                `json:"isBase64Encoded"`
}

type v1Context struct {
	AccountID         string         `json:"accountId"`
	APIID             string         `json:"apiId"`
	Authorizer        map[string]any `json:"authorizer,omitempty"`
	DomainName        string         `json:"domainName"`
	DomainPrefix      string         `json:"domainPrefix"`
	ExtendedRequestID string         `json:"extendedRequestId"`
	HTTPMethod        string         `json:"httpMethod"`
	Identity          v1Identity     `json:"identity"`
	Path              string         `json:"path"`
	Protocol          string         `json:"protocol"`
	RequestID         string         `json:"requestId"`
	RequestTime       string         `json:"requestTime"`
	RequestTimeEpoch  int64          `json:"requestTimeEpoch"`
	ResourceID        *string        `json:"resourceId"`
	ResourcePath      string         `json:"resourcePath"`
	Stage             string         `json:"stage"`
}

// v1Identity lists every identity key AWS sends; all but sourceIp and
// userAgent are null without IAM or Cognito auth, which slsx does not do.
type v1Identity struct {
	AccessKey                     *string `json:"accessKey"`
	AccountID                     *string `json:"accountId"`
	APIKey                        *string `json:"apiKey"`
	APIKeyID                      *string `json:"apiKeyId"`
	Caller                        *string `json:"caller"`
	ClientCert                    *string `json:"clientCert"`
	CognitoAuthenticationProvider *string `json:"cognitoAuthenticationProvider"`
	CognitoAuthenticationType     *string `json:"cognitoAuthenticationType"`
	CognitoIdentityID             *string `json:"cognitoIdentityId"`
	CognitoIdentityPoolID         *string `json:"cognitoIdentityPoolId"`
	PrincipalOrgID                *string `json:"principalOrgId"`
	SourceIP                      string  `json:"sourceIp"`
	User                          *string `json:"user"`
	UserAgent                     string  `json:"userAgent"`
	UserArn                       *string `json:"userArn"`
}

// --- request facts shared by every builder ---

type kv struct{ k, v string }

// reqFacts is what the gateway learned about one request, computed once
// and used by the integration and authorizer events.
type reqFacts struct {
	r          *http.Request
	now        time.Time
	method     string
	rawPath    string // percent-encoded, base path stripped, stage kept
	restPath   string // REST: rawPath without the stage segment
	rawQuery   string
	query      []kv
	sourceIP   string
	port       string
	domain     string
	prefix     string
	requestID  string // v2 / HTTP API: short id; REST: UUID
	extendedID string
	traceID    string
}

func newFacts(r *http.Request, now time.Time) *reqFacts {
	f := &reqFacts{r: r, now: now, method: r.Method, rawQuery: r.URL.RawQuery}
	f.query = parseQuery(f.rawQuery)
	f.sourceIP = r.RemoteAddr
	if h, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		f.sourceIP = h
	}
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if _, p, err := net.SplitHostPort(a.String()); err == nil {
			f.port = p
		}
	}
	host := r.Host
	if h, p, err := net.SplitHostPort(host); err == nil {
		host = h
		if f.port == "" {
			f.port = p
		}
	}
	host = strings.Trim(host, "[]")
	f.domain = host
	f.prefix = host
	// An IP literal has no meaningful first label; keep it whole.
	if net.ParseIP(host) == nil {
		if i := strings.IndexByte(host, '.'); i > 0 {
			f.prefix = host[:i]
		}
	}
	return f
}

// parseQuery splits a raw query string into decoded pairs, in order,
// keeping duplicates. "a" without "=" maps to "".
func parseQuery(raw string) []kv {
	if raw == "" {
		return nil
	}
	out := make([]kv, 0, strings.Count(raw, "&")+1)
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		out = append(out, kv{unescape(k), unescape(v)})
	}
	return out
}

func unescape(s string) string {
	if !strings.ContainsAny(s, "%+") {
		return s
	}
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}

func (f *reqFacts) timeString() string { return f.now.UTC().Format(timeLayout) }
func (f *reqFacts) epochMs() int64     { return f.now.UnixMilli() }

// --- headers ---

// v2Headers returns lowercased, comma-joined headers without the cookie
// header, plus the headers API Gateway adds, and the cookies.
func (f *reqFacts) v2Headers() (map[string]string, []string) {
	h := make(map[string]string, len(f.r.Header)+5)
	var cookies []string
	for name, vals := range f.r.Header {
		lname := strings.ToLower(name)
		if lname == "cookie" {
			for _, v := range vals {
				for c := range strings.SplitSeq(v, ";") {
					if c = strings.TrimSpace(c); c != "" {
						cookies = append(cookies, c)
					}
				}
			}
			continue
		}
		h[lname] = strings.Join(vals, ",")
	}
	h["host"] = f.r.Host
	f.addForwarded(h, "x-forwarded-for", "x-forwarded-port", "x-forwarded-proto", "x-amzn-trace-id", h["x-forwarded-for"])
	return h, cookies
}

func (f *reqFacts) addForwarded(h map[string]string, xff, xfport, xfproto, trace, prevXFF string) {
	if prevXFF != "" {
		h[xff] = prevXFF + ", " + f.sourceIP
	} else {
		h[xff] = f.sourceIP
	}
	h[xfport] = f.port
	h[xfproto] = "http"
	h[trace] = f.traceID
}

// v1Headers returns the single- and multi-value header maps of payload
// 1.0. REST keeps the names as the client sent them (as far as Go's HTTP
// server lets us see them: canonical form); HTTP APIs lowercase them. The
// single-value map keeps the last value of a repeated header.
func (f *reqFacts) v1Headers(lower bool) (map[string]string, map[string][]string) {
	single := make(map[string]string, len(f.r.Header)+5)
	multi := make(map[string][]string, len(f.r.Header)+5)
	name := func(n string) string {
		if lower {
			return strings.ToLower(n)
		}
		return n
	}
	var prevXFF []string
	for n, vals := range f.r.Header {
		if strings.EqualFold(n, "X-Forwarded-For") {
			prevXFF = vals
			continue
		}
		if strings.EqualFold(n, "X-Amzn-Trace-Id") {
			continue
		}
		k := name(n)
		multi[k] = append([]string(nil), vals...)
		single[k] = vals[len(vals)-1]
	}
	add := func(n, v string) {
		k := name(n)
		single[k] = v
		multi[k] = []string{v}
	}
	add("Host", f.r.Host)
	xff := f.sourceIP
	if len(prevXFF) > 0 {
		xff = strings.Join(prevXFF, ", ") + ", " + f.sourceIP
	}
	add("X-Forwarded-For", xff)
	add("X-Forwarded-Port", f.port)
	add("X-Forwarded-Proto", "http")
	add("X-Amzn-Trace-Id", f.traceID)
	return single, multi
}

// --- query ---

func (f *reqFacts) v2Query() map[string]string {
	if len(f.query) == 0 {
		return nil
	}
	m := make(map[string]string, len(f.query))
	for _, p := range f.query {
		if prev, ok := m[p.k]; ok {
			m[p.k] = prev + "," + p.v
		} else {
			m[p.k] = p.v
		}
	}
	return m
}

// v1Query: REST keeps the last value of a repeated name, HTTP API 1.0 the
// first (the API Gateway guide's example).
func (f *reqFacts) v1Query(last bool) (map[string]string, map[string][]string) {
	if len(f.query) == 0 {
		return nil, nil
	}
	single := make(map[string]string, len(f.query))
	multi := make(map[string][]string, len(f.query))
	for _, p := range f.query {
		if _, seen := single[p.k]; !seen || last {
			single[p.k] = p.v
		}
		multi[p.k] = append(multi[p.k], p.v)
	}
	return single, multi
}

// --- body ---

// textMediaTypes are the request content types an HTTP API passes as text;
// everything else is base64-encoded.
func isTextMedia(contentType string) bool {
	if contentType == "" {
		return false
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		mt = strings.ToLower(strings.TrimSpace(strings.SplitN(contentType, ";", 2)[0]))
	}
	switch {
	case strings.HasPrefix(mt, "text/"),
		mt == "application/json", mt == "application/xml", mt == "application/javascript":
		return true
	}
	return false
}

// httpAPIBody applies the HTTP API base64 rule (both payload versions).
func httpAPIBody(body []byte, contentType string) (string, bool) {
	if len(body) == 0 {
		return "", false
	}
	if isTextMedia(contentType) && utf8.Valid(body) {
		return string(body), false
	}
	return base64.StdEncoding.EncodeToString(body), true
}

// --- builders ---

func (c *call) v2Common() v2Common {
	f, st := c.f, c.st
	headers, cookies := f.v2Headers()
	ev := v2Common{
		Version:               "2.0",
		RouteKey:              c.route.key,
		RawPath:               f.rawPath,
		RawQueryString:        f.rawQuery,
		Cookies:               cookies,
		Headers:               headers,
		QueryStringParameters: f.v2Query(),
		PathParameters:        c.params,
		StageVariables:        stageVars(st),
		RequestContext: v2Context{
			AccountID:    c.g.opts.Identity.Account,
			APIID:        st.apiID,
			DomainName:   f.domain,
			DomainPrefix: f.prefix,
			HTTP: v2HTTP{
				Method:    f.method,
				Path:      f.rawPath,
				Protocol:  f.r.Proto,
				SourceIP:  f.sourceIP,
				UserAgent: f.r.UserAgent(),
			},
			RequestID: f.requestID,
			RouteKey:  c.route.key,
			Stage:     st.stage,
			Time:      f.timeString(),
			TimeEpoch: f.epochMs(),
		},
	}
	if len(ev.PathParameters) == 0 {
		ev.PathParameters = nil
	}
	return ev
}

func stageVars(st *state) map[string]string {
	if len(st.api.StageVariables) == 0 {
		return nil
	}
	return st.api.StageVariables
}

func (c *call) v2Event(body []byte) *v2Event {
	ev := &v2Event{v2Common: c.v2Common()}
	ev.Body, ev.IsBase64Encoded = httpAPIBody(body, c.f.r.Header.Get("Content-Type"))
	if c.auth != nil {
		ev.RequestContext.Authorizer = &v2Authorizer{Lambda: c.auth.v2Context()}
	}
	return ev
}

func (c *call) v1Event(body []byte) *v1Event {
	f, st := c.f, c.st
	rest := st.kind == kindREST
	ev := &v1Event{
		Resource:       c.route.resource,
		Path:           f.rawPath,
		HTTPMethod:     f.method,
		PathParameters: c.params,
		StageVariables: stageVars(st),
	}
	if len(ev.PathParameters) == 0 {
		ev.PathParameters = nil
	}
	ev.Headers, ev.MultiValueHeaders = f.v1Headers(!rest)
	ev.QueryStringParameters, ev.MultiValueQueryStringParameters = f.v1Query(rest)
	ctx := v1Context{
		AccountID:         c.g.opts.Identity.Account,
		APIID:             st.apiID,
		DomainName:        f.domain,
		DomainPrefix:      f.prefix,
		ExtendedRequestID: f.extendedID,
		HTTPMethod:        f.method,
		Identity:          v1Identity{SourceIP: f.sourceIP, UserAgent: f.r.UserAgent()},
		Path:              f.rawPath,
		Protocol:          f.r.Proto,
		RequestID:         f.requestID,
		RequestTime:       f.timeString(),
		RequestTimeEpoch:  f.epochMs(),
		ResourcePath:      c.route.resource,
		Stage:             st.stage,
	}
	if rest {
		ev.Path = f.restPath
		id := c.route.resID
		ctx.ResourceID = &id
		if len(body) > 0 {
			// REST APIs pass bodies as text unless binaryMediaTypes match;
			// slsx's model has none, so the body is always text.
			s := string(body)
			ev.Body = &s
		}
	} else {
		ev.Version = "1.0"
		if s, b64 := httpAPIBody(body, f.r.Header.Get("Content-Type")); s != "" {
			ev.Body, ev.IsBase64Encoded = &s, b64
		}
		// The HTTP API 1.0 example carries an empty JWT description when no
		// authorizer ran.
		ctx.Authorizer = map[string]any{"claims": nil, "scopes": nil}
	}
	if c.auth != nil {
		ctx.Authorizer = c.auth.v1Context(rest)
	}
	ev.RequestContext = ctx
	return ev
}

// routeArn is arn:aws:execute-api:<region>:<account>:<apiId>/<stage>/<METHOD>/<path>.
func (c *call) routeArn() string {
	p := c.routingPath
	return "arn:aws:execute-api:" + c.g.opts.Identity.Region + ":" + c.g.opts.Identity.Account + ":" +
		c.st.apiID + "/" + c.st.stage + "/" + c.f.method + "/" + strings.TrimPrefix(p, "/")
}
