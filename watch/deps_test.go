package watch

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"
)

func TestGraphAffected(t *testing.T) {
	dir := copyFixture(t, "multi")
	writeFile(t, filepath.Join(dir, "internal/unused/unused.go"), "package unused\n")
	g, err := LoadGraph(context.Background(), "go", dir, "linux/amd64", nil, []string{"./functions/hello", "./functions/world"})
	if err != nil {
		t.Fatal(err)
	}
	both := []string{"./functions/hello", "./functions/world"}
	tests := []struct {
		file string
		want []string
	}{
		{"functions/hello/main.go", []string{"./functions/hello"}},
		{"functions/world/main.go", []string{"./functions/world"}},
		{"functions/hello/banner.txt", []string{"./functions/hello"}}, // //go:embed
		{"internal/shared/shared.go", both},
		{"internal/shared/new.go", both}, // a file added to a shared package
		{"go.mod", both},
		{"go.sum", both},
		{"functions/hello/main_test.go", nil},
		{"internal/unused/unused.go", nil},
		{"README.md", nil},
		{"functions/world/notes.txt", nil}, // not embedded
		{"slsx.yaml", nil},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got := g.Affected(filepath.Join(dir, tt.file))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Affected = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestGraphStaleAndChanged(t *testing.T) {
	dir := copyFixture(t, "multi")
	handlers := []string{"./functions/hello", "./functions/world"}
	g, err := LoadGraph(context.Background(), "go", dir, "linux/amd64", nil, handlers)
	if err != nil {
		t.Fatal(err)
	}
	shared := filepath.Join(dir, "internal/shared/shared.go")
	orig := readFile(t, shared)
	tests := []struct {
		name  string
		file  string
		edit  string
		stale bool
	}{
		{"body edit", shared, orig + "\nfunc Other() {}\n", false},
		{"new import", shared, "package shared\n\nimport \"strings\"\n\nvar _ = strings.ToUpper\n", true},
		{"new embed", shared, "package shared\n\nimport _ \"embed\"\n\n//go:embed x.txt\nvar x string\n", true},
		{"go.mod", filepath.Join(dir, "go.mod"), readFile(t, filepath.Join(dir, "go.mod")), true},
		{"new go file", filepath.Join(dir, "functions/world/extra.go"), "package main\n", true},
		{"new embeddable", filepath.Join(dir, "functions/hello/other.txt"), "x", false},
		{"readme", filepath.Join(dir, "README.md"), "x", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			writeFile(t, tt.file, tt.edit)
			if got := g.Stale(tt.file); got != tt.stale {
				t.Errorf("Stale = %v, want %v", got, tt.stale)
			}
			if tt.file != filepath.Join(dir, "go.mod") {
				if got := g.Changed(handlers); got != tt.stale {
					t.Errorf("Changed = %v, want %v", got, tt.stale)
				}
			}
			writeFile(t, shared, orig)
			if tt.file != shared {
				_ = removeFile(tt.file)
			}
		})
	}
}

func TestGraphBrokenImport(t *testing.T) {
	dir := copyFixture(t, "multi")
	writeFile(t, filepath.Join(dir, "functions/world/main.go"), `package main

import (
	"example.com/multi/internal/later"
	"github.com/aws/aws-lambda-go/lambda"
)

func main() { lambda.Start(later.Handle) }
`)
	g, err := LoadGraph(context.Background(), "go", dir, "linux/amd64", nil, []string{"./functions/hello", "./functions/world"})
	if err != nil {
		t.Fatal(err)
	}
	if !g.Broken("./functions/world") || g.Broken("./functions/hello") {
		t.Errorf("Broken: world %v hello %v", g.Broken("./functions/world"), g.Broken("./functions/hello"))
	}
	// Creating the missing package rebuilds the function that wants it.
	got := g.Affected(filepath.Join(dir, "internal/later/later.go"))
	if !reflect.DeepEqual(got, []string{"./functions/world"}) {
		t.Errorf("Affected = %v", got)
	}
}

func TestHandlerArg(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"./functions/users", "./functions/users", true},
		{"functions/users/", "./functions/users", true},
		{".", ".", true},
		{"./a/../b", "./b", true},
		{"..", "", false},
		{"../x", "", false},
		{"/etc", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, err := handlerArg(dir, tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("handlerArg(%q) = %q, %v; want %q ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestEmbedMatch(t *testing.T) {
	tests := []struct {
		patterns []string
		rel      string
		want     bool
	}{
		{[]string{"banner.txt"}, "banner.txt", true},
		{[]string{"static"}, "static/css/a.css", true},
		{[]string{"all:static"}, "static/.hidden", true},
		{[]string{"*.html"}, "index.html", true},
		{[]string{"*.html"}, "sub/index.html", false},
		{[]string{`"with space.txt"`}, "with space.txt", true},
		{[]string{"templates/*.tmpl"}, "templates/a.tmpl", true},
		{[]string{"templates/*.tmpl"}, "other/a.tmpl", false},
	}
	for _, tt := range tests {
		if got := embedMatch(tt.patterns, tt.rel); got != tt.want {
			t.Errorf("embedMatch(%v, %q) = %v, want %v", tt.patterns, tt.rel, got, tt.want)
		}
	}
}
