// Package awsapi is the wire plumbing shared by the emulated AWS services:
// the edge router that sends each request on the one AWS port to its
// service, the account and region every ARN uses, request ids and the
// service-neutral error value.
package awsapi

import (
	"crypto/rand"
	"fmt"
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
// service uses for request ids.
func RequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
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
