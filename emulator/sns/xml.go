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

func (w *xw) open(name string) {
	w.b.WriteByte('<')
	w.b.WriteString(name)
	w.b.WriteByte('>')
}

func (w *xw) close(name string) {
	w.b.WriteString("</")
	w.b.WriteString(name)
	w.b.WriteByte('>')
}

// elem writes <name>text</name> with text escaped.
func (w *xw) elem(name, text string) {
	w.open(name)
	if plainXML(text) {
		w.b.WriteString(text)
	} else {
		_ = xml.EscapeText(&w.b, []byte(text))
	}
	w.close(name)
}

// plainXML reports whether xml.EscapeText would leave s unchanged:
// printable ASCII other than the five characters it escapes.
func plainXML(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c > 0x7e, c == '&', c == '<', c == '>', c == '"', c == '\'':
			return false
		}
	}
	return true
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
	n := 2*len(action) + len(xmlNS) + len(requestID) + 120
	if res != nil {
		n += res.b.Len() + 2*len(action) + 20
	}
	b := make([]byte, 0, n)
	b = append(b, '<')
	b = append(b, action...)
	b = append(b, `Response xmlns="`+xmlNS+`">`...)
	if res != nil {
		b = append(b, '<')
		b = append(b, action...)
		if res.b.Len() == 0 {
			b = append(b, "Result/>"...)
		} else {
			b = append(b, "Result>"...)
			b = append(b, res.b.String()...)
			b = append(b, "</"...)
			b = append(b, action...)
			b = append(b, "Result>"...)
		}
	}
	b = append(b, "<ResponseMetadata><RequestId>"...)
	b = append(b, requestID...)
	b = append(b, "</RequestId></ResponseMetadata></"...)
	b = append(b, action...)
	b = append(b, "Response>"...)
	writeXML(rw, http.StatusOK, requestID, b)
}

// writeXML sends an XML body with SNS's headers. The header map is filled
// directly, with the canonical keys Header.Set would produce, to save its
// canonicalising and one allocation per value on every response.
func writeXML(rw http.ResponseWriter, status int, requestID string, body []byte) {
	vals := []string{"text/xml", requestID, strconv.Itoa(len(body))}
	h := rw.Header()
	h["Content-Type"] = vals[0:1:1]
	h["X-Amzn-Requestid"] = vals[1:2:2]
	h["Content-Length"] = vals[2:3:3]
	rw.WriteHeader(status)
	_, _ = rw.Write(body)
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
	writeXML(rw, ae.Status, requestID, []byte(w.b.String()))
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
