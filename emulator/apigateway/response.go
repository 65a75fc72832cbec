package apigateway

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// streamSeparator splits the JSON prelude from the raw body in responses of
// aws-lambda-go's streaming handlers
// (application/vnd.awslambda.http-integration-response).
var streamSeparator = []byte{0, 0, 0, 0, 0, 0, 0, 0}

// hopHeaders are set by the gateway itself; values from the function are
// dropped because a wrong Content-Length would corrupt the response.
func hopHeader(name string) bool {
	switch http.CanonicalHeaderKey(name) {
	case "Content-Length", "Transfer-Encoding", "Connection":
		return true
	}
	return false
}

// mapV2 turns a payload 2.0 function result into the HTTP response.
func mapV2(payload []byte) (*response, error) {
	if prelude, body, ok := splitStreaming(payload); ok {
		resp, err := mapV2Explicit(prelude, false)
		if err != nil {
			return nil, err
		}
		resp.body = body
		return resp, nil
	}
	trimmed := bytes.TrimSpace(payload)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		resp, err := mapV2Explicit(trimmed, true)
		if err == nil || !errors.Is(err, errNoStatusCode) {
			return resp, err
		}
	}
	// Inferred format: any valid JSON is the body of a 200.
	if !json.Valid(trimmed) {
		return nil, errors.New("function output is not JSON")
	}
	body := trimmed
	if trimmed[0] == '"' {
		var s string
		if err := json.Unmarshal(trimmed, &s); err != nil {
			return nil, err
		}
		body = []byte(s)
	}
	return &response{
		status: http.StatusOK,
		header: http.Header{"Content-Type": {"application/json"}},
		body:   body,
	}, nil
}

var errNoStatusCode = errors.New("no statusCode")

func mapV2Explicit(obj []byte, withBody bool) (*response, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(obj, &raw); err != nil {
		return nil, fmt.Errorf("function output: %w", err)
	}
	if _, ok := raw["statusCode"]; !ok {
		return nil, errNoStatusCode
	}
	resp := &response{header: make(http.Header)}
	var err error
	if resp.status, err = statusCode(raw["statusCode"]); err != nil {
		return nil, err
	}
	headers, err := stringMap(raw["headers"])
	if err != nil {
		return nil, fmt.Errorf("headers: %w", err)
	}
	for k, v := range headers {
		if !hopHeader(k) {
			resp.header.Add(k, v)
		}
	}
	var cookies []string
	if err := unmarshalNullable(raw["cookies"], &cookies); err != nil {
		return nil, fmt.Errorf("cookies: %w", err)
	}
	for _, ck := range cookies {
		resp.header.Add("Set-Cookie", ck)
	}
	if withBody {
		if resp.body, err = decodeBody(raw["body"], raw["isBase64Encoded"], true); err != nil {
			return nil, err
		}
	}
	return resp, nil
}

// mapV1 turns a payload 1.0 result (REST proxy or HTTP API 1.0) into the
// HTTP response. Every malformed shape is an error (502 REST, 500 HTTP).
func mapV1(payload []byte, rest bool) (*response, error) {
	trimmed := bytes.TrimSpace(payload)
	prelude, streamBody, streaming := splitStreaming(payload)
	if streaming {
		trimmed = prelude
	}
	var raw map[string]json.RawMessage
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, errors.New("function output is not a JSON object")
	}
	if err := json.Unmarshal(trimmed, &raw); err != nil {
		return nil, fmt.Errorf("function output: %w", err)
	}
	if _, ok := raw["statusCode"]; !ok {
		return nil, errNoStatusCode
	}
	resp := &response{header: make(http.Header)}
	var err error
	if resp.status, err = statusCode(raw["statusCode"]); err != nil {
		return nil, err
	}
	headers, err := stringMap(raw["headers"])
	if err != nil {
		return nil, fmt.Errorf("headers: %w", err)
	}
	var multi map[string][]string
	if err := unmarshalNullable(raw["multiValueHeaders"], &multi); err != nil {
		return nil, fmt.Errorf("multiValueHeaders: %w", err)
	}
	for k, vs := range multi {
		if hopHeader(k) {
			continue
		}
		for _, v := range vs {
			resp.header.Add(k, v)
		}
	}
	for k, v := range headers {
		if hopHeader(k) {
			continue
		}
		dup := false
		for _, existing := range resp.header.Values(k) {
			if existing == v {
				dup = true
				break
			}
		}
		if !dup {
			resp.header.Add(k, v)
		}
	}
	// REST decodes base64 only when Accept matches binaryMediaTypes, and
	// slsx's model has none; HTTP API 1.0 always decodes.
	if streaming {
		resp.body = streamBody
	} else if resp.body, err = decodeBody(raw["body"], raw["isBase64Encoded"], !rest); err != nil {
		return nil, err
	}
	if rest && resp.header.Get("Content-Type") == "" {
		resp.header.Set("Content-Type", "application/json")
	}
	return resp, nil
}

// splitStreaming recognises a streaming-handler response: a JSON object
// prelude, 8 NUL bytes, the raw body.
func splitStreaming(payload []byte) (prelude, body []byte, ok bool) {
	i := bytes.Index(payload, streamSeparator)
	if i <= 0 {
		return nil, nil, false
	}
	p := bytes.TrimSpace(payload[:i])
	if len(p) == 0 || p[0] != '{' || !json.Valid(p) {
		return nil, nil, false
	}
	return p, payload[i+len(streamSeparator):], true
}

func statusCode(raw json.RawMessage) (int, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return 0, fmt.Errorf("statusCode: %w", err)
	}
	n, ok := v.(json.Number)
	if !ok {
		return 0, fmt.Errorf("statusCode %s is not a number", raw)
	}
	code, err := n.Int64()
	if err != nil {
		return 0, fmt.Errorf("statusCode %s is not an integer", raw)
	}
	if code < 100 || code > 599 {
		return 0, fmt.Errorf("statusCode %d is not a valid HTTP status", code)
	}
	return int(code), nil
}

// stringMap decodes a JSON object of string values; null or absent is empty.
func stringMap(raw json.RawMessage) (map[string]string, error) {
	var m map[string]string
	if err := unmarshalNullable(raw, &m); err != nil {
		return nil, err
	}
	return m, nil
}

func unmarshalNullable(raw json.RawMessage, v any) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	return json.Unmarshal(raw, v)
}

// decodeBody reads "body" (string or null) and applies isBase64Encoded.
func decodeBody(rawBody, rawB64 json.RawMessage, decode bool) ([]byte, error) {
	var body string
	if err := unmarshalNullable(rawBody, &body); err != nil {
		return nil, fmt.Errorf("body must be a string: %w", err)
	}
	var b64 bool
	if err := unmarshalNullable(rawB64, &b64); err != nil {
		return nil, fmt.Errorf("isBase64Encoded must be a boolean: %w", err)
	}
	if b64 && decode {
		out, err := base64.StdEncoding.DecodeString(strings.TrimSpace(body))
		if err != nil {
			return nil, fmt.Errorf("body is not valid base64: %w", err)
		}
		return out, nil
	}
	return []byte(body), nil
}
