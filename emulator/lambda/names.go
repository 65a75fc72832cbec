package lambda

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/slsx/slsx/emulator/awsapi"
)

// functionRef is a parsed FunctionName: a name, partial ARN or full ARN,
// each with an optional qualifier suffix.
type functionRef struct {
	Name      string
	Qualifier string
}

const namePattern = `(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_\.]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?`

// parseFunctionName accepts my-fn, my-fn:qual, 123456789012:function:my-fn[:qual]
// and arn:aws:lambda:region:account:function:my-fn[:qual].
func parseFunctionName(s string) (functionRef, *awsapi.Error) {
	invalid := func() (functionRef, *awsapi.Error) {
		return functionRef{}, awsapi.ValidationError("1 validation error detected: Value '%s' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", s, namePattern)
	}
	if s == "" || len(s) > 256 {
		if s == "" {
			return functionRef{}, awsapi.ValidationError("1 validation error detected: Value null at 'functionName' failed to satisfy constraint: Member must not be null")
		}
		return invalid()
	}
	parts := strings.Split(s, ":")
	var name, qual string
	hasQual := false
	switch {
	case strings.HasPrefix(s, "arn:"):
		// arn:aws:lambda:region:account:function:name[:qual]
		if len(parts) < 7 || len(parts) > 8 || parts[2] != "lambda" || parts[5] != "function" {
			return invalid()
		}
		name = parts[6]
		if len(parts) == 8 {
			qual, hasQual = parts[7], true
		}
	case len(parts) >= 3 && parts[1] == "function":
		if len(parts) > 4 {
			return invalid()
		}
		name = parts[2]
		if len(parts) == 4 {
			qual, hasQual = parts[3], true
		}
	default:
		if len(parts) > 2 {
			return invalid()
		}
		name = parts[0]
		if len(parts) == 2 {
			qual, hasQual = parts[1], true
		}
	}
	if !validName(name) || hasQual && !validQualifier(qual) {
		return invalid()
	}
	return functionRef{Name: name, Qualifier: qual}, nil
}

func validName(n string) bool {
	if n == "" || len(n) > 64 {
		return false
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func validQualifier(q string) bool {
	if q == "" || len(q) > 128 {
		return false
	}
	for i := 0; i < len(q); i++ {
		c := q[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '$') {
			return false
		}
	}
	return true
}

// resolveQualifier merges the qualifier from the name with the Qualifier
// parameter, as the Invoke API does.
func resolveQualifier(fromName, param string) (string, *awsapi.Error) {
	if param != "" && !validQualifier(param) {
		return "", awsapi.ValidationError("1 validation error detected: Value '%s' at 'qualifier' failed to satisfy constraint: Member must satisfy regular expression pattern: (|[a-zA-Z0-9$_-]+)", param)
	}
	switch {
	case fromName != "" && param != "" && fromName != param:
		return "", errInvalidParam("The derived qualifier from the function name does not match the specified qualifier.")
	case fromName != "":
		return fromName, nil
	}
	return param, nil
}

// newTraceID returns an X-Ray trace header for a request that carried none.
func newTraceID(now time.Time) string {
	var b [20]byte
	_, _ = rand.Read(b[:])
	return "Root=1-" + fmt.Sprintf("%08x", now.Unix()) + "-" + hex.EncodeToString(b[:12]) +
		";Parent=" + hex.EncodeToString(b[12:]) + ";Sampled=0"
}

func newTraceIDNow() string { return newTraceID(time.Now()) }

// logStreamName is AWS_LAMBDA_LOG_STREAM_NAME: 2020/03/27/[$LATEST]<32 hex>.
func logStreamName(now time.Time) string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return now.UTC().Format("2006/01/02") + "/[$LATEST]" + hex.EncodeToString(b[:])
}

// lastModified is FunctionConfiguration.LastModified's format.
func lastModified(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000-0700") }

func deadlineHeader(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }
