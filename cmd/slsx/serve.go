package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"github.com/slsx/slsx/emulator"
	"github.com/slsx/slsx/emulator/config"
	"github.com/slsx/slsx/emulator/telemetry"
	"github.com/slsx/slsx/watch"
)

type serveOptions struct {
	Host      string
	AWSPort   int
	Port      int
	DataDir   string
	InMemory  bool
	Project   string   // optional project directory whose functions are served too
	Overrides []string // SAM parameter overrides, with Project
	Quiet     bool
}

func init() { extraCommands = append(extraCommands, newServeCmd) }

func newServeCmd(s streams) *cobra.Command {
	opts := serveOptions{Host: "127.0.0.1", AWSPort: config.DefaultAWSPort, Port: config.DefaultAPIPort, DataDir: ".slsx/data"}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the AWS APIs (DynamoDB, SNS, Lambda) without a project",
		Long: `Serves DynamoDB, DynamoDB Streams, SNS and the Lambda API on one port,
in the foreground, until Ctrl-C — the way people run DynamoDB Local.
Point any SDK or the AWS CLI at it with --endpoint-url.

With --project DIR the project's functions, APIs, tables and topics are
served too (built first when their code changed), without watching.`,
		Example: `  slsx serve --in-memory
  aws dynamodb list-tables --endpoint-url http://127.0.0.1:4566`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runServe(cmd.Context(), s, opts) },
	}
	f := cmd.Flags()
	f.StringVar(&opts.Host, "host", opts.Host, "interface to listen on")
	f.IntVar(&opts.AWSPort, "aws-port", opts.AWSPort, "AWS APIs port")
	f.IntVarP(&opts.Port, "port", "p", opts.Port, "HTTP API port (with --project)")
	f.StringVar(&opts.DataDir, "data-dir", opts.DataDir, "where tables and topics persist")
	f.BoolVar(&opts.InMemory, "in-memory", false, "keep nothing on disk")
	f.StringVar(&opts.Project, "project", "", "also serve this project's functions and APIs")
	f.StringArrayVar(&opts.Overrides, "parameter-overrides", nil, "SAM template parameters, Key=Value (repeatable; with --project)")
	f.BoolVarP(&opts.Quiet, "quiet", "q", false, "print nothing but errors")
	return cmd
}

func runServe(ctx context.Context, s streams, opts serveOptions) error {
	var p *config.Project
	if opts.Project == "" && len(opts.Overrides) > 0 {
		return usageError{errors.New("--parameter-overrides needs --project: it sets the parameters of the project's SAM template")}
	}
	if opts.Project != "" {
		var err error
		if p, err = loadProject(opts.Project, opts.Overrides, s.Err); err != nil {
			return err
		}
	}
	dataDir := opts.DataDir
	if opts.InMemory {
		dataDir = ""
	}
	bus := telemetry.New()
	logger := slog.New(slog.NewTextHandler(s.Err, &slog.HandlerOptions{Level: slog.LevelWarn}))
	stack, err := emulator.New(emulator.Options{Project: p, Host: opts.Host, APIPort: opts.Port, AWSPort: opts.AWSPort, DataDir: dataDir, Bus: bus, Logger: logger})
	if err != nil {
		return portError(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	printed := make(chan struct{})
	events := bus.Subscribe(runCtx)
	go func() {
		defer close(printed)
		if opts.Quiet {
			for range events {
			}
			return
		}
		printEvents(runCtx, s.Out, events)
	}()
	defer func() {
		closeCtx, done := context.WithTimeout(context.Background(), 2*time.Second)
		defer done()
		stack.Close(closeCtx)
	}()
	if err := stack.Start(runCtx); err != nil {
		fmt.Fprintln(s.Err, "slsx:", err)
	}
	if p != nil {
		b := watch.NewBuilder(p.Dir, watch.BuildOptions{Bus: bus, Log: logger})
		for _, r := range b.Ensure(runCtx, p.Functions, "serve") {
			if r.Err != nil {
				fmt.Fprintf(s.Err, "slsx: build %s failed:\n%s\n", r.Function, indent(r.Output))
				continue
			}
			if err := stack.Deploy(p.Function(r.Function), r.Dir, r.Generation); err != nil {
				fmt.Fprintf(s.Err, "slsx: deploy %s: %v\n", r.Function, err)
			}
		}
	}
	if !opts.Quiet {
		where := "in memory"
		if dataDir != "" {
			where = "data in " + dataDir
		}
		fmt.Fprintf(s.Out, "slsx serve: DynamoDB, DynamoDB Streams, SNS and Lambda on %s (%s)\n", stack.AWSURL(), where)
		for _, ep := range stack.APIEndpoints() {
			fmt.Fprintf(s.Out, "  API %s: %s\n", ep.API, ep.URL)
		}
	}
	select {
	case <-ctx.Done():
	case <-stack.Done():
	}
	cancel()
	<-printed
	return nil
}
