// Package sam loads an AWS SAM template (template.yaml) into the same
// project model as slsx.yaml, so a SAM project runs under slsx unchanged.
//
// Intrinsic functions (Ref, Fn::GetAtt, Fn::Sub, Fn::Join, Fn::If with
// Conditions, Fn::FindInMap, ...) are resolved by goformation's processor
// (github.com/awslabs/goformation/v7/intrinsics) with parameter overrides;
// slsx supplies Ref, Fn::GetAtt and Fn::Sub so that they name the local
// resources: a table's Ref is its TableName (the logical id when it has
// none), a topic's Ref its ARN arn:aws:sns:us-east-1:000000000000:<name>,
// a function's Ref its FunctionName or logical id.
//
// APIs. Api events without RestApiId go to the implicit REST API
// "ServerlessRestApi" (stage Prod), HttpApi events without ApiId to the
// implicit HTTP API "ServerlessHttpApi" ($default stage), as on AWS. REST
// APIs are served under their stage, as on AWS (https://.../Prod/hello):
// unlike `sam local start-api`, which drops the stage, so the same URLs
// work locally and deployed. slsx serves one API per port and path, so
// the first API in the order ServerlessRestApi, ServerlessHttpApi, then
// declared APIs by logical id, gets the main API port and every further
// API the next port: 3001, 3002, ... (paths of two APIs may collide, and
// sharing one port would hide one of them).
//
// Anything slsx does not run is reported once per resource and property as
// a Warning and left out; the rest of the template still loads. Properties
// with no local meaning (IAM Policies and Role, Tags, Description, Tracing,
// provisioned throughput, encryption) are ignored silently.
package sam

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/slsx/slsx/emulator/awsapi"
	"github.com/slsx/slsx/emulator/config"
)

// FileNames are the template names Load looks for, in order.
var FileNames = []string{"template.yaml", "template.yml"}

// Warning is a part of the template slsx does not run; it was left out.
type Warning struct {
	File string // as shown to the user, e.g. "template.yaml"
	Path string // e.g. "MyFunc.Properties.Layers"
	Msg  string
}

func (w Warning) String() string {
	if w.Path == "" {
		return w.File + ": " + w.Msg
	}
	return w.File + ": " + w.Path + ": " + w.Msg
}

// Load reads template.yaml (or template.yml) in dir. overrides set
// template parameters by name, like `sam deploy --parameter-overrides`.
// A missing template is an error wrapping config.ErrNoProject; problems
// in the template are returned as config.Errors.
func Load(dir string, overrides map[string]string) (*config.Project, []Warning, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("resolve project directory: %w", err)
	}
	for _, name := range FileNames {
		file := filepath.Join(abs, name)
		data, err := os.ReadFile(file)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("read template: %w", err)
		}
		return Parse(abs, file, data, overrides)
	}
	return nil, nil, &noTemplateError{fmt.Sprintf("no template.yaml in %s; run slsx init or pass --dir", abs)}
}

// LoadProject is Load with the warnings as printable lines.
func LoadProject(dir string, overrides map[string]string) (*config.Project, []string, error) {
	p, ws, err := Load(dir, overrides)
	var lines []string
	for _, w := range ws {
		lines = append(lines, w.String())
	}
	return p, lines, err
}

type noTemplateError struct{ msg string }

func (e *noTemplateError) Error() string        { return e.msg }
func (e *noTemplateError) Is(target error) bool { return target == config.ErrNoProject }

// Parse loads the template data, read from file, for the project in dir.
func Parse(dir, file string, data []byte, overrides map[string]string) (*config.Project, []Warning, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("resolve project directory: %w", err)
	}
	if !filepath.IsAbs(file) {
		file = filepath.Join(dir, file)
	}
	shown := file
	if rel, err := filepath.Rel(dir, file); err == nil && !strings.HasPrefix(rel, "..") {
		shown = rel
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, nil, config.Errors{syntaxError(shown, err)}
	}
	d := &decoder{file: shown}
	v, err := d.value(&root, 0)
	if err != nil {
		return nil, nil, config.Errors{err.(*config.Error)}
	}
	tmpl, ok := v.(map[string]any)
	if !ok {
		if v == nil {
			return nil, nil, &noTemplateError{fmt.Sprintf("%s in %s is empty; run slsx init or pass --dir", shown, dir)}
		}
		return nil, nil, config.Errors{{File: shown, Line: 1, Msg: "a template is a mapping with Resources; got " + describe(v)}}
	}
	id := awsapi.DefaultIdentity()
	l := &loader{
		file: shown, root: &root, seen: map[string]bool{},
		p: &config.Project{Dir: dir, File: file, Name: filepath.Base(dir), Region: id.Region, Runtime: "process"},
	}
	l.r = &resolver{region: id.Region, account: id.Account, stack: l.p.Name, types: map[string]string{}}
	l.load(tmpl, overrides)
	if len(l.errs) > 0 {
		sort.SliceStable(l.errs, func(i, j int) bool { return l.errs[i].Line < l.errs[j].Line })
		return nil, l.warns, l.errs
	}
	return l.p, l.warns, nil
}

func syntaxError(file string, err error) *config.Error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	var line int
	if n, _ := fmt.Sscanf(msg, "line %d:", &line); n == 1 {
		_, msg, _ = strings.Cut(msg, ": ")
	}
	return &config.Error{File: file, Line: line, Msg: "invalid YAML: " + msg}
}
