package watch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"

	"github.com/slsx/slsx/emulator/config"
)

// Package is one package of a Graph, as `go list -deps -json` reports it.
type Package struct {
	ImportPath string
	Dir        string   // absolute
	Local      bool     // the project's own code (main or workspace module, or a replace to a directory)
	Files      []string // absolute: Go files that are compiled plus embedded files
	Deps       []string // import paths of every package it depends on, transitively
	Embeds     []string // //go:embed patterns, relative to Dir
	Broken     bool     // go list reported an error (missing import, syntax error...)

	known map[string]bool // base names of every .go file go list saw in Dir, compiled or not
}

// Graph maps the packages of a set of handlers (for one target) to the
// handlers that depend on them. It is built from one `go list -deps -json`
// run over every handler, so shared packages are listed once.
type Graph struct {
	Dir    string              // project directory, absolute
	Target string              // the graph was listed for this GOOS/GOARCH
	Roots  map[string]string   // handler (as in config, cleaned to "./x") -> import path
	All    []string            // every handler listed, resolved or not
	Pkgs   map[string]*Package // by import path
	// imports is each local Go file's import list and embed directives, to
	// notice when a save changes the graph itself.
	imports map[string]string
	byFile  map[string][]*Package // absolute file -> packages listing it
	byDir   map[string]*Package   // absolute dir -> local package in it
}

// listPackage is the part of `go list -json` output the graph reads.
type listPackage struct {
	ImportPath     string
	Dir            string
	Standard       bool
	DepOnly        bool
	GoFiles        []string
	CgoFiles       []string
	EmbedFiles     []string
	EmbedPatterns  []string
	IgnoredGoFiles []string
	TestGoFiles    []string
	XTestGoFiles   []string
	Deps           []string
	Incomplete     bool
	Error          *struct{ Err string }
	DepsErrors     []*struct{ Err string }
	Module         *struct {
		Path    string
		Main    bool
		Replace *struct {
			Path    string
			Version string
		}
	}
}

// handlerArg turns a configured handler into the package argument for the
// go command, refusing paths that leave the project directory.
func handlerArg(projectDir, handler string) (string, error) {
	if handler == "" {
		return "", errors.New("handler is empty; set it to the function's main package, e.g. ./functions/users")
	}
	if filepath.IsAbs(handler) {
		return "", fmt.Errorf("handler %q must be relative to the project directory", handler)
	}
	abs := filepath.Join(projectDir, handler)
	rel, err := filepath.Rel(projectDir, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("handler %q is outside the project directory %s", handler, projectDir)
	}
	// A symlink inside the project may point outside it.
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		realRoot, err := filepath.EvalSymlinks(projectDir)
		if err == nil {
			r, err := filepath.Rel(realRoot, real)
			if err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
				return "", fmt.Errorf("handler %q resolves to %s, outside the project directory", handler, real)
			}
		}
	}
	if rel == "." {
		return ".", nil
	}
	return "./" + filepath.ToSlash(rel), nil
}

// goarch maps a function's Architecture to GOARCH.
func goarch(arch string) string {
	if arch == "arm64" {
		return "arm64"
	}
	return "amd64"
}

// LambdaTarget is what Lambda runs: Linux on the function's architecture.
// Functions in containers are built for it.
func LambdaTarget(fn *config.Function) string { return "linux/" + goarch(fn.Architecture) }

// HostTarget is the machine slsx runs on: functions run as its processes
// are built for it, whatever their architecture (an arm64 function on an
// amd64 laptop runs natively, as does any function on macOS or Windows).
func HostTarget(*config.Function) string { return runtime.GOOS + "/" + runtime.GOARCH }

// LoadGraph runs `go list -e -deps -json` once over handlers (already
// checked by handlerArg) for target (GOOS/GOARCH) in projectDir.
func LoadGraph(ctx context.Context, goCmd, projectDir, target string, env []string, handlers []string) (*Graph, error) {
	if len(handlers) == 0 {
		return &Graph{Dir: projectDir, Target: target, Roots: map[string]string{}, Pkgs: map[string]*Package{},
			imports: map[string]string{}, byFile: map[string][]*Package{}, byDir: map[string]*Package{}}, nil
	}
	args := append([]string{"list", "-e", "-deps", "-json", "-tags", "lambda.norpc"}, handlers...)
	cmd := exec.CommandContext(ctx, goCmd, args...)
	cmd.Dir = projectDir
	cmd.Env = buildEnv(env, target)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list %s: %w\n%s", strings.Join(handlers, " "), err, stderr.String())
	}
	g := &Graph{Dir: projectDir, Target: target, Roots: map[string]string{}, Pkgs: map[string]*Package{}, All: handlers,
		imports: map[string]string{}, byFile: map[string][]*Package{}, byDir: map[string]*Package{}}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var lp listPackage
		if err := dec.Decode(&lp); err == io.EOF {
			break
		} else if err != nil {
			return nil, fmt.Errorf("decode go list output: %w", err)
		}
		p := &Package{
			ImportPath: lp.ImportPath,
			Dir:        lp.Dir,
			Deps:       lp.Deps,
			Embeds:     lp.EmbedPatterns,
			Broken:     lp.Error != nil || len(lp.DepsErrors) > 0,
			known:      map[string]bool{},
		}
		if !lp.Standard && lp.Module != nil && (lp.Module.Main || (lp.Module.Replace != nil && lp.Module.Replace.Version == "")) {
			p.Local = true
		}
		if !lp.Standard && lp.Module == nil && lp.Dir != "" && within(projectDir, lp.Dir) {
			p.Local = true // GOPATH-less packages inside the project (e.g. a broken go.mod)
		}
		for _, list := range [][]string{lp.GoFiles, lp.CgoFiles, lp.EmbedFiles} {
			for _, f := range list {
				p.Files = append(p.Files, filepath.Join(lp.Dir, f))
			}
		}
		for _, list := range [][]string{lp.GoFiles, lp.CgoFiles, lp.IgnoredGoFiles, lp.TestGoFiles, lp.XTestGoFiles} {
			for _, f := range list {
				p.known[f] = true
			}
		}
		g.Pkgs[p.ImportPath] = p
		if p.Local {
			for _, f := range p.Files {
				g.byFile[f] = append(g.byFile[f], p)
				if strings.HasSuffix(f, ".go") {
					g.imports[f] = fileSignature(f)
				}
			}
			if p.Dir != "" {
				g.byDir[p.Dir] = p
			}
		}
		if !lp.DepOnly && lp.Dir != "" {
			for _, h := range handlers {
				if filepath.Join(projectDir, filepath.FromSlash(h)) == lp.Dir {
					g.Roots[h] = p.ImportPath
				}
			}
		}
	}
	return g, nil
}

// fileSignature is what of a Go file shapes the package graph: its package
// clause, imports and //go:embed lines. "" when it cannot be read.
func fileSignature(file string) string {
	src, err := os.ReadFile(file)
	if err != nil {
		return ""
	}
	f, err := parser.ParseFile(token.NewFileSet(), file, src, parser.ImportsOnly|parser.ParseComments)
	var b strings.Builder
	if err != nil || f == nil {
		b.WriteString("!unparsable")
	} else {
		b.WriteString(f.Name.Name)
		for _, im := range f.Imports {
			b.WriteString(" " + im.Path.Value)
		}
	}
	// Build constraints and embeds live in comments.
	for _, line := range bytes.Split(src, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if bytes.HasPrefix(line, []byte("//go:embed")) || bytes.HasPrefix(line, []byte("//go:build")) {
			b.WriteString("|" + string(line))
		}
	}
	return b.String()
}

// deps returns the import path set of a handler: its package and everything
// it imports.
func (g *Graph) deps(handler string) map[string]bool {
	root, ok := g.Roots[handler]
	if !ok {
		return nil
	}
	set := map[string]bool{root: true}
	if p := g.Pkgs[root]; p != nil {
		for _, d := range p.Deps {
			set[d] = true
		}
	}
	return set
}

// Inputs lists the local files a handler's binary is built from (Go files,
// embedded files, go.mod/go.sum/go.work) and the local package directories
// whose listing matters. Module-cache packages are immutable and covered by
// go.sum; the standard library by the Go version.
func (g *Graph) Inputs(handler string) (files, dirs []string) {
	for ip := range g.deps(handler) {
		p := g.Pkgs[ip]
		if p == nil || !p.Local {
			continue
		}
		files = append(files, p.Files...)
		if p.Dir != "" {
			dirs = append(dirs, p.Dir)
		}
	}
	for _, name := range []string{"go.mod", "go.sum", "go.work", "go.work.sum"} {
		files = append(files, filepath.Join(g.Dir, name))
	}
	sort.Strings(files)
	sort.Strings(dirs)
	return files, dirs
}

// Broken reports whether go list could not resolve the handler's packages;
// then any new Go file may be the missing one.
func (g *Graph) Broken(handler string) bool {
	if _, ok := g.Roots[handler]; !ok {
		return true
	}
	for ip := range g.deps(handler) {
		if p := g.Pkgs[ip]; p == nil || p.Broken {
			return true
		}
	}
	return false
}

// Stale reports whether a changed file may have changed the graph itself, so
// it must be listed again: module files, a Go file whose imports, package or
// embeds changed, a Go file appearing in or leaving a package directory, or a
// file matching an embed pattern.
func (g *Graph) Stale(file string) bool {
	base := filepath.Base(file)
	switch base {
	case "go.mod", "go.sum", "go.work", "go.work.sum":
		return true
	}
	if strings.HasSuffix(base, ".go") {
		if sig, ok := g.imports[file]; ok {
			return fileSignature(file) != sig
		}
		if p := g.byDir[filepath.Dir(file)]; p != nil {
			if p.known[base] {
				return false // a test file or one excluded by build constraints
			}
			return true // a new file in a package
		}
		return false
	}
	if p := g.embedOwner(file); p != nil {
		for _, f := range p.Files {
			if f == file {
				return false // content only
			}
		}
		return true // a new file an embed pattern may match
	}
	return false
}

// embedOwner returns the local package whose //go:embed patterns match file.
func (g *Graph) embedOwner(file string) *Package {
	for dir := filepath.Dir(file); within(g.Dir, dir); dir = filepath.Dir(dir) {
		if p := g.byDir[dir]; p != nil && len(p.Embeds) > 0 {
			rel, err := filepath.Rel(dir, file)
			if err != nil {
				return nil
			}
			if embedMatch(p.Embeds, filepath.ToSlash(rel)) {
				return p
			}
		}
		if dir == g.Dir {
			break
		}
	}
	return nil
}

// embedMatch reports whether rel (slash separated, relative to the package)
// is matched by an embed pattern, either directly or through a matched
// parent directory (which embeds everything below it).
func embedMatch(patterns []string, rel string) bool {
	for _, pat := range patterns {
		pat = strings.TrimPrefix(pat, "all:")
		if u, err := strconv.Unquote(pat); err == nil {
			pat = u
		}
		for p := rel; p != "." && p != ""; p = path.Dir(p) {
			if ok, _ := path.Match(pat, p); ok {
				return true
			}
		}
	}
	return false
}

// Affected returns the handlers whose binaries depend on file.
func (g *Graph) Affected(file string) []string {
	var pkgs []*Package
	base := filepath.Base(file)
	switch base {
	case "go.mod", "go.sum", "go.work", "go.work.sum":
		if filepath.Dir(file) == g.Dir {
			return g.handlers(nil)
		}
	}
	if strings.HasSuffix(base, ".go") && !strings.HasSuffix(base, "_test.go") {
		if p := g.byDir[filepath.Dir(file)]; p != nil {
			pkgs = append(pkgs, p)
		} else {
			// A Go file outside every known package: it matters only to a
			// handler whose imports could not be resolved yet.
			var out []string
			for _, h := range g.All {
				if g.Broken(h) {
					out = append(out, h)
				}
			}
			sort.Strings(out)
			return out
		}
	} else {
		pkgs = append(pkgs, g.byFile[file]...)
		if p := g.embedOwner(file); p != nil {
			pkgs = append(pkgs, p)
		}
	}
	if len(pkgs) == 0 {
		return nil
	}
	return g.handlers(pkgs)
}

// handlers returns the sorted handlers that depend on any of pkgs (all
// handlers when pkgs is nil).
func (g *Graph) handlers(pkgs []*Package) []string {
	var out []string
	for _, h := range g.All {
		if pkgs == nil {
			out = append(out, h)
			continue
		}
		deps := g.deps(h)
		for _, p := range pkgs {
			if deps[p.ImportPath] {
				out = append(out, h)
				break
			}
		}
	}
	sort.Strings(out)
	return out
}

// within reports whether p is root or below it.
func within(root, p string) bool {
	rel, err := filepath.Rel(root, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// Changed reports whether the handlers' local packages no longer match the
// graph: a Go file's imports, package clause, build constraints or embeds
// changed, or a Go file appeared or vanished. It parses imports only, so it
// is cheap enough to run before every build.
func (g *Graph) Changed(handlers []string) bool {
	seen := map[string]bool{}
	for _, h := range handlers {
		if g.Broken(h) {
			return true
		}
		for ip := range g.deps(h) {
			p := g.Pkgs[ip]
			if p == nil || !p.Local || seen[ip] {
				continue
			}
			seen[ip] = true
			for _, f := range p.Files {
				if sig, ok := g.imports[f]; ok && fileSignature(f) != sig {
					return true
				}
			}
			entries, err := os.ReadDir(p.Dir)
			if err != nil {
				return true
			}
			n := 0
			for _, e := range entries {
				name := e.Name()
				if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
					continue
				}
				if !p.known[name] {
					return true
				}
				n++
			}
			if n != len(p.known) {
				return true
			}
		}
	}
	return false
}
