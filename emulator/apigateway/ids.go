package apigateway

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"time"
)

// idAlphabet is the character set of API Gateway resource ids: lowercase
// letters and digits.
const idAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

// stableID derives an id of n characters from seed, so an API keeps its id
// across restarts and reloads (handlers and tests may log or compare it).
func stableID(seed string, n int) string {
	sum := sha256.Sum256([]byte(seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = idAlphabet[int(sum[i])%len(idAlphabet)]
	}
	return string(b)
}

// APIID returns the 10-character id slsx gives the API named name, the
// shape of a real API Gateway id ("a1b2c3d4e5").
func APIID(name string) string { return stableID("api:"+name, 10) }

// resourceID is a REST resource id: 6 lowercase alphanumerics.
func resourceID(apiName, path string) string { return stableID("res:"+apiName+":"+path, 6) }

// shortRequestID returns an id shaped like an HTTP API request id or a REST
// extended request id: 16 characters of URL-safe base64 ending in "="
// ("LV7fzho-PHcEJPw=").
func shortRequestID() string {
	var b [11]byte
	_, _ = rand.Read(b[:])
	return base64.URLEncoding.EncodeToString(b[:])
}

// newTraceID returns an X-Ray trace header value "Root=1-<8 hex epoch>-<24 hex>".
func newTraceID(now time.Time) string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("Root=1-%08x-%s", now.Unix(), hex.EncodeToString(b[:]))
}
