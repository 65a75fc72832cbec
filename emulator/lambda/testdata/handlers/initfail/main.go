// initfail dies during Init, before lambda.Start.
package main

import (
	"log"

	"github.com/aws/aws-lambda-go/lambda"
)

func init() { log.Fatal("init failed: DATABASE_URL is not set") }

func main() { lambda.Start(func() (string, error) { return "unreachable", nil }) }
