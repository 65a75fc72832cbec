package sns

import (
	"encoding/xml"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

func TestParseFormMatchesParseQuery(t *testing.T) {
	for _, q := range []string{
		"",
		"Action=Publish&Message=hello+world&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A000000000000%3At",
		"a=1&a=2&b=3&a=4",         // repeated keys append, and must not clobber b
		"a=1&b=2&a=3&c=4&b=5&c=6", // every key repeated after the next one started
		"a&b=&=c&&",
		"a=%zz",
		"a;b=1&c=2",
		"k%3Dx=v%26y",
		strings.Repeat("a=1&", maxFormParams),
		strings.Repeat("&", maxFormParams-1),
	} {
		want, werr := url.ParseQuery(q)
		got, gerr := parseForm(q)
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("parseForm(%.40q): error %v, ParseQuery error %v", q, gerr, werr)
		}
		if werr == nil && !reflect.DeepEqual(got.v, want) {
			t.Fatalf("parseForm(%.40q) = %v, want %v", q, got.v, want)
		}
	}
}

// FuzzParseForm checks the hand-written parser against url.ParseQuery.
func FuzzParseForm(f *testing.F) {
	f.Add("Action=Publish&Message=hello+world&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A000000000000%3At")
	f.Add("a=1&a=2&b=3&a=4")
	f.Add("a;b=1&c=%zz&=&&x")
	f.Fuzz(func(t *testing.T, q string) {
		want, werr := url.ParseQuery(q)
		got, gerr := parseForm(q)
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("parseForm(%q): error %v, ParseQuery error %v", q, gerr, werr)
		}
		if werr == nil && !reflect.DeepEqual(got.v, want) {
			t.Fatalf("parseForm(%q) = %v, want %v", q, got.v, want)
		}
	})
}

// TestElemEscapes checks the plain-text shortcut of xw.elem against
// encoding/xml's escaper.
func TestElemEscapes(t *testing.T) {
	for _, s := range []string{"", "plain text 123", "a&b", "<", ">", `"`, "'", "\t", "\n", "\r", "\x7f", "é", "\xff", "~ !", "\x00"} {
		var w xw
		w.elem("x", s)
		var ref strings.Builder
		_ = xml.EscapeText(&ref, []byte(s))
		if got, want := w.b.String(), "<x>"+ref.String()+"</x>"; got != want {
			t.Errorf("elem(%q) = %q, want %q", s, got, want)
		}
	}
}
