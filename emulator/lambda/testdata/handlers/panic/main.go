// panic panics in the handler.
package main

import "github.com/aws/aws-lambda-go/lambda"

func handler() (string, error) { panic("boom") }

func main() { lambda.Start(handler) }
