package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
)

// Exit codes: failures 1, usage errors 2.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// usageError marks errors caused by how slsx was called.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

// exitError carries a specific exit code with an already-printed (or empty)
// message, e.g. a function error from `slsx invoke`.
type exitError struct {
	code int
	msg  string
}

func (e exitError) Error() string { return e.msg }

// streams are the command's standard streams, swappable in tests.
type streams struct {
	In       io.Reader
	Out, Err io.Writer
}

// Main runs slsx with args and returns the process exit code. All errors
// become messages and exit codes here.
func Main(args []string) int {
	return run(args, streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})
}

func run(args []string, s streams) int {
	ctx, stop := interruptContext(s.Err)
	defer stop()
	root := newRootCmd(s)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return exitOK
	}
	var ee exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintln(s.Err, "slsx:", ee.msg)
		}
		return ee.code
	}
	fmt.Fprintln(s.Err, "slsx:", err)
	var ue usageError
	if errors.As(err, &ue) || isFlagError(err) {
		fmt.Fprintf(s.Err, "Run '%s --help' for usage.\n", cmd.CommandPath())
		return exitUsage
	}
	return exitFailure
}

func isFlagError(err error) bool {
	var fe flagError
	// cobra reports an unknown subcommand as a plain error.
	return errors.As(err, &fe) || strings.HasPrefix(err.Error(), "unknown command ")
}

type flagError struct{ error }

func newRootCmd(s streams) *cobra.Command {
	root := &cobra.Command{
		Use:   "slsx",
		Short: "AWS serverless on your laptop, for Go",
		Long: `slsx runs API Gateway, Lambda, SNS and DynamoDB locally for Go handlers
written with aws-lambda-go. It builds your functions, serves them, rebuilds
them the moment you save, and shows every invocation live.

  slsx dev                           build, serve, watch and show the dashboard
  slsx invoke users --event e.json   run one function once, no server needed
  slsx serve                         the AWS APIs alone (DynamoDB, SNS, Lambda)

Handlers reach the emulated services with no code change: slsx sets
AWS_ENDPOINT_URL and dummy credentials in every function's environment.`,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetIn(s.In)
	root.SetOut(s.Out)
	root.SetErr(s.Err)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return flagError{err} })
	root.AddCommand(newVersionCmd(s))
	for _, add := range extraCommands {
		root.AddCommand(add(s))
	}
	markArgErrors(root)
	return root
}

// markArgErrors makes a wrong number of arguments a usage error (exit 2)
// for every command, like a bad flag.
func markArgErrors(cmd *cobra.Command) {
	if check := cmd.Args; check != nil {
		cmd.Args = func(c *cobra.Command, args []string) error {
			if err := check(c, args); err != nil {
				return usageError{err}
			}
			return nil
		}
	}
	for _, sub := range cmd.Commands() {
		markArgErrors(sub)
	}
}

// extraCommands lets each command file register itself, keeping root.go
// free of the list.
var extraCommands []func(streams) *cobra.Command

// interruptContext returns a context cancelled by the first SIGINT/SIGTERM.
// A second signal, or 3 s without exit after the first, forces exit.
func interruptContext(errw io.Writer) (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case <-ch:
		case <-done:
			return
		}
		cancel()
		select {
		case <-ch:
			fmt.Fprintln(errw, "slsx: forced exit")
		case <-time.After(forceExitAfter):
			fmt.Fprintln(errw, "slsx: shutdown took too long; forced exit")
		case <-done:
			return
		}
		os.Exit(130)
	}()
	return ctx, func() { signal.Stop(ch); close(done); cancel() }
}

// forceExitAfter bounds a graceful shutdown: environments get SIGKILL well
// before this, so 3 s means something is stuck.
const forceExitAfter = 3 * time.Second
