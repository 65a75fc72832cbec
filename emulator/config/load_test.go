package config

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

func TestFull(t *testing.T) {
	data, err := os.ReadFile("testdata/full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse("/proj", "slsx.yaml", data)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}

	r := func(api, method, path, fn, auth string) *Route {
		return &Route{API: api, Method: method, Path: path, Function: fn, Authorizer: auth}
	}
	var (
		adminReports = r("admin", "GET", "/reports", "admin", "")
		adminDefault = r("default", "", "$default", "admin", "")
		usersFiles   = r("default", "ANY", "/files/{proxy+}", "users", "")
		usersStats   = r("default", "GET", "/stats", "users", "")
		usersDelete  = r("default", "DELETE", "/users/{id}", "users", "auth")
		usersGet     = r("default", "GET", "/users/{id}", "users", "")
		usersPost    = r("legacy", "POST", "/users", "users", "")
	)
	paid := json.RawMessage(`{"kind":["paid"]}`)
	want := &Project{
		Dir: "/proj", File: "/proj/slsx.yaml", Name: "shop", Region: "us-east-1", Runtime: "process",
		Functions: []*Function{
			{Name: "admin", Handler: "./functions/admin", MemoryMB: 128, Timeout: 30 * time.Second, Concurrency: 10,
				Architecture: "x86_64", Routes: []*Route{adminReports, adminDefault}},
			{Name: "authz", Handler: "./functions/authz", MemoryMB: 128, Timeout: 3 * time.Second, Concurrency: 10,
				Architecture: "x86_64"},
			{Name: "users", Handler: "./functions/users", MemoryMB: 256, Timeout: 10 * time.Second, Concurrency: 5,
				Architecture: "x86_64", Runtime: "docker", Image: "public.ecr.aws/lambda/provided:al2023",
				Environment: map[string]string{"TABLE": "users", "PORT": "8080"},
				Routes:      []*Route{usersFiles, usersStats, usersDelete, usersGet, usersPost}},
		},
		APIs: []*API{
			{Name: "admin", Type: "http", Payload: "1.0", BasePath: "/admin", Stage: "$default",
				Routes: []*Route{adminReports}},
			{Name: "default", Type: "http", Payload: "2.0", Stage: "$default",
				CORS: &CORS{AllowOrigins: []string{"*"}, AllowMethods: []string{"GET", "POST"},
					AllowHeaders: []string{"content-type"}, ExposeHeaders: []string{}, MaxAge: 300},
				Authorizers: map[string]*Authorizer{"auth": {Name: "auth", Function: "authz",
					IdentitySource: []string{"$request.header.Authorization"}, TTL: 300 * time.Second,
					SimpleResponses: true, PayloadVersion: "2.0"}},
				Routes: []*Route{adminDefault, usersFiles, usersStats, usersDelete, usersGet}},
			{Name: "legacy", Type: "rest", Payload: "1.0", Port: 3001, Stage: "dev",
				StageVariables: map[string]string{"a": "b"}, Routes: []*Route{usersPost}},
		},
		Topics: []*Topic{
			{Name: "audit"},
			{Name: "orders", Attributes: map[string]string{"DisplayName": "Orders"}},
			{Name: "payments.fifo", Fifo: true, ContentBasedDeduplication: true},
		},
		Tables: []*Table{
			{Name: "orders", HashKey: KeyAttr{"orderId", "S"}, StreamView: "NEW_IMAGE", BillingMode: "PAY_PER_REQUEST"},
			{Name: "users", HashKey: KeyAttr{"id", "S"}, RangeKey: &KeyAttr{"sk", "S"},
				GSIs: []*Index{{Name: "byEmail", HashKey: KeyAttr{"email", "S"}, RangeKey: &KeyAttr{"created", "N"},
					Projection: "INCLUDE", NonKeyAttributes: []string{"phone"}}},
				LSIs: []*Index{{Name: "byDate", HashKey: KeyAttr{"id", "S"}, RangeKey: &KeyAttr{"created", "N"},
					Projection: "KEYS_ONLY"}},
				StreamView: "NEW_AND_OLD_IMAGES", TTLAttribute: "expiresAt", BillingMode: "PAY_PER_REQUEST",
				Seed: "seed/users.json"},
		},
		Subscriptions: []*Subscription{
			{Topic: "audit", Protocol: "lambda", Endpoint: "users"},
			{Topic: "orders", Protocol: "lambda", Endpoint: "users", FilterPolicy: paid, FilterPolicyScope: "MessageAttributes"},
			{Topic: "audit", Protocol: "lambda", Endpoint: "admin"},
			{Topic: "orders", Protocol: "https", Endpoint: "https://example.com/hook", FilterPolicy: paid,
				FilterPolicyScope: "MessageAttributes", RawMessageDelivery: true},
			{Topic: "orders", Protocol: "lambda", Endpoint: "admin",
				FilterPolicy: json.RawMessage(`{"total":[{"numeric":[">",100]}]}`), FilterPolicyScope: "MessageBody"},
		},
		StreamTriggers: []*StreamTrigger{
			{Table: "users", Function: "users", BatchSize: 100, StartingPosition: "LATEST", MaximumRetryAttempts: -1,
				ReportBatchItemFailures: true, Enabled: true},
			{Table: "orders", Function: "admin", BatchSize: 100, StartingPosition: "LATEST", MaximumRetryAttempts: -1,
				Enabled: true},
		},
	}
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", "  ")
		w, _ := json.MarshalIndent(want, "", "  ")
		t.Errorf("Parse(full.yaml) differs\n got: %s\nwant: %s", g, w)
	}
	// The same route values are shared by the API and the function.
	if got.APIs[1].Routes[0] != got.Functions[0].Routes[1] {
		t.Error("API and function do not share the route value")
	}
}

func TestDefaults(t *testing.T) {
	src := "functions:\n  hello:\n    handler: .\n    events: [{http: GET /}]\n"
	p, err := Parse("/work/my-app", "/work/my-app/slsx.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	route := &Route{API: "default", Method: "GET", Path: "/", Function: "hello"}
	want := &Project{
		Dir: "/work/my-app", File: "/work/my-app/slsx.yaml", Name: "my-app", Region: "us-east-1", Runtime: "process",
		Functions: []*Function{{Name: "hello", Handler: ".", MemoryMB: DefaultMemoryMB, Timeout: DefaultTimeout,
			Concurrency: DefaultConcurrency, Architecture: "x86_64", Routes: []*Route{route}}},
		APIs: []*API{{Name: "default", Type: "http", Payload: "2.0", Stage: "$default", Routes: []*Route{route}}},
	}
	if !reflect.DeepEqual(p, want) {
		g, _ := json.MarshalIndent(p, "", "  ")
		t.Errorf("got %s", g)
	}
}

func TestAPIDefaults(t *testing.T) {
	src := `
apis:
  old: {type: rest, authorizers: {a: {function: f}}}
  new: {port: 3001, authorizers: {a: {function: f}}}
functions:
  f: {handler: ./f}
`
	p, err := Parse("/proj", "slsx.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := []*API{
		{Name: "new", Type: "http", Payload: "2.0", Stage: "$default", Port: 3001, Authorizers: map[string]*Authorizer{
			"a": {Name: "a", Function: "f", IdentitySource: []string{"$request.header.Authorization"}, PayloadVersion: "2.0"}}},
		{Name: "old", Type: "rest", Payload: "1.0", Stage: "dev", Authorizers: map[string]*Authorizer{
			"a": {Name: "a", Function: "f", IdentitySource: []string{"method.request.header.Authorization"},
				TTL: 300 * time.Second, PayloadVersion: "1.0"}}},
	}
	if !reflect.DeepEqual(p.APIs, want) {
		g, _ := json.MarshalIndent(p.APIs, "", "  ")
		t.Errorf("got %s", g)
	}
}

func TestMergeKeysAndAliases(t *testing.T) {
	src := `
x-common: &common {memory: 512, timeout: 20s, environment: {STAGE: local}}
functions:
  a: {<<: *common, handler: ./a}
  b:
    <<: *common
    handler: ./b
    memory: 1024
`
	// x-common is not a project field: aliases work, but unknown keys stay errors.
	_, err := Parse("/proj", "slsx.yaml", []byte(src))
	if err == nil || err.Error() != "slsx.yaml:2: x-common: unknown field; use one of name, region, runtime, apis, functions, topics, subscriptions, tables" {
		t.Fatalf("err = %v", err)
	}
	src = `
functions:
  a: &common {handler: ./a, memory: 512, timeout: 20s, environment: {STAGE: local}}
  b:
    <<: *common
    handler: ./b
    memory: 1024
  c: *common
`
	p, err := Parse("/proj", "slsx.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		handler string
		mem     int
		timeout time.Duration
		stage   string
	}
	var got []row
	for _, f := range p.Functions {
		got = append(got, row{f.Handler, f.MemoryMB, f.Timeout, f.Environment["STAGE"]})
	}
	want := []row{{"./a", 512, 20 * time.Second, "local"}, {"./b", 1024, 20 * time.Second, "local"}, {"./a", 512, 20 * time.Second, "local"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestLoad(t *testing.T) {
	t.Run("yml", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "slsx.yml"), "functions: {f: {handler: ./f}}\n")
		p, err := Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		if p.Dir != dir || p.File != filepath.Join(dir, "slsx.yml") || p.Name != filepath.Base(dir) {
			t.Errorf("Dir %q File %q Name %q", p.Dir, p.File, p.Name)
		}
	})
	t.Run("yaml wins over yml", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "slsx.yml"), "name: from-yml\n")
		writeFile(t, filepath.Join(dir, "slsx.yaml"), "name: from-yaml\n")
		p, err := Load(dir)
		if err != nil || p.Name != "from-yaml" {
			t.Fatalf("p %+v err %v", p, err)
		}
	})
	t.Run("relative dir becomes absolute", func(t *testing.T) {
		p, err := Load("testdata/project")
		if err != nil {
			t.Fatal(err)
		}
		abs, _ := filepath.Abs("testdata/project")
		if p.Dir != abs || !filepath.IsAbs(p.File) {
			t.Errorf("Dir %q File %q", p.Dir, p.File)
		}
	})
	t.Run("missing", func(t *testing.T) {
		dir := t.TempDir()
		_, err := Load(dir)
		if !errors.Is(err, ErrNoProject) {
			t.Fatalf("err = %v, want ErrNoProject", err)
		}
		if want := "no slsx.yaml in " + dir + "; run slsx init or pass --dir"; err.Error() != want {
			t.Errorf("err = %q, want %q", err, want)
		}
	})
	for name, content := range map[string]string{"empty": "", "comments only": "# nothing yet\n", "null": "~\n"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "slsx.yaml"), content)
			_, err := Load(dir)
			if !errors.Is(err, ErrNoProject) {
				t.Fatalf("err = %v, want ErrNoProject", err)
			}
			if want := "slsx.yaml in " + dir + " is empty; run slsx init or pass --dir"; err.Error() != want {
				t.Errorf("err = %q, want %q", err, want)
			}
		})
	}
	t.Run("errors are a list", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "slsx.yaml"), "functions:\n  f: {handler: /abs, memory: 1}\n")
		_, err := Load(dir)
		var list Errors
		if !errors.As(err, &list) || len(list) != 2 {
			t.Fatalf("err = %v", err)
		}
		if list[0].File != "slsx.yaml" || list[0].Line != 2 || list[0].Path != "functions.f.handler" {
			t.Errorf("first = %+v", list[0])
		}
	})
}

func writeFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestClosest(t *testing.T) {
	allowed := []string{"handler", "memory", "timeout", "concurrency", "environment", "events"}
	for _, tc := range []struct{ in, want string }{
		{"memroy", "memory"},
		{"Memory", "memory"},
		{"timeot", "timeout"},
		{"enviroment", "environment"},
		{"concurency", "concurrency"},
		{"handlr", "handler"},
		{"event", "events"},
		{"zzz", ""},
		{"x", ""},
		{"architecture", ""},
	} {
		if got := closest(tc.in, allowed); got != tc.want {
			t.Errorf("closest(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"a", "", 1}, {"", "abc", 3}, {"memroy", "memory", 1}, {"kitten", "sitting", 3},
		{"abc", "abc", 0}, {"ab", "ba", 1}, {"héllo", "hello", 1},
	} {
		if got := editDistance(tc.a, tc.b); got != tc.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestNoImpliedDefaultAPI(t *testing.T) {
	src := "apis:\n  legacy: {type: rest}\nfunctions:\n  f:\n    handler: ./f\n    events: [{http: {method: GET, path: /, api: legacy}}]\n"
	p, err := Parse("/proj", "slsx.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.APIs) != 1 || p.APIs[0].Name != "legacy" || len(p.APIs[0].Routes) != 1 {
		t.Errorf("APIs = %+v; want only legacy with its route", p.APIs)
	}
}

func BenchmarkParseFull(b *testing.B) {
	data, err := os.ReadFile("testdata/full.yaml")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse("/proj", "slsx.yaml", data); err != nil {
			b.Fatal(err)
		}
	}
}
