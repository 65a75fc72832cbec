// initerror is a minimal custom runtime (no aws-lambda-go) that reports
// an Init failure through POST /runtime/init/error, as other runtimes do.
package main

import (
	"net/http"
	"os"
	"strings"
	"time"
)

func main() {
	api := "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/2018-06-01/runtime/init/error"
	body := `{"errorMessage":"cannot load config","errorType":"Runtime.ConfigError"}`
	req, _ := http.NewRequest(http.MethodPost, api, strings.NewReader(body))
	req.Header.Set("Lambda-Runtime-Function-Error-Type", "Runtime.ConfigError")
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}
	time.Sleep(time.Hour) // Lambda resets the environment; wait to be killed
}
