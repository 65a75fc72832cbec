package awsapi

import (
	"encoding/json"
	"net/http"
	"strings"
)

// Edge is the single AWS endpoint. It picks the service from, in order, the
// SigV4 credential scope, the X-Amz-Target header, and the path. A nil
// handler means the service is not running.
type Edge struct {
	DynamoDB http.Handler // JSON 1.0, X-Amz-Target DynamoDB_20120810.*
	Streams  http.Handler // JSON 1.0, X-Amz-Target DynamoDBStreams_20120810.*
	SNS      http.Handler // query protocol
	Lambda   http.Handler // REST-JSON under /2015-03-31/ and friends
	// Extra serves paths owned by slsx itself (SNS subscription
	// confirmation, signing certificate), matched by prefix.
	Extra map[string]http.Handler
}

// Service names as they appear in a SigV4 credential scope.
const (
	ServiceDynamoDB = "dynamodb"
	ServiceSNS      = "sns"
	ServiceLambda   = "lambda"
)

// ServeHTTP routes one request.
func (e *Edge) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h := e.route(r); h != nil {
		h.ServeHTTP(w, r)
		return
	}
	if r.Method == http.MethodGet && r.URL.Path == "/" {
		// Health answer: what DynamoDB Local and LocalStack users probe.
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"status": "running", "services": e.running()})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("x-amzn-RequestId", RequestID())
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(map[string]string{
		"__type":  "UnknownServiceException",
		"message": "slsx serves dynamodb, dynamodbstreams, sns and lambda on this port; the request named none of them",
	})
}

func (e *Edge) running() []string {
	var s []string
	for name, h := range map[string]http.Handler{"dynamodb": e.DynamoDB, "dynamodbstreams": e.Streams, "sns": e.SNS, "lambda": e.Lambda} {
		if h != nil {
			s = append(s, name)
		}
	}
	return s
}

func (e *Edge) route(r *http.Request) http.Handler {
	for prefix, h := range e.Extra {
		if strings.HasPrefix(r.URL.Path, prefix) {
			return h
		}
	}
	target := r.Header.Get("X-Amz-Target")
	switch {
	case strings.HasPrefix(target, "DynamoDBStreams_"):
		return e.Streams
	case strings.HasPrefix(target, "DynamoDB_"):
		return e.DynamoDB
	}
	switch CredentialScopeService(r.Header.Get("Authorization")) {
	case ServiceDynamoDB:
		return e.DynamoDB
	case "streams.dynamodb":
		return e.Streams
	case ServiceSNS:
		return e.SNS
	case ServiceLambda:
		return e.Lambda
	}
	if strings.HasPrefix(r.URL.Path, "/2015-03-31/") || strings.HasPrefix(r.URL.Path, "/2016-08-19/") ||
		strings.HasPrefix(r.URL.Path, "/2017-03-31/") || strings.HasPrefix(r.URL.Path, "/2018-10-31/") ||
		strings.HasPrefix(r.URL.Path, "/2019-09-30/") || strings.HasPrefix(r.URL.Path, "/2020-06-30/") ||
		strings.HasPrefix(r.URL.Path, "/2021-10-31/") {
		return e.Lambda
	}
	if r.Method == http.MethodPost && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		return e.SNS
	}
	return nil
}

// CredentialScopeService extracts the service from a SigV4 Authorization
// header ("AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/sns/aws4_request, ...").
// It runs on every request, so it scans instead of splitting.
func CredentialScopeService(auth string) string {
	i := strings.Index(auth, "Credential=")
	if i < 0 {
		return ""
	}
	cred := auth[i+len("Credential="):]
	if j := strings.IndexAny(cred, ", "); j >= 0 {
		cred = cred[:j]
	}
	// The scope is key/date/region/service/terminator (at least five
	// parts); the service is the fourth.
	start := 0
	for n := 0; n < 3; n++ {
		j := strings.IndexByte(cred[start:], '/')
		if j < 0 {
			return ""
		}
		start += j + 1
	}
	end := strings.IndexByte(cred[start:], '/')
	if end < 0 {
		return ""
	}
	return cred[start : start+end]
}
