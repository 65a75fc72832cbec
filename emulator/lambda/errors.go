package lambda

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/slsx/slsx/emulator/awsapi"
)

// Payload limits of the Invoke API and the Runtime API (bytes).
const (
	MaxSyncPayload     = 6291456 // 6 MB, RequestResponse request
	MaxAsyncPayload    = 1048576 // 1 MB, Event request
	MaxResponsePayload = 6291556 // 6 MiB + 100, what a runtime may post to /response
	maxClientContext   = 3583
)

// Platform error types (reference §5.6).
const (
	errTimedOut       = "Sandbox.Timedout"
	errExit           = "Runtime.ExitError"
	errResponseTooBig = "Function.ResponseSizeTooLarge"
	errEntrypoint     = "Runtime.InvalidEntrypoint"
	errUnknown        = "Runtime.Unknown"
)

// FunctionErrorUnhandled is the X-Amz-Function-Error value for every
// function error a provided runtime produces.
const FunctionErrorUnhandled = "Unhandled"

// platformError is the JSON document Lambda returns for errors it produces
// itself. Field order matches AWS's output.
func platformError(errType, msg string) []byte {
	b, _ := json.Marshal(struct {
		ErrorMessage string `json:"errorMessage"`
		ErrorType    string `json:"errorType"`
	}{msg, errType})
	return b
}

func errNotFound(id awsapi.Identity, name, qualifier string) *awsapi.Error {
	arn := id.ARN("lambda", "function:"+name)
	if qualifier != "" {
		arn += ":" + qualifier
	}
	return &awsapi.Error{Status: http.StatusNotFound, Code: "ResourceNotFoundException", Message: "Function not found: " + arn, Sender: true}
}

// Throttle reasons (TooManyRequestsException.Reason).
const (
	ReasonReserved = "ReservedFunctionConcurrentInvocationLimitExceeded"
	ReasonAccount  = "ConcurrentInvocationLimitExceeded"
)

func errThrottled(reason string) *awsapi.Error {
	return &awsapi.Error{Status: http.StatusTooManyRequests, Code: "TooManyRequestsException", Message: "Rate Exceeded.", Sender: true,
		Extra: map[string]any{"Reason": reason}}
}

func errSyncTooLarge() *awsapi.Error {
	return &awsapi.Error{Status: http.StatusRequestEntityTooLarge, Code: "RequestEntityTooLargeException", Sender: true,
		Message: "Request must be smaller than " + strconv.Itoa(MaxSyncPayload) + " bytes for the InvokeFunction operation"}
}

func errAsyncTooLarge(n int) *awsapi.Error {
	return &awsapi.Error{Status: http.StatusRequestEntityTooLarge, Code: "RequestEntityTooLargeException", Sender: true,
		Message: fmt.Sprintf("%d byte payload is too large for the Event invocation type (limit %d bytes)", n, MaxAsyncPayload)}
}

func errInvalidContent(format string, args ...any) *awsapi.Error {
	return awsapi.Errorf(http.StatusBadRequest, "InvalidRequestContentException", format, args...)
}

func errInvalidParam(format string, args ...any) *awsapi.Error {
	return awsapi.Errorf(http.StatusBadRequest, "InvalidParameterValueException", format, args...)
}

func errService(format string, args ...any) *awsapi.Error {
	return &awsapi.Error{Status: http.StatusInternalServerError, Code: "ServiceException", Message: fmt.Sprintf(format, args...)}
}

// writeError writes e in Lambda's REST-JSON error shape: the code in
// x-amzn-ErrorType, a body with Type and message. AWS spells the message
// key "Message" for ResourceNotFoundException and "message" elsewhere, and
// sends no Type on 413s; slsx copies that.
func writeError(w http.ResponseWriter, requestID string, e *awsapi.Error) {
	body := map[string]any{}
	for k, v := range e.Extra {
		body[k] = v
	}
	switch e.Code {
	case "ResourceNotFoundException":
		body["Message"] = e.Message
	default:
		body["message"] = e.Message
	}
	if e.Code != "RequestEntityTooLargeException" {
		if e.Sender || e.Status < 500 {
			body["Type"] = "User"
		} else {
			body["Type"] = "Service"
		}
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("x-amzn-RequestId", requestID)
	h.Set("x-amzn-ErrorType", e.Code)
	w.WriteHeader(e.Status)
	_ = json.NewEncoder(w).Encode(body)
}
