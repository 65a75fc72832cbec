package awsapi

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestRequestIDShape(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 10000; i++ {
		id := RequestID()
		if !uuidV4.MatchString(id) {
			t.Fatalf("RequestID() = %q, not a lowercase UUID v4", id)
		}
		if seen[id] {
			t.Fatalf("RequestID() repeated %q after %d ids", id, i)
		}
		seen[id] = true
	}
}

// credentialScopeSplit is the straightforward definition the scanning
// CredentialScopeService must agree with.
func credentialScopeSplit(auth string) string {
	i := strings.Index(auth, "Credential=")
	if i < 0 {
		return ""
	}
	cred := auth[i+len("Credential="):]
	if j := strings.IndexAny(cred, ", "); j >= 0 {
		cred = cred[:j]
	}
	parts := strings.Split(cred, "/")
	if len(parts) < 5 {
		return ""
	}
	return parts[3]
}

func TestCredentialScopeService(t *testing.T) {
	cases := []struct{ auth, want string }{
		{"AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/sns/aws4_request, SignedHeaders=host, Signature=abc", "sns"},
		{"AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/dynamodb/aws4_request,SignedHeaders=host", "dynamodb"},
		{"AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/streams.dynamodb/aws4_request", "streams.dynamodb"},
		{"AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/lambda/aws4_request/extra", "lambda"},
		{"AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/sns", ""},
		{"AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1//aws4_request", ""},
		{"AWS4-HMAC-SHA256 Credential=", ""},
		{"AWS4-HMAC-SHA256 SignedHeaders=host", ""},
		{"", ""},
	}
	for _, c := range cases {
		if got := CredentialScopeService(c.auth); got != c.want {
			t.Errorf("CredentialScopeService(%q) = %q, want %q", c.auth, got, c.want)
		}
		if got := credentialScopeSplit(c.auth); got != c.want {
			t.Errorf("reference(%q) = %q, want %q", c.auth, got, c.want)
		}
	}
}

func FuzzCredentialScopeService(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/sns/aws4_request, SignedHeaders=host")
	f.Add("Credential=a/b/c/d/e/f")
	f.Add("Credential=////")
	f.Add("Credential=a/b/c/d")
	f.Fuzz(func(t *testing.T, auth string) {
		if got, want := CredentialScopeService(auth), credentialScopeSplit(auth); got != want {
			t.Fatalf("CredentialScopeService(%q) = %q, reference %q", auth, got, want)
		}
	})
}

func TestEdgeRoutes(t *testing.T) {
	named := func(name string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(name)) })
	}
	e := &Edge{DynamoDB: named("dynamodb"), Streams: named("streams"), SNS: named("sns"), Lambda: named("lambda"),
		Extra: map[string]http.Handler{"/_slsx/sns/": named("extra")}}
	sig := func(svc string) string {
		return "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/" + svc + "/aws4_request, SignedHeaders=host, Signature=x"
	}
	cases := []struct {
		name, method, path string
		headers            map[string]string
		want               string
		status             int
	}{
		{"extra prefix wins", "POST", "/_slsx/sns/", map[string]string{"Authorization": sig("dynamodb")}, "extra", 200},
		{"dynamodb target", "POST", "/", map[string]string{"X-Amz-Target": "DynamoDB_20120810.PutItem"}, "dynamodb", 200},
		{"streams target", "POST", "/", map[string]string{"X-Amz-Target": "DynamoDBStreams_20120810.GetRecords"}, "streams", 200},
		{"sns scope", "POST", "/", map[string]string{"Authorization": sig("sns")}, "sns", 200},
		{"streams scope", "POST", "/", map[string]string{"Authorization": sig("streams.dynamodb")}, "streams", 200},
		{"lambda scope", "GET", "/x", map[string]string{"Authorization": sig("lambda")}, "lambda", 200},
		{"lambda path", "GET", "/2015-03-31/functions/f/invocations", nil, "lambda", 200},
		{"unsigned form post", "POST", "/", map[string]string{"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}, "sns", 200},
		{"nothing named", "POST", "/", nil, "UnknownServiceException", 400},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest(c.method, c.path, nil)
			for k, v := range c.headers {
				r.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			e.ServeHTTP(w, r)
			if w.Code != c.status || !strings.Contains(w.Body.String(), c.want) {
				t.Fatalf("got %d %q, want %d containing %q", w.Code, w.Body.String(), c.status, c.want)
			}
		})
	}
}

func BenchmarkRequestID(b *testing.B) {
	for b.Loop() {
		_ = RequestID()
	}
}

func BenchmarkCredentialScopeService(b *testing.B) {
	auth := "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/sns/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc"
	for b.Loop() {
		_ = CredentialScopeService(auth)
	}
}
