package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/slsx/slsx/templates"
)

type initOptions struct {
	Dir      string
	Template string
	List     bool
}

func init() { extraCommands = append(extraCommands, newInitCmd) }

func newInitCmd(s streams) *cobra.Command {
	opts := initOptions{Dir: ".", Template: templates.Default}
	cmd := &cobra.Command{
		Use:   "init [DIR]",
		Short: "Create a new project from a template",
		Long: `Writes a ready-to-run project into DIR (default: the current directory):
its own go.mod and go.sum, an slsx.yaml, Go handlers with tests and a README.
The Go module is named after the directory. Existing files are never
overwritten: if any would be, nothing is written.`,
		Example: `  slsx init shop
  slsx init orders --template sns-fanout
  slsx init --list`,
		Args: usageArgs(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Dir = args[0]
			}
			return runInit(cmd.Context(), s, opts)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.Template, "template", "t", opts.Template, "template to use (see --list)")
	f.BoolVar(&opts.List, "list", false, "list the templates and exit")
	return cmd
}

func runInit(_ context.Context, s streams, opts initOptions) error {
	if opts.List {
		w := tabwriter.NewWriter(s.Out, 0, 0, 2, ' ', 0)
		for _, t := range templates.List() {
			fmt.Fprintf(w, "%s\t%s\n", t.Name, t.Description)
		}
		return w.Flush()
	}
	abs, err := filepath.Abs(opts.Dir)
	if err != nil {
		return fmt.Errorf("resolve directory: %w", err)
	}
	name := filepath.Base(abs)
	files, err := templates.Render(opts.Template, templates.Vars{Name: projectName(name), Module: moduleName(name)})
	if err != nil {
		return usageError{err}
	}
	var existing []string
	for _, f := range files {
		if _, err := os.Lstat(filepath.Join(abs, filepath.FromSlash(f.Path))); err == nil {
			existing = append(existing, f.Path)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("check %s: %w", f.Path, err)
		}
	}
	if len(existing) > 0 {
		return fmt.Errorf("%s already has %s; nothing was written. Choose an empty directory or remove them",
			opts.Dir, strings.Join(existing, ", "))
	}
	for _, f := range files {
		p := filepath.Join(abs, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("create %s: %w", filepath.Dir(f.Path), err)
		}
		// O_EXCL: a file that appeared since the check is still not overwritten.
		fh, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return fmt.Errorf("write %s: %w", f.Path, err)
		}
		_, err = fh.Write(f.Data)
		if cerr := fh.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("write %s: %w", f.Path, err)
		}
		fmt.Fprintf(s.Err, "  created %s\n", f.Path)
	}
	cd := ""
	if opts.Dir != "." {
		cd = "cd " + opts.Dir + " && "
	}
	fmt.Fprintf(s.Out, "Created %s from template %s. Next:\n  %sslsx dev\n  %sgo test ./...\n", name, opts.Template, cd, cd)
	return nil
}

var (
	moduleUnsafe  = regexp.MustCompile(`[^a-z0-9._~-]+`)
	projectUnsafe = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)
)

// moduleName makes a Go module path from a directory name: lower case,
// other characters replaced by '-'.
func moduleName(dir string) string {
	m := strings.Trim(moduleUnsafe.ReplaceAllString(strings.ToLower(dir), "-"), "-.")
	if m == "" {
		return "app"
	}
	return m
}

// projectName makes an slsx.yaml project name (letters, digits, '.', '-'
// and '_', starting with a letter or digit, at most 64).
func projectName(dir string) string {
	n := strings.TrimLeft(projectUnsafe.ReplaceAllString(dir, "-"), "-._")
	if len(n) > 64 {
		n = n[:64]
	}
	if n == "" {
		return "app"
	}
	return n
}

// usageArgs makes a wrong number of arguments a usage error (exit 2).
func usageArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return usageError{err}
		}
		return nil
	}
}
