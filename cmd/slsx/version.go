package main

import (
	"encoding/json"
	"fmt"

	"github.com/slsx/slsx/internal/version"
	"github.com/spf13/cobra"
)

type versionOptions struct{ JSON bool }

func newVersionCmd(s streams) *cobra.Command {
	var opts versionOptions
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the slsx version, commit and Go version",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return runVersion(s, opts) },
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print as JSON")
	return cmd
}

func runVersion(s streams, opts versionOptions) error {
	v := version.Get()
	if opts.JSON {
		enc := json.NewEncoder(s.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	_, err := fmt.Fprintf(s.Out, "slsx %s\ncommit: %s\nbuilt:  %s\ngo:     %s %s\n", v.Version, v.Commit, v.Date, v.GoVersion, v.Platform)
	return err
}
