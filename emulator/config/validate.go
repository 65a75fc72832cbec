package config

import (
	"fmt"
	"sort"
	"strings"
)

// link checks every cross-reference (routes to APIs and authorizers,
// authorizers and subscriptions to functions, triggers to tables), fills the
// derived parts of the model (the implied default API, implicit topics,
// routes on APIs and functions) and sorts it.
func (l *loader) link() {
	p := l.p
	var fnNames []string
	for _, f := range p.Functions {
		fnNames = append(fnNames, f.Name)
	}
	if l.apiAt[DefaultAPIName] == nil && l.usesDefaultAPI() {
		p.APIs = append(p.APIs, &API{Name: DefaultAPIName, Type: "http", Payload: "2.0", Stage: "$default"})
	}
	apis := map[string]*API{}
	var apiNames []string
	for _, a := range p.APIs {
		apis[a.Name] = a
		apiNames = append(apiNames, a.Name)
	}

	l.linkRoutes(apis, apiNames)
	for _, z := range l.auths {
		if p.Function(z.v.Function) == nil {
			l.errorf(z.n, z.path, "function %s is not declared under functions%s", quote(z.v.Function), suggest(z.v.Function, fnNames))
		}
	}
	l.checkMounts()
	l.linkSubscriptions(fnNames)
	l.linkTriggers()
	l.linkOnFailure()

	sort.Slice(p.Functions, func(i, j int) bool { return p.Functions[i].Name < p.Functions[j].Name })
	sort.Slice(p.APIs, func(i, j int) bool { return p.APIs[i].Name < p.APIs[j].Name })
	sort.Slice(p.Topics, func(i, j int) bool { return p.Topics[i].Name < p.Topics[j].Name })
	sort.Slice(p.Tables, func(i, j int) bool { return p.Tables[i].Name < p.Tables[j].Name })
	for _, a := range p.APIs {
		sortRoutes(a.Routes)
	}
	for _, f := range p.Functions {
		sortRoutes(f.Routes)
	}
}

// usesDefaultAPI reports whether an http event is on the default API (as
// every event without api: is).
func (l *loader) usesDefaultAPI() bool {
	for _, r := range l.routes {
		if r.v.API == DefaultAPIName {
			return true
		}
	}
	return false
}

// sortRoutes orders routes by API, then path, then method.
func sortRoutes(rs []*Route) {
	sort.Slice(rs, func(i, j int) bool {
		a, b := rs[i], rs[j]
		if a.API != b.API {
			return a.API < b.API
		}
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.Method < b.Method
	})
}

// routeShape is a route key with variable names erased: GET /a/{x} and
// GET /a/{y} would match the same requests, so they conflict.
func routeShape(r *Route) string {
	if r.Path == "$default" {
		return "$default"
	}
	segs := strings.Split(r.Path, "/")
	for i, s := range segs {
		if strings.HasPrefix(s, "{") {
			if strings.HasSuffix(s, "+}") {
				segs[i] = "{+}"
			} else {
				segs[i] = "{}"
			}
		}
	}
	return r.Method + " " + strings.Join(segs, "/")
}

func (l *loader) linkRoutes(apis map[string]*API, apiNames []string) {
	type first struct {
		r    *Route
		line int
	}
	seen := map[string]first{} // api + " " + shape
	for _, rr := range l.routes {
		r := rr.v
		a := apis[r.API]
		if a == nil {
			l.errorf(rr.n, rr.path, "api %s is not declared under apis%s", quote(r.API), suggest(r.API, apiNames))
			continue
		}
		if a.Type == "rest" && r.Path == "$default" {
			l.errorf(rr.n, rr.path, "rest API %s has no $default route; use ANY /{proxy+}", a.Name)
			continue
		}
		if r.Authorizer != "" && a.Authorizers[r.Authorizer] == nil {
			var names []string
			for n := range a.Authorizers {
				names = append(names, n)
			}
			sort.Strings(names)
			l.errorf(rr.n, rr.path, "authorizer %s is not declared under apis.%s.authorizers%s", quote(r.Authorizer), a.Name, suggest(r.Authorizer, names))
			continue
		}
		k := a.Name + " " + routeShape(r)
		if f, dup := seen[k]; dup {
			if f.r.Key() == r.Key() {
				l.errorf(rr.n, rr.path, "route %s on api %s is already defined by function %s on line %d", r.Key(), a.Name, f.r.Function, f.line)
			} else {
				l.errorf(rr.n, rr.path, "route %s on api %s conflicts with %s of function %s on line %d; use the same variable names", r.Key(), a.Name, f.r.Key(), f.r.Function, f.line)
			}
			continue
		}
		seen[k] = first{r, rr.n.Line}
		a.Routes = append(a.Routes, r)
		if fn := l.p.Function(r.Function); fn != nil {
			fn.Routes = append(fn.Routes, r)
		}
	}
}

// checkMounts rejects two APIs served at the same place: the same port, or
// the same base path on the main API port.
func (l *loader) checkMounts() {
	byPlace := map[string]string{}
	for _, a := range l.p.APIs {
		place := fmt.Sprintf("port %d", a.Port)
		switch {
		case a.Port == 0 && a.BasePath == "":
			place = "the main port without a basePath"
		case a.Port == 0:
			place = "the main port under " + a.BasePath
		}
		if other, dup := byPlace[place]; dup {
			name, at := a.Name, l.apiAt[a.Name]
			if at == nil { // the implied default API: blame the declared one
				name, other, at = other, a.Name, l.apiAt[other]
			}
			l.errorf(at, "apis."+name, "is served at %s, like api %s; give it its own port or basePath", place, other)
			continue
		}
		byPlace[place] = a.Name
	}
}

func (l *loader) linkSubscriptions(fnNames []string) {
	p := l.p
	topics := map[string]*Topic{}
	for _, t := range p.Topics {
		topics[t.Name] = t
	}
	seen := map[string]int{} // topic, protocol, endpoint -> line
	for _, s := range l.subs {
		t := topics[s.v.Topic]
		if t == nil {
			// Topics named only by subscriptions are created implicitly.
			fifo := strings.HasSuffix(s.v.Topic, ".fifo")
			if msg := checkTopicName(s.v.Topic, fifo); msg != "" {
				l.errorf(s.n, s.path, "topic %s", msg)
				continue
			}
			t = &Topic{Name: s.v.Topic, Fifo: fifo}
			topics[t.Name] = t
			p.Topics = append(p.Topics, t)
		}
		if t.Fifo {
			l.errorf(s.n, s.path, "topic %s is FIFO; SNS delivers FIFO topics only to SQS queues, not to %s", quote(t.Name), s.v.Protocol)
			continue
		}
		if s.v.Protocol == "lambda" && p.Function(s.v.Endpoint) == nil {
			l.errorf(s.n, s.path, "function %s is not declared under functions%s", quote(s.v.Endpoint), suggest(s.v.Endpoint, fnNames))
			continue
		}
		// SNS keeps one subscription per topic, protocol and endpoint.
		k := s.v.Topic + " " + s.v.Protocol + " " + s.v.Endpoint
		if line, dup := seen[k]; dup {
			l.errorf(s.n, s.path, "%s %s already subscribes to topic %s on line %d; SNS keeps one subscription per endpoint", s.v.Protocol, quote(s.v.Endpoint), quote(t.Name), line)
			continue
		}
		seen[k] = s.n.Line
		p.Subscriptions = append(p.Subscriptions, s.v)
	}
}

func (l *loader) linkTriggers() {
	tables := map[string]*Table{}
	var names []string
	for _, t := range l.p.Tables {
		tables[t.Name] = t
		names = append(names, t.Name)
	}
	seen := map[string]int{} // table, function -> line
	for _, tr := range l.triggers {
		t := tables[tr.v.Table]
		k := tr.v.Table + "\x00" + tr.v.Function
		line, dup := seen[k]
		switch {
		case t == nil:
			l.errorf(tr.n, tr.path, "table %s is not declared under tables%s", quote(tr.v.Table), suggest(tr.v.Table, names))
		case t.StreamView == "":
			l.errorf(tr.n, tr.path, "table %s has no stream; set tables.%s.stream, e.g. NEW_AND_OLD_IMAGES", quote(t.Name), t.Name)
		case dup:
			// Lambda refuses a second mapping of one stream to one function.
			l.errorf(tr.n, tr.path, "table %s already triggers function %s on line %d; Lambda keeps one event source mapping per stream and function (merge the two, using filters)", quote(t.Name), quote(tr.v.Function), line)
		default:
			seen[k] = tr.n.Line
			l.p.StreamTriggers = append(l.p.StreamTriggers, tr.v)
		}
	}
}
