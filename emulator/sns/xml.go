package sns

import (
	"encoding/xml"
	"errors"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/slsx/slsx/emulator/awsapi"
)

// xmlNS is the SNS query-protocol namespace.
const xmlNS = "http://sns.amazonaws.com/doc/2010-03-31/"

// xw builds the inside of an <XResult> element.
type xw struct{ b strings.Builder }

func (w *xw) open(name string)  { w.b.WriteString("<" + name + ">") }
func (w *xw) close(name string) { w.b.WriteString("</" + name + ">") }

// elem writes <name>text</name> with text escaped.
func (w *xw) elem(name, text string) {
	w.open(name)
	_ = xml.EscapeText(&w.b, []byte(text))
	w.close(name)
}

// entries writes a string map as <entry><key/><value/></entry>, sorted.
func (w *xw) entries(m map[string]string) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		w.open("entry")
		w.elem("key", k)
		w.elem("value", m[k])
		w.close("entry")
	}
}

// result is what an action returns: nil for actions without an output
// shape, otherwise the body of <XResult> (possibly empty).
type result *xw

// writeResult writes a success response.
func writeResult(rw http.ResponseWriter, action, requestID string, res result) {
	var b strings.Builder
	b.WriteString(`<` + action + `Response xmlns="` + xmlNS + `">`)
	if res != nil {
		if res.b.Len() == 0 {
			b.WriteString("<" + action + "Result/>")
		} else {
			b.WriteString("<" + action + "Result>" + res.b.String() + "</" + action + "Result>")
		}
	}
	b.WriteString("<ResponseMetadata><RequestId>" + requestID + "</RequestId></ResponseMetadata></" + action + "Response>")
	h := rw.Header()
	h.Set("Content-Type", "text/xml")
	h.Set("x-amzn-RequestId", requestID)
	h.Set("Content-Length", strconv.Itoa(b.Len()))
	rw.WriteHeader(http.StatusOK)
	_, _ = rw.Write([]byte(b.String()))
}

// writeError writes an ErrorResponse for err; non-*awsapi.Error values
// become InternalError.
func writeError(rw http.ResponseWriter, requestID string, err error) {
	var ae *awsapi.Error
	if !errors.As(err, &ae) {
		ae = &awsapi.Error{Status: http.StatusInternalServerError, Code: "InternalError", Message: err.Error()}
	}
	typ := "Sender"
	if ae.Status >= 500 {
		typ = "Receiver"
	}
	var w xw
	w.b.WriteString(`<ErrorResponse xmlns="` + xmlNS + `"><Error>`)
	w.elem("Type", typ)
	w.elem("Code", ae.Code)
	w.elem("Message", ae.Message)
	w.b.WriteString("</Error>")
	w.elem("RequestId", requestID)
	w.b.WriteString("</ErrorResponse>")
	h := rw.Header()
	h.Set("Content-Type", "text/xml")
	h.Set("x-amzn-RequestId", requestID)
	h.Set("Content-Length", strconv.Itoa(w.b.Len()))
	rw.WriteHeader(ae.Status)
	_, _ = rw.Write([]byte(w.b.String()))
}

// Error constructors with SNS's codes and statuses (see types/errors.go of
// the Go SDK: these are the codes it maps to typed errors).
func errInvalidParameter(format string, args ...any) *awsapi.Error {
	return awsapi.Errorf(http.StatusBadRequest, "InvalidParameter", format, args...)
}

func errParameterValueInvalid(format string, args ...any) *awsapi.Error {
	return awsapi.Errorf(http.StatusBadRequest, "ParameterValueInvalid", format, args...)
}

func errNotFound(msg string) *awsapi.Error {
	return awsapi.Errorf(http.StatusNotFound, "NotFound", "%s", msg)
}

func errMissing(name string) *awsapi.Error {
	return errInvalidParameter("Invalid parameter: %s Reason: no value for required parameter", name)
}

func errTopicNotFound() *awsapi.Error { return errNotFound("Topic does not exist") }
