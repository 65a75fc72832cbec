package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slsx/slsx/emulator/config"
	"github.com/slsx/slsx/templates"
)

func testStreams() (streams, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	return streams{In: strings.NewReader(""), Out: &out, Err: &errb}, &out, &errb
}

// TestInitTemplates generates every template, then checks that the
// project loads, vets and passes its own tests.
func TestInitTemplates(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and tests generated projects")
	}
	t.Setenv("GOFLAGS", "-mod=mod")
	for _, tpl := range templates.List() {
		t.Run(tpl.Name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "My Shop")
			s, out, _ := testStreams()
			if err := runInit(context.Background(), s, initOptions{Dir: dir, Template: tpl.Name}); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out.String(), "slsx dev") {
				t.Errorf("output = %q", out)
			}
			gomod, _ := os.ReadFile(filepath.Join(dir, "go.mod"))
			if !strings.HasPrefix(string(gomod), "module my-shop\n") {
				t.Errorf("go.mod starts %q", gomod[:30])
			}
			p, err := config.Load(dir)
			if err != nil {
				t.Fatalf("generated slsx.yaml: %v", err)
			}
			if p.Name != "My-Shop" || len(p.Functions) == 0 {
				t.Errorf("project %q with %d functions", p.Name, len(p.Functions))
			}
			for _, args := range [][]string{{"vet", "./..."}, {"test", "./..."}} {
				cmd := exec.Command("go", args...)
				cmd.Dir = dir
				if b, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, b)
				}
			}
		})
	}
}

// TestInitInvoke proves a generated project serves: a sample event from
// `slsx events generate` goes through `slsx invoke`.
func TestInitInvoke(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a function")
	}
	t.Setenv("GOFLAGS", "-mod=mod")
	dir := filepath.Join(t.TempDir(), "shop")
	s, _, _ := testStreams()
	if err := runInit(context.Background(), s, initOptions{Dir: dir, Template: "http-dynamodb"}); err != nil {
		t.Fatal(err)
	}
	s, out, _ := testStreams()
	err := runEventsGenerate(context.Background(), s, eventsOptions{Kind: "apigw-http",
		Options: eventsOpts("POST", "/items", "not json")})
	if err != nil {
		t.Fatal(err)
	}
	s, resp, errb := testStreams()
	s.In = out
	// The handler rejects the body before any DynamoDB call, so no server is needed.
	if err := runInvoke(context.Background(), s, invokeOptions{Function: "items", Dir: dir, Event: "-", AWSPort: 1}); err != nil {
		t.Fatalf("invoke: %v\n%s", err, errb)
	}
	var r struct {
		StatusCode int    `json:"statusCode"`
		Body       string `json:"body"`
	}
	if err := json.Unmarshal(resp.Bytes(), &r); err != nil || r.StatusCode != 400 || !strings.Contains(r.Body, "body must be JSON") {
		t.Errorf("response = %s (%v)", resp, err)
	}
}

func TestInitRefusesToOverwrite(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "README.md"), []byte("mine"), 0o644)
	os.WriteFile(filepath.Join(dir, "slsx.yaml"), []byte("mine"), 0o644)
	var out, errb bytes.Buffer
	code := run([]string{"init", dir, "--template", "sns-fanout"}, streams{In: strings.NewReader(""), Out: &out, Err: &errb})
	if code != exitFailure {
		t.Fatalf("exit %d, want 1", code)
	}
	if want := "already has README.md, slsx.yaml; nothing was written"; !strings.Contains(errb.String(), want) {
		t.Errorf("stderr = %q, want %q", errb.String(), want)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("%d entries in dir; nothing should have been written", len(entries))
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "README.md")); string(b) != "mine" {
		t.Error("README.md was overwritten")
	}
}

func TestInitFlags(t *testing.T) {
	tests := []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"init", "--list"}, 0, "sns-fanout        HTTP endpoint publishing to an SNS topic"},
		{[]string{"init", "--template", "nope", t.TempDir()}, 2, `no template "nope"; choose one of http-dynamodb, sns-fanout, stream-processor`},
		{[]string{"init", "a", "b"}, 2, "accepts at most 1 arg(s), received 2"},
	}
	for _, tt := range tests {
		var out bytes.Buffer
		code := run(tt.args, streams{In: strings.NewReader(""), Out: &out, Err: &out})
		if code != tt.code || !strings.Contains(out.String(), tt.out) {
			t.Errorf("%v: exit %d, output %q; want %d containing %q", tt.args, code, out.String(), tt.code, tt.out)
		}
	}
}

func TestModuleAndProjectName(t *testing.T) {
	tests := []struct{ dir, module, project string }{
		{"shop", "shop", "shop"},
		{"My Shop", "my-shop", "My-Shop"},
		{"_x", "_x", "x"},
		{"日本", "app", "app"},
	}
	for _, tt := range tests {
		if m, p := moduleName(tt.dir), projectName(tt.dir); m != tt.module || p != tt.project {
			t.Errorf("%q: module %q project %q; want %q %q", tt.dir, m, p, tt.module, tt.project)
		}
	}
}
