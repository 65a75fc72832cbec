// Package templates holds the project scaffolds `slsx init` writes: each
// folder is a complete project (its own go.mod and go.sum, slsx.yaml, Go
// handlers with tests, README). Go files are stored with a .tmpl suffix so
// they are not part of the slsx module; "gitignore" becomes ".gitignore".
package templates

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

//go:embed http-dynamodb sns-fanout stream-processor
var files embed.FS

// Template is one scaffold.
type Template struct {
	Name        string
	Description string
}

// Default is the template `slsx init` uses without --template.
const Default = "http-dynamodb"

var all = []Template{
	{"http-dynamodb", "HTTP API with DynamoDB CRUD (GET/POST/PUT/DELETE /items)"},
	{"sns-fanout", "HTTP endpoint publishing to an SNS topic, two subscribers, one with a filter policy"},
	{"stream-processor", "DynamoDB table whose stream updates per-status totals, with partial batch failures"},
}

// List returns the templates, sorted by name.
func List() []Template {
	out := append([]Template(nil), all...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Vars fill a template's placeholders.
type Vars struct {
	Name   string // project name, written as __NAME__
	Module string // Go module path, written as __MODULE__
}

// File is one file of a rendered project.
type File struct {
	Path string // slash-separated, relative to the project directory
	Data []byte
}

// Render returns the files of the named template with vars filled in,
// sorted by path.
func Render(name string, vars Vars) ([]File, error) {
	known := false
	var names []string
	for _, t := range all {
		known = known || t.Name == name
		names = append(names, t.Name)
	}
	if !known {
		return nil, fmt.Errorf("no template %q; choose one of %s", name, strings.Join(names, ", "))
	}
	r := strings.NewReplacer("__NAME__", vars.Name, "__MODULE__", vars.Module)
	var out []File
	err := fs.WalkDir(files, name, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		rel := strings.TrimSuffix(strings.TrimPrefix(p, name+"/"), ".tmpl")
		if path.Base(rel) == "gitignore" {
			rel = path.Join(path.Dir(rel), ".gitignore")
		}
		out = append(out, File{Path: rel, Data: []byte(r.Replace(string(data)))})
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, err
}
