// Package awsapi is the wire plumbing shared by the emulated AWS services:
// the edge router that sends each request on the one AWS port to its
// service, the account and region every ARN uses, request ids and the
// service-neutral error value.
package awsapi

import (
	"fmt"
	"math/rand/v2"
	"net/http"
)

// DefaultAccount is the fixed 12-digit account id used in every ARN.
const DefaultAccount = "000000000000"

// DefaultRegion is used when the project names none.
const DefaultRegion = "us-east-1"

// Identity is the account and region a stack presents itself as.
type Identity struct {
	Account string
	Region  string
}

// DefaultIdentity is the account and region slsx uses unless told otherwise.
func DefaultIdentity() Identity { return Identity{Account: DefaultAccount, Region: DefaultRegion} }

// ARN builds arn:aws:<service>:<region>:<account>:<resource>.
func (id Identity) ARN(service, resource string) string {
	return fmt.Sprintf("arn:aws:%s:%s:%s:%s", service, id.Region, id.Account, resource)
}

// RequestID returns a lowercase hyphenated UUID v4, the shape every AWS
// service uses for request ids (and SNS for message ids).
//
// The 122 random bits come from math/rand/v2's runtime source (ChaCha8,
// seeded from the OS, per thread, no lock): unique enough for ids and a
// few nanoseconds, where crypto/rand and fmt cost a system call and
// several allocations on every request. Never use it for secrets.
func RequestID() string {
	var b [16]byte
	hi, lo := rand.Uint64(), rand.Uint64()
	for i := 0; i < 8; i++ {
		b[i] = byte(hi >> (56 - 8*i))
		b[8+i] = byte(lo >> (56 - 8*i))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	const hexDigits = "0123456789abcdef"
	var out [36]byte
	j := 0
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out[j] = '-'
			j++
		}
		out[j], out[j+1] = hexDigits[c>>4], hexDigits[c&0x0f]
		j += 2
	}
	return string(out[:])
}

// Error is a service error independent of its wire shape. Each service
// writes it in its own protocol (JSON __type, REST-JSON x-amzn-ErrorType,
// or query XML).
type Error struct {
	Status  int    // HTTP status
	Code    string // e.g. "ResourceNotFoundException"
	Message string
	Sender  bool // client fault (SNS XML <Type>Sender</Type>; Lambda "Type":"User")
	// Extra carries service-specific fields written alongside the message,
	// such as Lambda's "Reason" or DynamoDB's "CancellationReasons".
	Extra map[string]any
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf returns a client (sender) error with the given status and code.
func Errorf(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...), Sender: status < 500}
}

// ValidationError is the common 400 ValidationException.
func ValidationError(format string, args ...any) *Error {
	return Errorf(http.StatusBadRequest, "ValidationException", format, args...)
}
