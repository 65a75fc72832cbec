package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/slsx/slsx/templates/events"
)

type eventsOptions struct {
	Kind string
	events.Options
}

func init() { extraCommands = append(extraCommands, newEventsCmd) }

func newEventsCmd(s streams) *cobra.Command {
	root := &cobra.Command{
		Use:   "events",
		Short: "Work with sample Lambda events",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	var opts eventsOptions
	gen := &cobra.Command{
		Use:   "generate " + strings.Join(events.Kinds, "|"),
		Short: "Print a sample event as JSON, ready for slsx invoke --event -",
		Long: `Prints the event a function receives from API Gateway (HTTP API payload 2.0
or REST API payload 1.0), SNS or DynamoDB Streams, built with aws-lambda-go's
own types. Unset fields get the values AWS would send.`,
		Example: `  slsx events generate apigw-http --method POST --path /items --body '{"name":"tea"}' | slsx invoke items --event -
  slsx events generate apigw-rest --route '/users/{id}' --path /users/42 -H 'Authorization: secret'
  slsx events generate sns --topic orders --message '{"id":"o-1"}' --attribute size=large
  slsx events generate dynamodb-stream --table orders --keys '{"id":"o-1"}' --new-image '{"id":"o-1","total":3}'`,
		Args:      usageArgs(cobra.ExactArgs(1)),
		ValidArgs: events.Kinds,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Kind = args[0]
			return runEventsGenerate(cmd.Context(), s, opts)
		},
	}
	f := gen.Flags()
	f.StringVarP(&opts.Method, "method", "X", "", "apigw: HTTP method (default GET)")
	f.StringVar(&opts.Path, "path", "", "apigw: request path, may include ?query (default /)")
	f.StringVar(&opts.Route, "route", "", "apigw: route template such as '/users/{id}' or 'GET /users/{id}'; sets path parameters")
	f.StringVar(&opts.Body, "body", "", "apigw: request body")
	f.StringArrayVarP(&opts.Headers, "header", "H", nil, "apigw: header 'Name: value' (repeatable)")
	f.StringVar(&opts.Query, "query", "", "apigw: query string, e.g. 'a=1&b=2'")
	f.StringVar(&opts.Stage, "stage", "", "apigw-rest: stage name (default Prod)")
	f.StringVar(&opts.Topic, "topic", "", "sns: topic name or ARN (default topic)")
	f.StringVar(&opts.Message, "message", "", "sns: message (default {})")
	f.StringVar(&opts.Subject, "subject", "", "sns: subject")
	f.StringArrayVar(&opts.Attributes, "attribute", nil, "sns: String message attribute name=value (repeatable)")
	f.StringVar(&opts.Table, "table", "", "dynamodb-stream: table name (default table)")
	f.StringVar(&opts.Keys, "keys", "", `dynamodb-stream: key attributes as JSON, plain ({"id":"1"}) or DynamoDB JSON`)
	f.StringVar(&opts.NewImage, "new-image", "", "dynamodb-stream: item after the change, JSON")
	f.StringVar(&opts.OldImage, "old-image", "", "dynamodb-stream: item before the change, JSON")
	f.StringVar(&opts.EventName, "event-name", "", "dynamodb-stream: INSERT, MODIFY or REMOVE (default from the images given)")
	f.StringVar(&opts.View, "view", "", "dynamodb-stream: stream view type (default NEW_AND_OLD_IMAGES)")
	root.AddCommand(gen)
	return root
}

func runEventsGenerate(_ context.Context, s streams, opts eventsOptions) error {
	b, err := events.Generate(opts.Kind, opts.Options)
	if err != nil {
		return usageError{err}
	}
	_, err = fmt.Fprintf(s.Out, "%s\n", b)
	return err
}
