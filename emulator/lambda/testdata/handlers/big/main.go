// big returns a response larger than Lambda's 6 MB limit, or the size
// asked for in {"bytes":N}.
package main

import (
	"strings"

	"github.com/aws/aws-lambda-go/lambda"
)

type in struct {
	Bytes int `json:"bytes"`
}

func handler(ev in) (string, error) {
	n := ev.Bytes
	if n == 0 {
		n = 7 << 20
	}
	return strings.Repeat("x", n), nil
}

func main() { lambda.Start(handler) }
