package apigateway

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/slsx/slsx/emulator/config"
)

// corsConfig is an HTTP API CORS configuration, preformatted.
type corsConfig struct {
	origins     []string // lowercased; may contain "*" or "https://*.example.com"
	anyOrigin   bool
	methods     string
	headers     string
	expose      string
	maxAge      string
	credentials bool
}

func newCORS(c *config.CORS) *corsConfig {
	cc := &corsConfig{
		methods:     strings.Join(c.AllowMethods, ","),
		headers:     strings.Join(c.AllowHeaders, ","),
		expose:      strings.Join(c.ExposeHeaders, ","),
		credentials: c.AllowCredentials,
	}
	if c.MaxAge != 0 {
		cc.maxAge = strconv.Itoa(c.MaxAge)
	}
	for _, o := range c.AllowOrigins {
		if o == "*" {
			cc.anyOrigin = true
		}
		cc.origins = append(cc.origins, strings.ToLower(strings.TrimRight(o, "/")))
	}
	return cc
}

func isPreflight(r *http.Request) bool {
	return r.Method == http.MethodOptions && r.Header.Get("Origin") != "" &&
		r.Header.Get("Access-Control-Request-Method") != ""
}

// allowed reports whether origin may call the API.
func (cc *corsConfig) allowed(origin string) bool {
	if origin == "" {
		return false
	}
	if cc.anyOrigin {
		return true
	}
	o := strings.ToLower(origin)
	for _, pat := range cc.origins {
		if pat == o {
			return true
		}
		// A wildcard subdomain: "https://*.example.com".
		if pre, suf, ok := strings.Cut(pat, "*"); ok && strings.HasPrefix(o, pre) && strings.HasSuffix(o, suf) &&
			len(o) > len(pre)+len(suf) {
			return true
		}
	}
	return false
}

func (cc *corsConfig) allowOrigin(origin string) string {
	if cc.anyOrigin && !cc.credentials {
		return "*"
	}
	return origin
}

// preflight answers an OPTIONS preflight without invoking anything.
func (cc *corsConfig) preflight(r *http.Request) *response {
	h := make(http.Header)
	origin := r.Header.Get("Origin")
	if cc.allowed(origin) {
		h.Set("Access-Control-Allow-Origin", cc.allowOrigin(origin))
		if cc.methods != "" {
			h.Set("Access-Control-Allow-Methods", cc.methods)
		}
		if cc.headers != "" {
			h.Set("Access-Control-Allow-Headers", cc.headers)
		}
		if cc.maxAge != "" {
			h.Set("Access-Control-Max-Age", cc.maxAge)
		}
		if cc.credentials {
			h.Set("Access-Control-Allow-Credentials", "true")
		}
	}
	return &response{status: http.StatusNoContent, header: h, preflight: true}
}

// corsHeaders are the headers the gateway owns once CORS is configured.
var corsHeaders = []string{
	"Access-Control-Allow-Origin", "Access-Control-Allow-Methods", "Access-Control-Allow-Headers",
	"Access-Control-Allow-Credentials", "Access-Control-Expose-Headers", "Access-Control-Max-Age",
}

// decorate replaces the integration's CORS headers with the gateway's on a
// response to a request that carried Origin.
func (cc *corsConfig) decorate(h http.Header, origin string) {
	if origin == "" {
		return
	}
	for _, k := range corsHeaders {
		delete(h, k)
	}
	if !cc.allowed(origin) {
		return
	}
	h.Set("Access-Control-Allow-Origin", cc.allowOrigin(origin))
	if cc.expose != "" {
		h.Set("Access-Control-Expose-Headers", cc.expose)
	}
	if cc.credentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
}
