// Package apigateway emulates Amazon API Gateway in front of Lambda: HTTP
// APIs (payload 2.0 and 1.0) and REST APIs with Lambda proxy integrations.
// A Gateway selects the stage and route exactly as AWS prioritises them,
// builds the event AWS would send, invokes the function through a
// lambda.Invoker and maps the result back to HTTP, with CORS and Lambda
// REQUEST authorizers on the way.
package apigateway

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/slsx/slsx/emulator/awsapi"
	"github.com/slsx/slsx/emulator/config"
	"github.com/slsx/slsx/emulator/lambda"
	"github.com/slsx/slsx/emulator/telemetry"
)

// DefaultMaxBody is API Gateway's request payload limit (10 MB) for both
// API types.
const DefaultMaxBody = 10 << 20

// Integration timeouts: an HTTP API waits at most 30 s for Lambda, a REST
// API 29 s by default.
const (
	DefaultHTTPIntegrationTimeout = 30 * time.Second
	DefaultRESTIntegrationTimeout = 29 * time.Second
)

// Options configures a Gateway.
type Options struct {
	Identity awsapi.Identity
	Invoker  lambda.Invoker
	Bus      *telemetry.Bus // nil: no telemetry
	Logger   *slog.Logger   // nil: discard
	MaxBody  int64          // request body limit; 0 means DefaultMaxBody
	// IntegrationTimeout overrides the API type's integration timeout
	// (30 s HTTP, 29 s REST); tests shorten it.
	IntegrationTimeout time.Duration
}

// kind is the API flavour, which decides the event and response formats.
type kind uint8

const (
	kindHTTP2 kind = iota // HTTP API, payload 2.0
	kindHTTP1             // HTTP API, payload 1.0
	kindREST              // REST API (payload 1.0 without "version")
)

// Gateway serves one API. Its configuration is an immutable snapshot
// swapped atomically by Update, so a request sees either the old or the new
// table, never a mix.
type Gateway struct {
	opts  Options
	log   *slog.Logger
	state atomic.Pointer[state]
}

// state is everything derived from one *config.API.
type state struct {
	api         *config.API
	kind        kind
	apiID       string
	stage       string // "$default" or a stage name
	basePath    string // local mount prefix, "" or "/prefix"
	router      router
	cors        *corsConfig // HTTP APIs only; nil without CORS
	authorizers map[string]*authorizer
	timeout     time.Duration
}

// New returns a Gateway serving api.
func New(api *config.API, opts Options) *Gateway {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.MaxBody <= 0 {
		opts.MaxBody = DefaultMaxBody
	}
	if opts.Identity.Account == "" {
		opts.Identity = awsapi.DefaultIdentity()
	}
	g := &Gateway{opts: opts, log: opts.Logger.With("api", api.Name)}
	g.state.Store(g.compile(api))
	return g
}

// Update replaces routes, stage, CORS and authorizers at once. Requests in
// flight finish with the table they started with. The authorizer cache is
// discarded, since the authorizers themselves may have changed.
func (g *Gateway) Update(api *config.API) { g.state.Store(g.compile(api)) }

// API returns the configuration currently served.
func (g *Gateway) API() *config.API { return g.state.Load().api }

// ID returns the API's id as it appears in events and ARNs.
func (g *Gateway) ID() string { return g.state.Load().apiID }

// Validate reports configuration AWS would reject: unparsable route paths,
// unknown authorizers, CORS credentials with a wildcard origin. The config
// loader should call it; New and Update tolerate errors by skipping the
// offending route (and logging it).
func Validate(api *config.API) error {
	var errs []error
	for _, r := range api.Routes {
		if r.Path == "$default" {
			if strings.EqualFold(api.Type, "rest") {
				errs = append(errs, fmt.Errorf("api %s: REST APIs have no $default route", api.Name))
			}
		} else if _, err := parseRoutePath(r.Path); err != nil {
			errs = append(errs, fmt.Errorf("api %s: %w", api.Name, err))
		}
		if r.Authorizer != "" && api.Authorizers[r.Authorizer] == nil {
			errs = append(errs, fmt.Errorf("api %s: route %s names unknown authorizer %q", api.Name, r.Key(), r.Authorizer))
		}
	}
	if c := api.CORS; c != nil && c.AllowCredentials {
		for _, o := range c.AllowOrigins {
			if o == "*" {
				errs = append(errs, fmt.Errorf("api %s: cors allowCredentials cannot be used with allowOrigins \"*\"; list the origins instead", api.Name))
			}
		}
	}
	return errors.Join(errs...)
}

func (g *Gateway) compile(api *config.API) *state {
	st := &state{api: api, apiID: APIID(api.Name), basePath: strings.TrimRight(api.BasePath, "/")}
	switch {
	case strings.EqualFold(api.Type, "rest"):
		st.kind = kindREST
		st.stage = api.Stage
		if st.stage == "" || st.stage == "$default" {
			st.stage = "dev"
		}
		st.timeout = DefaultRESTIntegrationTimeout
	default:
		st.kind = kindHTTP2
		if api.Payload == "1.0" {
			st.kind = kindHTTP1
		}
		st.stage = api.Stage
		if st.stage == "" {
			st.stage = "$default"
		}
		st.timeout = DefaultHTTPIntegrationTimeout
		if api.CORS != nil {
			st.cors = newCORS(api.CORS)
		}
	}
	if g.opts.IntegrationTimeout > 0 {
		st.timeout = g.opts.IntegrationTimeout
	}
	st.router.tiered = st.kind != kindREST
	for _, r := range api.Routes {
		rt := &route{cfg: r, key: r.Key(), method: strings.ToUpper(r.Method), resource: r.Path}
		if r.Path == "$default" {
			if st.kind == kindREST {
				g.log.Warn("REST APIs have no $default route; ignoring it", "route", rt.key)
				continue
			}
			st.router.def = rt
			continue
		}
		if rt.method == "" {
			rt.method = "ANY"
		}
		segs, err := parseRoutePath(r.Path)
		if err != nil {
			g.log.Warn("ignoring route", "route", rt.key, "err", err)
			continue
		}
		rt.segs = segs
		rt.greedy = len(segs) > 0 && segs[len(segs)-1].kind == segGreedy
		rt.resID = resourceID(api.Name, r.Path)
		st.router.routes = append(st.router.routes, rt)
	}
	st.authorizers = make(map[string]*authorizer, len(api.Authorizers))
	for name, a := range api.Authorizers {
		st.authorizers[name] = newAuthorizer(a)
	}
	return st
}

// Handler mounts several gateways on one listener, each under its
// BasePath (the longest matching prefix wins). A path under no gateway gets
// the HTTP API 404.
func Handler(gws []*Gateway) http.Handler { return &mux{gws: gws} }

type mux struct{ gws []*Gateway }

func (m *mux) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var best *Gateway
	bestLen := -1
	for _, g := range m.gws {
		base := g.state.Load().basePath
		if hasPathPrefix(r.URL.Path, base) && len(base) > bestLen {
			best, bestLen = g, len(base)
		}
	}
	if best == nil {
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Apigw-Requestid", shortRequestID())
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"message":"Not Found"}`))
		return
	}
	best.ServeHTTP(w, r)
}

// GroupByPort splits gateways into those sharing the main API port
// (Port 0 or equal to mainPort) and those with a port of their own, keyed
// by port. Serve each group with Handler.
func GroupByPort(gws []*Gateway, mainPort int) map[int][]*Gateway {
	out := make(map[int][]*Gateway)
	for _, g := range gws {
		p := g.API().Port
		if p == 0 {
			p = mainPort
		}
		out[p] = append(out[p], g)
	}
	return out
}

func hasPathPrefix(p, prefix string) bool {
	if prefix == "" {
		return true
	}
	return p == prefix || strings.HasPrefix(p, prefix) && p[len(prefix)] == '/'
}
