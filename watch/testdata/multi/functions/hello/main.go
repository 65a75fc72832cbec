package main

import (
	"context"
	_ "embed"

	"example.com/multi/internal/shared"
	"github.com/aws/aws-lambda-go/lambda"
)

//go:embed banner.txt
var banner string

func handle(ctx context.Context, in map[string]any) (string, error) {
	return banner + shared.Greeting("hello"), nil
}

func main() { lambda.Start(handle) }
