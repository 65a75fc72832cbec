// Command slow holds its environment until the file named by the request's
// X-Sentinel header exists (at most 20 s), so a test can keep it busy for
// exactly as long as it needs.
package main

import (
	"context"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

func handle(_ context.Context, event struct {
	Headers map[string]string `json:"headers"`
}) (map[string]any, error) {
	var sentinel string
	for k, v := range event.Headers {
		if strings.EqualFold(k, "x-sentinel") {
			sentinel = v
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for sentinel != "" && time.Now().Before(deadline) {
		if _, err := os.Stat(sentinel); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	return map[string]any{"statusCode": 200, "body": "released"}, nil
}

func main() { lambda.Start(handle) }
