package apigateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/slsx/slsx/emulator/awsapi"
	"github.com/slsx/slsx/emulator/lambda"
	"github.com/slsx/slsx/emulator/telemetry"
)

// call is one request on its way through the gateway.
type call struct {
	g           *Gateway
	st          *state
	f           *reqFacts
	routingPath string // decoded path with base path and stage removed
	route       *route
	params      map[string]string
	auth        *authResult
	function    string
}

// response is what the gateway sends back, from the function or its own.
type response struct {
	status    int
	header    http.Header
	body      []byte
	preflight bool // a CORS preflight answer: its headers are final
}

// Gateway error bodies, byte for byte as AWS sends them (REST bodies do
// have a space after the colon).
const (
	bodyNotFound          = `{"message":"Not Found"}`
	bodyMissingToken      = `{"message":"Missing Authentication Token"}`
	bodyUnauthorized      = `{"message":"Unauthorized"}`
	bodyForbidden         = `{"message":"Forbidden"}`
	bodyInternalV2        = `{"message":"Internal Server Error"}`
	bodyInternalREST      = `{"message": "Internal server error"}`
	bodyServiceUnavail    = `{"message":"Service Unavailable"}`
	bodyEndpointTimeout   = `{"message": "Endpoint request timed out"}`
	bodyTooLargeV2        = `{"message":"Request Entity Too Large"}`
	bodyTooLargeREST      = `{"message":"HTTP content length exceeded 10485760 bytes."}`
	bodyRESTDenied        = `{"Message":"User is not authorized to access this resource"}`
	bodyRESTExplicitDeny  = `{"Message":"User is not authorized to access this resource with an explicit deny"}`
	bodyRESTAuthorizerErr = `{"message": null}`
)

func gwError(status int, body, errType string) *response {
	h := http.Header{"Content-Type": {"application/json"}}
	if errType != "" {
		h["x-amzn-ErrorType"] = []string{errType}
	}
	return &response{status: status, header: h, body: []byte(body)}
}

// Errors by situation and API type.
func (c *call) errNoRoute() *response {
	if c.st.kind == kindREST {
		return gwError(http.StatusForbidden, bodyMissingToken, "MissingAuthenticationTokenException")
	}
	return gwError(http.StatusNotFound, bodyNotFound, "")
}

func (c *call) errIntegration() *response {
	if c.st.kind == kindREST {
		return gwError(http.StatusBadGateway, bodyInternalREST, "InternalServerErrorException")
	}
	return gwError(http.StatusInternalServerError, bodyInternalV2, "")
}

// errInvokeRejected answers a request the Lambda API refused to run:
// throttled (TooManyRequestsException), function not found, payload too
// large. Both API types answer 500 with their internal-error body; a
// function that ran and failed gets errIntegration instead (502 on REST).
// Lambda developer guide, "Handling Lambda errors with an API Gateway API".
func (c *call) errInvokeRejected() *response {
	if c.st.kind == kindREST {
		return gwError(http.StatusInternalServerError, bodyInternalREST, "InternalServerErrorException")
	}
	return gwError(http.StatusInternalServerError, bodyInternalV2, "")
}

func (c *call) errTimeout() *response {
	if c.st.kind == kindREST {
		return gwError(http.StatusGatewayTimeout, bodyEndpointTimeout, "InternalServerErrorException")
	}
	return gwError(http.StatusServiceUnavailable, bodyServiceUnavail, "")
}

func (c *call) errTooLarge() *response {
	if c.st.kind == kindREST {
		return gwError(http.StatusRequestEntityTooLarge, bodyTooLargeREST, "RequestTooLongException")
	}
	return gwError(http.StatusRequestEntityTooLarge, bodyTooLargeV2, "")
}

func (c *call) errUnauthorized() *response {
	if c.st.kind == kindREST {
		return gwError(http.StatusUnauthorized, bodyUnauthorized, "UnauthorizedException")
	}
	return gwError(http.StatusUnauthorized, bodyUnauthorized, "")
}

func (c *call) errForbidden(explicit bool) *response {
	if c.st.kind == kindREST {
		if explicit {
			return gwError(http.StatusForbidden, bodyRESTExplicitDeny, "AccessDeniedException")
		}
		return gwError(http.StatusForbidden, bodyRESTDenied, "AccessDeniedException")
	}
	return gwError(http.StatusForbidden, bodyForbidden, "")
}

func (c *call) errAuthorizer() *response {
	if c.st.kind == kindREST {
		return gwError(http.StatusInternalServerError, bodyRESTAuthorizerErr, "AuthorizerConfigurationException")
	}
	return gwError(http.StatusInternalServerError, bodyInternalV2, "")
}

// ServeHTTP handles one request for this API.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	st := g.state.Load()
	f := newFacts(r, start)
	if st.kind == kindREST {
		f.requestID = awsapi.RequestID()
		f.extendedID = shortRequestID()
	} else {
		// HTTP API payload 1.0 events carry extendedRequestId too; AWS
		// fills it with the request id.
		f.requestID = shortRequestID()
		f.extendedID = f.requestID
	}
	f.traceID = r.Header.Get("X-Amzn-Trace-Id")
	if f.traceID == "" {
		f.traceID = newTraceID(start)
	}
	c := &call{g: g, st: st, f: f}
	resp := c.serve()
	c.write(w, resp)
	routeKey := ""
	if c.route != nil {
		routeKey = c.route.key
	}
	g.opts.Bus.Publish(telemetry.HTTPRequest{
		At: telemetry.Now(), API: st.api.Name, Method: r.Method, Path: r.URL.Path,
		RouteKey: routeKey, Function: c.function, Status: resp.status, Duration: time.Since(start),
		RequestID: f.requestID, TraceID: f.traceID,
	})
}

func (c *call) serve() *response {
	st, f, r := c.st, c.f, c.f.r

	// Local mount: strip the base path from both path forms.
	raw := rawRequestPath(r)
	decoded := r.URL.Path
	if st.basePath != "" && hasPathPrefix(decoded, st.basePath) {
		decoded = decoded[len(st.basePath):]
		if hasPathPrefix(raw, st.basePath) {
			raw = raw[len(st.basePath):]
		}
	}
	if decoded == "" {
		decoded = "/"
	}
	if raw == "" {
		raw = "/"
	}
	f.rawPath = raw

	// Stage selection. REST APIs are always staged; an HTTP API's named
	// stage is its first segment, $default has none.
	if st.stage != "$default" {
		seg, rest := firstSegment(decoded)
		if seg != st.stage {
			return c.errNoRoute()
		}
		decoded = rest
		_, f.restPath = firstSegment(raw)
	} else {
		f.restPath = raw
	}
	if st.kind == kindREST && len(decoded) > 1 {
		// REST ignores a trailing slash.
		decoded = strings.TrimRight(decoded, "/")
		if decoded == "" {
			decoded = "/"
		}
	}
	c.routingPath = decoded

	if r.ContentLength > c.g.opts.MaxBody {
		return c.errTooLarge()
	}

	segs := splitPath(decoded)
	if st.cors != nil && isPreflight(r) {
		if rt, _ := st.router.find(http.MethodOptions, segs, true); rt == nil {
			return st.cors.preflight(r)
		}
	}
	c.route, c.params = st.router.find(r.Method, segs, false)
	if c.route == nil {
		return c.errNoRoute()
	}

	body, err := io.ReadAll(io.LimitReader(r.Body, c.g.opts.MaxBody+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return c.errTooLarge()
		}
		c.g.log.Debug("read request body", "err", err)
		return gwError(http.StatusBadRequest, `{"message":"Bad Request"}`, "BadRequestException")
	}
	if int64(len(body)) > c.g.opts.MaxBody {
		return c.errTooLarge()
	}

	if name := c.route.cfg.Authorizer; name != "" {
		if resp := c.authorize(name); resp != nil {
			return resp
		}
	}

	var payload []byte
	if st.kind == kindHTTP2 {
		payload, err = json.Marshal(c.v2Event(body))
	} else {
		payload, err = json.Marshal(c.v1Event(body))
	}
	if err != nil {
		c.g.log.Error("marshal event", "err", err)
		return c.errIntegration()
	}

	c.function = c.route.cfg.Function
	res, resp := c.invoke(c.function, payload)
	if resp != nil {
		return resp
	}
	var out *response
	switch st.kind {
	case kindHTTP2:
		out, err = mapV2(res.Payload)
	default:
		out, err = mapV1(res.Payload, st.kind == kindREST)
	}
	if err != nil {
		c.g.log.Warn("malformed Lambda proxy response", "function", c.function, "route", c.route.key, "err", err)
		return c.errIntegration()
	}
	return out
}

// invoke runs a function synchronously under the integration timeout and
// turns platform and function failures into the gateway's answer.
func (c *call) invoke(function string, payload []byte) (lambda.Result, *response) {
	res, err := c.callFunction(function, payload, c.route.key)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return res, c.errTimeout()
		}
		c.g.log.Warn("invoke failed", "function", function, "route", c.route.key, "err", err)
		var rejected *awsapi.Error
		if errors.As(err, &rejected) {
			return res, c.errInvokeRejected()
		}
		return res, c.errIntegration()
	}
	if res.FunctionError != "" {
		c.g.log.Debug("function error", "function", function, "error", string(res.Payload))
		return res, c.errIntegration()
	}
	return res, nil
}

// callFunction invokes synchronously under the integration timeout. The
// client hanging up does not cancel the invocation, as on AWS.
func (c *call) callFunction(function string, payload []byte, trigger string) (lambda.Result, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.f.r.Context()), c.st.timeout)
	defer cancel()
	res, err := c.g.opts.Invoker.Invoke(ctx, lambda.Request{
		Function: function,
		Payload:  payload,
		Type:     lambda.RequestResponse,
		Trigger:  trigger,
		TraceID:  c.f.traceID,
	})
	if err != nil && ctx.Err() == context.DeadlineExceeded {
		return res, fmt.Errorf("invoke %s: %w", function, context.DeadlineExceeded)
	}
	return res, err
}

// write sends resp with the ids and CORS headers AWS adds.
func (c *call) write(w http.ResponseWriter, resp *response) {
	h := w.Header()
	for k, v := range resp.header {
		h[k] = v
	}
	if c.st.kind == kindREST {
		h["x-amzn-RequestId"] = []string{c.f.requestID}
		h["x-amz-apigw-id"] = []string{c.f.extendedID}
		h["X-Amzn-Trace-Id"] = []string{c.f.traceID}
	} else {
		h["Apigw-Requestid"] = []string{c.f.requestID}
	}
	if c.st.cors != nil && !resp.preflight {
		c.st.cors.decorate(h, c.f.r.Header.Get("Origin"))
	}
	if _, ok := h["Content-Type"]; !ok {
		// Stop net/http from sniffing one: AWS sends none.
		h["Content-Type"] = nil
	}
	w.WriteHeader(resp.status)
	if c.f.r.Method != http.MethodHead {
		_, _ = w.Write(resp.body)
	}
}

// rawRequestPath is the request path still percent-encoded as received.
func rawRequestPath(r *http.Request) string {
	u := r.RequestURI
	if i := strings.IndexByte(u, '?'); i >= 0 {
		u = u[:i]
	}
	if !strings.HasPrefix(u, "/") {
		return r.URL.EscapedPath()
	}
	return u
}

// firstSegment splits "/dev/pets/1" into "dev" and "/pets/1" ("/dev" → "dev", "/").
func firstSegment(p string) (string, string) {
	p = strings.TrimPrefix(p, "/")
	seg, rest, found := strings.Cut(p, "/")
	if !found {
		return seg, "/"
	}
	return seg, "/" + rest
}
