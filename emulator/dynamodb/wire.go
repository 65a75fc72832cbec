package dynamodb

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"hash/crc32"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/slsx/slsx/emulator/awsapi"
)

// maxBody is DynamoDB's request size limit (16 MB); larger bodies get 413.
const maxBody = 16 << 20

// gzipThreshold is the response size above which slsx compresses when the
// client accepts gzip, like DynamoDB (about 4 KB).
const gzipThreshold = 4096

// Wire namespaces of DynamoDB's error types.
const (
	nsDynamo   = "com.amazonaws.dynamodb.v20120810#"
	nsCoral    = "com.amazon.coral.service#"
	nsValidate = "com.amazon.coral.validate#"
)

const (
	targetDynamo  = "DynamoDB_20120810."
	targetStreams = "DynamoDBStreams_20120810."
)

// call is one decoded request as an operation sees it.
type call struct {
	body    []byte
	traceID string
	host    string
}

// opFunc runs one operation and returns the JSON response body.
type opFunc func(s *Service, c *call) ([]byte, error)

func errType(code string) string {
	switch code {
	case "ValidationException":
		return nsValidate + code
	case "SerializationException", "UnknownOperationException", "MissingAuthenticationTokenException",
		"IncompleteSignatureException", "InvalidSignatureException", "UnrecognizedClientException", "AccessDeniedException":
		return nsCoral + code
	}
	return nsDynamo + code
}

// capitalMessage lists the errors whose service model names the member
// "Message" rather than "message".
var capitalMessage = map[string]bool{
	"TransactionCanceledException":         true,
	"IdempotentParameterMismatchException": true,
	"TransactionInProgressException":       true,
}

type handler struct {
	s      *Service
	prefix string
	ops    map[string]opFunc
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := awsapi.RequestID()
	ct := r.Header.Get("Content-Type")
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	ct = strings.TrimSpace(strings.ToLower(ct))
	respCT := "application/x-amz-json-1.0"
	if ct == "application/json" {
		respCT = "application/json"
	}
	if r.Method != http.MethodPost || (r.ContentLength != 0 && ct != "" && ct != "application/x-amz-json-1.0" && ct != "application/json") {
		w.Header().Set("x-amzn-RequestId", reqID)
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, "<UnknownOperationException/>\n")
		return
	}
	body, err := readBody(r)
	if err != nil {
		h.writeErr(w, r, reqID, respCT, awsapi.Errorf(400, "SerializationException", "%s", "could not read the request body"))
		return
	}
	if len(body) > maxBody {
		w.Header().Set("x-amzn-RequestId", reqID)
		w.WriteHeader(http.StatusRequestEntityTooLarge)
		return
	}
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	target := r.Header.Get("X-Amz-Target")
	op, ok := h.ops[strings.TrimPrefix(target, h.prefix)]
	known := ok && strings.HasPrefix(target, h.prefix)
	// Bad JSON is reported before an unknown operation. For a known
	// operation the validity check is left to decode (encoding/json
	// validates before it decodes), which saves a pass over every body.
	if bytes.TrimSpace(body)[0] != '{' || (!known && !json.Valid(body)) {
		h.writeErr(w, r, reqID, respCT, &awsapi.Error{Status: 400, Code: "SerializationException"})
		return
	}
	if !known {
		h.writeErr(w, r, reqID, respCT, &awsapi.Error{Status: 400, Code: "UnknownOperationException"})
		return
	}
	c := &call{body: body, traceID: r.Header.Get("X-Amzn-Trace-Id"), host: r.Host}
	out, err := h.run(op, c)
	if err != nil {
		h.writeErr(w, r, reqID, respCT, err)
		return
	}
	writeBody(w, r, reqID, respCT, http.StatusOK, out)
}

// run calls op and turns a panic into an InternalServerError, so malformed
// input can never take the server down.
func (h *handler) run(op opFunc, c *call) (out []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			h.s.log.Error("dynamodb operation panicked", "panic", p)
			out, err = nil, &awsapi.Error{Status: 500, Code: "InternalServerError", Message: "Internal server error"}
		}
	}()
	return op(h.s, c)
}

func (h *handler) writeErr(w http.ResponseWriter, r *http.Request, reqID, ct string, err error) {
	var ae *awsapi.Error
	if !errors.As(err, &ae) {
		var se *serializationError
		if errors.As(err, &se) {
			ae = &awsapi.Error{Status: 400, Code: "SerializationException", Message: se.msg}
		} else {
			h.s.log.Error("dynamodb internal error", slog.Any("err", err))
			ae = &awsapi.Error{Status: 500, Code: "InternalServerError", Message: "Internal server error"}
		}
	}
	status := ae.Status
	if status == 0 {
		status = 400
	}
	writeBody(w, r, reqID, ct, status, errorBody(ae))
}

func errorBody(ae *awsapi.Error) []byte {
	b := []byte(`{"__type":`)
	b = strconv.AppendQuote(b, errType(ae.Code))
	if ae.Message != "" {
		if capitalMessage[ae.Code] {
			b = append(b, `,"Message":`...)
		} else {
			b = append(b, `,"message":`...)
		}
		b = appendJSONString(b, ae.Message)
	}
	for k, v := range ae.Extra {
		b = append(b, ',')
		b = appendJSONString(b, k)
		b = append(b, ':')
		if raw, ok := v.(json.RawMessage); ok {
			b = append(b, raw...)
			continue
		}
		enc, _ := json.Marshal(v)
		b = append(b, enc...)
	}
	return append(b, '}')
}

// readBody reads a request body of up to maxBody+1 bytes (one more than
// allowed, so the caller can tell it is too large). A declared length is
// read into a buffer of exactly that size, sparing io.ReadAll's growing
// and copying on every request.
func readBody(r *http.Request) ([]byte, error) {
	if n := r.ContentLength; n > 0 && n <= maxBody {
		body := make([]byte, n)
		if _, err := io.ReadFull(r.Body, body); err != nil {
			return nil, err
		}
		return body, nil
	}
	return io.ReadAll(io.LimitReader(r.Body, maxBody+1))
}

// writeBody sends a response. Headers go straight into the map under the
// canonical keys Header.Set would use (the wire is the same), which saves
// canonicalising each name and one allocation per value on every call.
func writeBody(w http.ResponseWriter, r *http.Request, reqID, ct string, status int, body []byte) {
	hd := w.Header()
	vals := make([]string, 5)
	vals[0], vals[1] = ct, reqID
	hd["Content-Type"] = vals[0:1:1]
	hd["X-Amzn-Requestid"] = vals[1:2:2]
	if len(body) > gzipThreshold && strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		_, _ = zw.Write(body)
		_ = zw.Close()
		body = buf.Bytes()
		vals[2] = "gzip"
		hd["Content-Encoding"] = vals[2:3:3]
	}
	vals[3] = strconv.FormatUint(uint64(crc32.ChecksumIEEE(body)), 10)
	vals[4] = strconv.Itoa(len(body))
	hd["X-Amz-Crc32"] = vals[3:4:4]
	hd["Content-Length"] = vals[4:5:5]
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// appendJSONString appends s as a JSON string literal.
func appendJSONString(b []byte, s string) []byte {
	enc, _ := json.Marshal(s)
	return append(b, enc...)
}

// serializationError is a request member of the wrong JSON type.
type serializationError struct{ msg string }

func (e *serializationError) Error() string { return e.msg }

// decode unmarshals a request body into v, mapping JSON type errors to
// DynamoDB's SerializationException messages and passing through the
// ValidationExceptions raised by attribute-value decoding.
func decode(body []byte, v any) error {
	err := json.Unmarshal(body, v)
	if err == nil {
		return nil
	}
	var ae *awsapi.Error
	if errors.As(err, &ae) {
		return ae
	}
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return &awsapi.Error{Status: 400, Code: "SerializationException"}
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return &serializationError{msg: typeErrorMessage(te)}
	}
	return &serializationError{msg: err.Error()}
}

func typeErrorMessage(te *json.UnmarshalTypeError) string {
	from := strings.ToUpper(te.Value)
	switch te.Value {
	case "number", "number " + "":
		from = "NUMBER_VALUE"
	case "string":
		from = "STRING_VALUE"
	case "bool":
		from = "BOOLEAN_VALUE"
	case "array":
		return "Start of list found where not expected"
	case "object":
		return "Start of structure or map found where not expected"
	}
	if strings.HasPrefix(te.Value, "number") {
		from = "NUMBER_VALUE"
	}
	to := "String"
	if te.Type != nil {
		switch te.Type.Kind().String() {
		case "int", "int64", "int32":
			to = "Long"
		case "bool":
			to = "Boolean"
		case "float64":
			to = "Double"
		case "slice", "map", "struct":
			return "Unexpected field type"
		}
	}
	return from + " cannot be converted to " + to
}
