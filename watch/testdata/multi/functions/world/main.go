package main

import (
	"context"

	"example.com/multi/internal/shared"
	"github.com/aws/aws-lambda-go/lambda"
)

func handle(ctx context.Context, in map[string]any) (string, error) {
	return shared.Greeting("world"), nil
}

func main() { lambda.Start(handle) }
