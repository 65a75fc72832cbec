// hanginit never finishes Init.
package main

import (
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

func init() { time.Sleep(time.Hour) }

func main() { lambda.Start(func() (string, error) { return "unreachable", nil }) }
