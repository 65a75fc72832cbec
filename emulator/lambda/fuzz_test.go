package lambda

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/slsx/slsx/emulator/awsapi"
	"github.com/slsx/slsx/emulator/config"
)

func FuzzParseFunctionName(f *testing.F) {
	for _, s := range []string{"echo", "echo:$LATEST", "123456789012:function:echo", "arn:aws:lambda:us-east-1:123456789012:function:echo:prod",
		"arn:aws:lambda:us-east-1:123456789012:function:", "a:b:c:d:e", "", ":", "arn:", "x:function:y:z:w"} {
		f.Add(s)
	}
	id := awsapi.DefaultIdentity()
	f.Fuzz(func(t *testing.T, s string) {
		ref, err := parseFunctionName(s)
		if err != nil {
			if err.Status != 400 {
				t.Fatalf("status %d", err.Status)
			}
			return
		}
		if !validName(ref.Name) || ref.Qualifier != "" && !validQualifier(ref.Qualifier) {
			t.Fatalf("%q parsed to invalid %+v", s, ref)
		}
		// The ARN slsx builds for it parses back to the same reference.
		arn := id.ARN("lambda", "function:"+ref.Name)
		if ref.Qualifier != "" {
			arn += ":" + ref.Qualifier
		}
		back, err := parseFunctionName(arn)
		if err != nil || back != ref {
			t.Fatalf("%q -> %+v -> %q -> %+v %v", s, ref, arn, back, err)
		}
	})
}

func FuzzLineWriter(f *testing.F) {
	f.Add([]byte("a\nb\r\nc"), 3)
	f.Add([]byte("\n\n\n"), 1)
	f.Add(bytes.Repeat([]byte("x"), maxLineBytes+10), 4096)
	f.Fuzz(func(t *testing.T, data []byte, chunk int) {
		if chunk <= 0 {
			chunk = 1
		}
		if len(data) > 1<<20 {
			return
		}
		if chunk < 64 && len(data) > 4096 {
			chunk = 4096 // keep executions fast; small chunks are covered by small inputs
		}
		var lines []string
		w := &lineWriter{emit: func(s string) { lines = append(lines, s) }}
		for i := 0; i < len(data); i += chunk {
			end := min(i+chunk, len(data))
			if n, err := w.Write(data[i:end]); n != end-i || err != nil {
				t.Fatalf("write %d: %d %v", end-i, n, err)
			}
		}
		w.flush()
		total := 0
		for _, l := range lines {
			if len(l) > maxLineBytes || strings.Contains(l, "\n") {
				t.Fatalf("bad line of %d bytes", len(l))
			}
			total += len(l)
		}
		if total > len(data) {
			t.Fatalf("emitted %d bytes from %d", total, len(data))
		}
		// Short lines without carriage returns come out exactly.
		if !bytes.Contains(data, []byte("\r")) && len(data) < maxLineBytes {
			want := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
			if len(data) == 0 {
				want = nil
			}
			if strings.Join(lines, "\n") != strings.Join(want, "\n") {
				t.Fatalf("lines %q, want %q", lines, want)
			}
		}
	})
}

// FuzzInvokeAPI throws arbitrary requests at the Lambda API: every answer
// must be a well-formed AWS response, never a panic.
func FuzzInvokeAPI(f *testing.F) {
	s := New(Options{})
	if err := s.Start(f.Context()); err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = s.Close(f.Context()) })
	// A disabled function: valid invokes reach the pool and are throttled
	// without starting processes.
	if err := s.Deploy(&config.Function{Name: "off", Concurrency: -1}, f.TempDir(), 1); err != nil {
		f.Fatal(err)
	}
	h := s.Handler()
	f.Add("POST", "/2015-03-31/functions/off/invocations", "RequestResponse", "Tail", "", []byte(`{}`))
	f.Add("POST", "/2015-03-31/functions/off/invocations?Qualifier=v1", "Event", "", "", []byte(`[1,2`))
	f.Add("POST", "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A0%3Afunction%3Aoff/invocations", "DryRun", "None", "e30=", []byte(``))
	f.Add("GET", "/2015-03-31/functions/?MaxItems=0&Marker=zz", "", "", "", []byte(nil))
	f.Add("GET", "/2015-03-31/functions/off/configuration", "", "", "", []byte(nil))
	f.Fuzz(func(t *testing.T, method, path, invType, logType, cc string, body []byte) {
		if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " \r\n\t#") || !utf8.ValidString(path) {
			return
		}
		req, err := http.NewRequest(method, "http://edge"+path, bytes.NewReader(body))
		if err != nil {
			return
		}
		for k, v := range map[string]string{"X-Amz-Invocation-Type": invType, "X-Amz-Log-Type": logType, "X-Amz-Client-Context": cc} {
			if v != "" {
				req.Header.Set(k, v)
			}
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code >= 400 {
			if w.Header().Get("X-Amzn-Errortype") == "" {
				t.Fatalf("%d without x-amzn-ErrorType", w.Code)
			}
			var doc map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
				t.Fatalf("error body %q: %v", w.Body.Bytes(), err)
			}
		}
		if w.Code == 200 && method == http.MethodPost {
			t.Fatalf("disabled function answered %d: %s", w.Code, w.Body.Bytes())
		}
	})
}
