package config

import (
	"errors"
	"os"
	"sort"
	"strings"
	"testing"
	"time"
)

// FuzzParse checks that no input panics, that errors are well formed and
// sorted, and that every accepted project is consistent.
func FuzzParse(f *testing.F) {
	full, err := os.ReadFile("testdata/full.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(full)
	f.Add([]byte(fn + "    events: [{http: GET /a/{id}}, {sns: t}, {dynamodb: tbl}]\n" + tbl))
	f.Add([]byte("functions:\n  a: &x {handler: ./a}\n  b: {<<: *x, memory: 256}\n"))
	f.Add([]byte(streamFile))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse("/proj", "slsx.yaml", data)
		if err != nil {
			checkError(t, err)
			return
		}
		checkProject(t, p)
	})
}

func checkError(t *testing.T, err error) {
	if errors.Is(err, ErrNoProject) {
		return
	}
	var list Errors
	if !errors.As(err, &list) || len(list) == 0 {
		t.Fatalf("error %T %v is neither ErrNoProject nor a non-empty Errors", err, err)
	}
	if !sort.SliceIsSorted(list, func(i, j int) bool { return list[i].Line < list[j].Line }) {
		t.Fatalf("errors not sorted by line:\n%v", err)
	}
	for _, e := range list {
		if e.File != "slsx.yaml" || e.Msg == "" || e.Line < 0 {
			t.Fatalf("malformed error %+v", e)
		}
	}
}

func checkProject(t *testing.T, p *Project) {
	names := func(n int, name func(int) string) {
		for i := 1; i < n; i++ {
			if name(i-1) >= name(i) {
				t.Fatalf("names not sorted and unique: %q, %q", name(i-1), name(i))
			}
		}
	}
	names(len(p.Functions), func(i int) string { return p.Functions[i].Name })
	names(len(p.APIs), func(i int) string { return p.APIs[i].Name })
	names(len(p.Topics), func(i int) string { return p.Topics[i].Name })
	names(len(p.Tables), func(i int) string { return p.Tables[i].Name })

	apis := map[string]*API{}
	for _, a := range p.APIs {
		apis[a.Name] = a
	}
	for _, fn := range p.Functions {
		if !functionNameRE.MatchString(fn.Name) {
			t.Fatalf("function name %q", fn.Name)
		}
		if !(fn.Handler == "." || strings.HasPrefix(fn.Handler, "./")) || strings.Contains("/"+fn.Handler+"/", "/../") {
			t.Fatalf("handler %q", fn.Handler)
		}
		if fn.MemoryMB < 128 || fn.MemoryMB > 10240 || fn.Timeout < time.Second || fn.Timeout > 900*time.Second ||
			fn.Concurrency < 0 || fn.Concurrency > MaxConcurrency {
			t.Fatalf("function out of range: %+v", fn)
		}
		for _, r := range fn.Routes {
			a := apis[r.API]
			if a == nil || r.Function != fn.Name {
				t.Fatalf("route %+v has no API or the wrong function", r)
			}
			if r.Authorizer != "" && a.Authorizers[r.Authorizer] == nil {
				t.Fatalf("route %+v: authorizer missing", r)
			}
			if r.Path != "$default" && checkRoutePath(r.Path) != "" {
				t.Fatalf("route %+v: bad path", r)
			}
		}
	}
	for _, a := range p.APIs {
		for _, r := range a.Routes {
			if r.API != a.Name || p.Function(r.Function) == nil {
				t.Fatalf("API %s route %+v dangles", a.Name, r)
			}
		}
		for _, z := range a.Authorizers {
			if p.Function(z.Function) == nil {
				t.Fatalf("authorizer %+v dangles", z)
			}
		}
	}
	topics := map[string]bool{}
	for _, tp := range p.Topics {
		topics[tp.Name] = true
		if checkTopicName(tp.Name, tp.Fifo) != "" {
			t.Fatalf("topic %+v", tp)
		}
	}
	for _, s := range p.Subscriptions {
		if !topics[s.Topic] || (s.Protocol == "lambda" && p.Function(s.Endpoint) == nil) {
			t.Fatalf("subscription %+v dangles", s)
		}
	}
	tables := map[string]*Table{}
	for _, tb := range p.Tables {
		tables[tb.Name] = tb
	}
	for _, tr := range p.StreamTriggers {
		if tb := tables[tr.Table]; tb == nil || tb.StreamView == "" || p.Function(tr.Function) == nil {
			t.Fatalf("trigger %+v dangles", tr)
		}
	}
}
