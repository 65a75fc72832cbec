package dynamodb

import (
	"bytes"
	"hash/crc32"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

func TestWireProtocol(t *testing.T) {
	e := newEnv(t, Options{})
	cases := []struct {
		name, method, ctype, target, body string
		status                            int
		want                              string // substring of the body
	}{
		{"list tables", "POST", "application/x-amz-json-1.0", "DynamoDB_20120810.ListTables", "{}", 200, `{"TableNames":[]}`},
		{"old content type", "POST", "application/json; charset=utf-8", "DynamoDB_20120810.ListTables", "{}", 200, `"TableNames"`},
		{"bad json", "POST", "application/x-amz-json-1.0", "DynamoDB_20120810.ListTables", "{", 400, `{"__type":"com.amazon.coral.service#SerializationException"}`},
		{"unknown op", "POST", "application/x-amz-json-1.0", "DynamoDB_20120810.Nope", "{}", 400, `{"__type":"com.amazon.coral.service#UnknownOperationException"}`},
		{"wrong member type", "POST", "application/x-amz-json-1.0", "DynamoDB_20120810.DescribeTable", `{"TableName":5}`, 400, `"message":"NUMBER_VALUE cannot be converted to String"`},
		{"wrong content type", "POST", "text/plain", "DynamoDB_20120810.ListTables", "{}", 404, "<UnknownOperationException/>"},
		{"put method", "PUT", "application/x-amz-json-1.0", "DynamoDB_20120810.ListTables", "{}", 404, "<UnknownOperationException/>"},
		{"streams op", "POST", "application/x-amz-json-1.0", "DynamoDBStreams_20120810.ListStreams", "{}", 200, `{"Streams":[]}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, e.url, strings.NewReader(tc.body))
			req.Header.Set("Content-Type", tc.ctype)
			req.Header.Set("X-Amz-Target", tc.target)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, b)
			}
			if !strings.Contains(string(b), tc.want) {
				t.Errorf("body %s does not contain %s", b, tc.want)
			}
			if resp.Header.Get("x-amzn-RequestId") == "" {
				t.Error("no x-amzn-RequestId")
			}
			if tc.status != 404 {
				crc, _ := strconv.ParseUint(resp.Header.Get("x-amz-crc32"), 10, 32)
				if uint32(crc) != crc32.ChecksumIEEE(b) {
					t.Errorf("x-amz-crc32 %s does not match body", resp.Header.Get("x-amz-crc32"))
				}
				if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/") {
					t.Errorf("Content-Type %q", ct)
				}
			}
		})
	}
	t.Run("body over 16 MB", func(t *testing.T) {
		big := bytes.Repeat([]byte(" "), maxBody+10)
		req, _ := http.NewRequest("POST", e.url, bytes.NewReader(big))
		req.Header.Set("Content-Type", "application/x-amz-json-1.0")
		req.Header.Set("X-Amz-Target", "DynamoDB_20120810.ListTables")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 413 {
			t.Fatalf("status %d, want 413", resp.StatusCode)
		}
	})
	t.Run("gzip response", func(t *testing.T) {
		e.createSimple(t, "gzt", false, "")
		for i := 0; i < 50; i++ {
			e.mustRaw(t, "PutItem", `{"TableName":"gzt","Item":{"pk":{"S":"k`+strconv.Itoa(i)+`"},"pad":{"S":"`+strings.Repeat("x", 200)+`"}}}`)
		}
		req, _ := http.NewRequest("POST", e.url, strings.NewReader(`{"TableName":"gzt"}`))
		req.Header.Set("Content-Type", "application/x-amz-json-1.0")
		req.Header.Set("X-Amz-Target", "DynamoDB_20120810.Scan")
		req.Header.Set("Accept-Encoding", "gzip")
		tr := &http.Transport{DisableCompression: true}
		resp, err := (&http.Client{Transport: tr}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.Header.Get("Content-Encoding") != "gzip" {
			t.Fatalf("not compressed")
		}
		crc, _ := strconv.ParseUint(resp.Header.Get("x-amz-crc32"), 10, 32)
		if uint32(crc) != crc32.ChecksumIEEE(b) {
			t.Errorf("crc does not cover the compressed bytes")
		}
	})
}
