package attr

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/slsx/slsx/emulator/awsapi"
)

func errMsg(t *testing.T, err error) (code, msg string) {
	t.Helper()
	var ae *awsapi.Error
	if !errors.As(err, &ae) {
		t.Fatalf("error %v is not *awsapi.Error", err)
	}
	return ae.Code, ae.Message
}

func TestParseNumber(t *testing.T) {
	tests := []struct {
		in, want, err string
	}{
		{"0", "0", ""},
		{"-0", "0", ""},
		{"+5", "5", ""},
		{"007", "7", ""},
		{"1.00", "1", ""},
		{"1.50", "1.5", ""},
		{"-0.0012300", "-0.00123", ""},
		{"1E0", "1", ""},
		{"1e3", "1000", ""},
		{"12.5e-3", "0.0125", ""},
		{".5", "0.5", ""},
		{"5.", "5", ""},
		{"0e999999999999", "0", ""},
		{"100", "100", ""},
		{"9.9999999999999999999999999999999999999E+125", "99999999999999999999999999999999999999" + strings.Repeat("0", 88), ""},
		{"1E-130", "0." + strings.Repeat("0", 129) + "1", ""},
		{"12345678901234567890123456789012345678", "12345678901234567890123456789012345678", ""},
		{"1234567890123456789012345678901234567800000", "1234567890123456789012345678901234567800000", ""},
		{"", "", "The parameter cannot be converted to a numeric value"},
		{"abc", "", "The parameter cannot be converted to a numeric value: abc"},
		{"1e", "", "The parameter cannot be converted to a numeric value: 1e"},
		{"1.2.3", "", "The parameter cannot be converted to a numeric value: 1.2.3"},
		{" 1", "", "The parameter cannot be converted to a numeric value:  1"},
		{"NaN", "", "The parameter cannot be converted to a numeric value: NaN"},
		{"--1", "", "The parameter cannot be converted to a numeric value: --1"},
		{".", "", "The parameter cannot be converted to a numeric value: ."},
		{"1E126", "", msgNumberOverflow},
		{"-1E126", "", msgNumberOverflow},
		{"1E-131", "", msgNumberUnderflow},
		{"123456789012345678901234567890123456789", "", msgNumberDigits},
		{"1.23456789012345678901234567890123456789", "", msgNumberDigits},
	}
	for _, tt := range tests {
		got, err := CanonicalNumber(tt.in)
		if tt.err != "" {
			if err == nil {
				t.Errorf("CanonicalNumber(%q) = %q, want error %q", tt.in, got, tt.err)
				continue
			}
			if code, msg := errMsg(t, err); code != "ValidationException" || msg != tt.err {
				t.Errorf("CanonicalNumber(%q) error = %s %q, want %q", tt.in, code, msg, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("CanonicalNumber(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
		d, err := ParseNumber(tt.in)
		if err != nil || d.String() != tt.want {
			t.Errorf("ParseNumber(%q).String() = %q, %v; want %q", tt.in, d.String(), err, tt.want)
		}
	}
}

func TestDecimalArithmetic(t *testing.T) {
	tests := []struct {
		a, op, b, want, err string
	}{
		{"1", "+", "2", "3", ""},
		{"0.1", "+", "0.2", "0.3", ""},
		{"1", "-", "1", "0", ""},
		{"-5", "+", "2.5", "-2.5", ""},
		{"10", "-", "0.001", "9.999", ""},
		{"0", "-", "7", "-7", ""},
		{"7", "+", "0", "7", ""},
		{"99999999999999999999999999999999999999", "+", "1", "100000000000000000000000000000000000000", ""},
		{"9.9999999999999999999999999999999999999E+125", "+", "1E+125", "", msgNumberOverflow},
		{"1E+100", "+", "1", "", msgNumberDigits},
		{"1E-130", "-", "2E-130", "-0." + strings.Repeat("0", 129) + "1", ""},
		{"12345678901234567890", "+", "12345678901234567890", "24691357802469135780", ""},
	}
	for _, tt := range tests {
		a, err1 := ParseNumber(tt.a)
		b, err2 := ParseNumber(tt.b)
		if err1 != nil || err2 != nil {
			t.Fatalf("parse %q %q: %v %v", tt.a, tt.b, err1, err2)
		}
		var got Decimal
		var err error
		if tt.op == "+" {
			got, err = a.Add(b)
		} else {
			got, err = a.Sub(b)
		}
		if tt.err != "" {
			if err == nil {
				t.Errorf("%s %s %s = %s, want error", tt.a, tt.op, tt.b, got)
			} else if _, msg := errMsg(t, err); msg != tt.err {
				t.Errorf("%s %s %s error %q, want %q", tt.a, tt.op, tt.b, msg, tt.err)
			}
			continue
		}
		if err != nil || got.String() != tt.want {
			t.Errorf("%s %s %s = %s, %v; want %s", tt.a, tt.op, tt.b, got, err, tt.want)
		}
	}
}

func TestCompareNumbersAndKeyBytes(t *testing.T) {
	// Sorted ascending; equal neighbours are marked with the same group.
	nums := []string{
		"-1E125", "-100", "-12.5", "-12", "-1.5", "-1", "-0.123", "-0.12", "-1E-130",
		"0", "1E-130", "0.0001", "0.12", "0.123", "1", "1.5", "9", "10", "12", "12.5", "100", "1E125",
	}
	for i := range nums {
		for j := range nums {
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got := compareNumbers(nums[i], nums[j]); got != want {
				t.Errorf("compareNumbers(%s, %s) = %d, want %d", nums[i], nums[j], got, want)
			}
			c, _ := CanonicalNumber(nums[i])
			d, _ := CanonicalNumber(nums[j])
			kb := bytes.Compare(KeyBytes(Value{Kind: N, Str: c}), KeyBytes(Value{Kind: N, Str: d}))
			if kb != want {
				t.Errorf("KeyBytes order (%s, %s) = %d, want %d", nums[i], nums[j], kb, want)
			}
		}
	}
	for _, eq := range [][2]string{{"1", "1.00"}, {"1E0", "1"}, {"-0", "0"}, {"0.10", "1e-1"}, {"100", "1E2"}} {
		if compareNumbers(eq[0], eq[1]) != 0 {
			t.Errorf("compareNumbers(%s, %s) != 0", eq[0], eq[1])
		}
		da, _ := ParseNumber(eq[0])
		db, _ := ParseNumber(eq[1])
		if da.Cmp(db) != 0 {
			t.Errorf("Decimal.Cmp(%s, %s) != 0", eq[0], eq[1])
		}
	}
}

func TestCompareAndEqual(t *testing.T) {
	s := func(x string) Value { return Value{Kind: S, Str: x} }
	n := func(x string) Value { return Value{Kind: N, Str: x} }
	b := func(x string) Value { return Value{Kind: B, Bin: []byte(x)} }
	cmp := []struct {
		a, b Value
		want int
		ok   bool
	}{
		{s("a"), s("A"), 1, true},
		{s("¿"), s("z"), 1, true},
		{s("a"), s("ab"), -1, true},
		{n("2"), n("10"), -1, true},
		{n("1"), n("1.0"), 0, true},
		{b("\x01"), b("\xff"), -1, true},
		{s("1"), n("1"), 0, false},
		{Value{Kind: BOOL}, Value{Kind: BOOL}, 0, false},
	}
	for _, tt := range cmp {
		got, ok := Compare(tt.a, tt.b)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Compare(%v, %v) = %d,%v want %d,%v", tt.a, tt.b, got, ok, tt.want, tt.ok)
		}
	}
	eq := []struct {
		a, b string
		want bool
	}{
		{`{"SS":["a","b"]}`, `{"SS":["b","a"]}`, true},
		{`{"SS":["a","b"]}`, `{"SS":["a"]}`, false},
		{`{"NS":["1","2.0"]}`, `{"NS":["2","1.00"]}`, true},
		{`{"BS":["AQ==","Ag=="]}`, `{"BS":["Ag==","AQ=="]}`, true},
		{`{"BS":["AQ=="]}`, `{"BS":["Ag=="]}`, false},
		{`{"L":[{"N":"1"},{"S":"x"}]}`, `{"L":[{"N":"1.0"},{"S":"x"}]}`, true},
		{`{"L":[{"N":"1"},{"S":"x"}]}`, `{"L":[{"S":"x"},{"N":"1"}]}`, false},
		{`{"M":{"a":{"NULL":true}}}`, `{"M":{"a":{"NULL":true}}}`, true},
		{`{"M":{"a":{"NULL":true}}}`, `{"M":{"b":{"NULL":true}}}`, false},
		{`{"BOOL":true}`, `{"BOOL":false}`, false},
		{`{"S":"1"}`, `{"N":"1"}`, false},
	}
	for _, tt := range eq {
		var a, b Value
		if err := json.Unmarshal([]byte(tt.a), &a); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(tt.b), &b); err != nil {
			t.Fatal(err)
		}
		if got := Equal(a, b); got != tt.want {
			t.Errorf("Equal(%s, %s) = %v", tt.a, tt.b, got)
		}
	}
}

func TestKeyBytesStrings(t *testing.T) {
	keys := []string{"", "A", "a", "ab", "b", "z", "¿"}
	for i := 1; i < len(keys); i++ {
		if bytes.Compare(KeyBytes(Value{Kind: S, Str: keys[i-1]}), KeyBytes(Value{Kind: S, Str: keys[i]})) >= 0 {
			t.Errorf("KeyBytes(%q) >= KeyBytes(%q)", keys[i-1], keys[i])
		}
	}
}

func TestValueJSONRoundTrip(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"S":"x"}`, `{"S":"x"}`},
		{`{"S":""}`, `{"S":""}`},
		{`{"S":"a\"b\\c\n\u0001é\u00e9😀"}`, `{"S":"a\"b\\c\n\u0001éé😀"}`},
		{`{"S":"\ud83d\ude00"}`, `{"S":"😀"}`},
		{`{"N":"+001.50"}`, `{"N":"1.5"}`},
		{`{"N":"-0"}`, `{"N":"0"}`},
		{`{"B":"AQID"}`, `{"B":"AQID"}`},
		{`{"B":""}`, `{"B":""}`},
		{`{"BOOL":true}`, `{"BOOL":true}`},
		{`{"BOOL":false}`, `{"BOOL":false}`},
		{`{"NULL":true}`, `{"NULL":true}`},
		{` { "M" : { "b" : {"N":"2"}, "a":{"S":"1"} } } `, `{"M":{"a":{"S":"1"},"b":{"N":"2"}}}`},
		{`{"M":{}}`, `{"M":{}}`},
		{`{"L":[]}`, `{"L":[]}`},
		{`{"L":[{"S":"a"},{"L":[{"NULL":true}]}]}`, `{"L":[{"S":"a"},{"L":[{"NULL":true}]}]}`},
		{`{"SS":["a",""]}`, `{"SS":["a",""]}`},
		{`{"NS":["1","2.50"]}`, `{"NS":["1","2.5"]}`},
		{`{"BS":["AQ==","Ag=="]}`, `{"BS":["AQ==","Ag=="]}`},
		{`{"S":"x","Unknown":{"a":[1,2,{"b":null}]}}`, `{"S":"x"}`},
		{`{"S":"x","N":null}`, `{"S":"x"}`},
	}
	for _, tt := range tests {
		var v Value
		if err := json.Unmarshal([]byte(tt.in), &v); err != nil {
			t.Errorf("Unmarshal(%s): %v", tt.in, err)
			continue
		}
		got, _ := json.Marshal(v)
		if string(got) != tt.want {
			t.Errorf("round trip %s = %s, want %s", tt.in, got, tt.want)
		}
		// The direct decoder agrees with encoding/json's path.
		var v2 Value
		if err := v2.UnmarshalJSON([]byte(tt.in)); err != nil || !Equal(v, v2) {
			t.Errorf("UnmarshalJSON(%s) = %v, %v", tt.in, v2, err)
		}
	}
}

func TestValueJSONErrors(t *testing.T) {
	deep := strings.Repeat(`{"L":[`, 32) + `{"S":"x"}` + strings.Repeat(`]}`, 32)
	okDeep := strings.Repeat(`{"L":[`, 31) + `{"S":"x"}` + strings.Repeat(`]}`, 31)
	var v Value
	if err := v.UnmarshalJSON([]byte(okDeep)); err != nil {
		t.Errorf("31 nested lists: %v", err)
	}
	tests := []struct{ in, code, msg string }{
		{`{}`, "ValidationException", msgEmpty},
		{`{"X":"y"}`, "ValidationException", msgEmpty},
		{`{"S":null}`, "ValidationException", msgEmpty},
		{`{"S":"a","N":"1"}`, "ValidationException", msgMany},
		{`{"NULL":false}`, "ValidationException", msgNullFalse},
		{`{"SS":[]}`, "ValidationException", msgEmptySS},
		{`{"NS":[]}`, "ValidationException", msgEmptyNS},
		{`{"BS":[]}`, "ValidationException", msgEmptyBS},
		{`{"SS":["a","a"]}`, "ValidationException", "One or more parameter values were invalid: Input collection [a, a] contains duplicates."},
		{`{"NS":["1","1.0"]}`, "ValidationException", "One or more parameter values were invalid: Input collection [1, 1] contains duplicates."},
		{`{"BS":["AQ==","AQ=="]}`, "ValidationException", "One or more parameter values were invalid: Input collection [AQ==, AQ==] contains duplicates."},
		{`{"N":"x1"}`, "ValidationException", "The parameter cannot be converted to a numeric value: x1"},
		{`{"N":""}`, "ValidationException", "The parameter cannot be converted to a numeric value"},
		{`{"NS":["1","y"]}`, "ValidationException", "The parameter cannot be converted to a numeric value: y"},
		{`{"N":"1E200"}`, "ValidationException", msgNumberOverflow},
		{`{"M":{"a":{}}}`, "ValidationException", msgEmpty},
		{`{"L":[{"S":"a"},{}]}`, "ValidationException", msgEmpty},
		{deep, "ValidationException", msgNesting},
		{`{"S":1}`, "SerializationException", "NUMBER_VALUE cannot be converted to String"},
		{`{"N":1}`, "SerializationException", "NUMBER_VALUE cannot be converted to String"},
		{`{"S":{"a":1}}`, "SerializationException", msgStructStart},
		{`{"S":["a"]}`, "SerializationException", msgListStart},
		{`{"BOOL":"true"}`, "SerializationException", "STRING_VALUE cannot be converted to Boolean"},
		{`{"B":"!!!"}`, "SerializationException", msgBadBase64},
		{`{"SS":"a"}`, "SerializationException", "STRING_VALUE cannot be converted to List"},
		{`"x"`, "SerializationException", "STRING_VALUE cannot be converted to AttributeValue"},
		{`{"S":"x"`, "SerializationException", msgMalformed},
		{`{"S":"x"} x`, "SerializationException", msgMalformed},
	}
	for _, tt := range tests {
		var v Value
		err := v.UnmarshalJSON([]byte(tt.in))
		if err == nil {
			t.Errorf("UnmarshalJSON(%.60s) succeeded, want %s", tt.in, tt.msg)
			continue
		}
		if code, msg := errMsg(t, err); code != tt.code || msg != tt.msg {
			t.Errorf("UnmarshalJSON(%.60s) = %s %q, want %s %q", tt.in, code, msg, tt.code, tt.msg)
		}
	}
}

func TestItemJSON(t *testing.T) {
	in := `{"pk":{"S":"user#1"},"n":{"N":"10"},"tags":{"SS":["b","a"]},"doc":{"M":{"x":{"L":[{"BOOL":true}]}}}}`
	var it Item
	if err := json.Unmarshal([]byte(in), &it); err != nil {
		t.Fatal(err)
	}
	out := AppendItemJSON(nil, it)
	want := `{"doc":{"M":{"x":{"L":[{"BOOL":true}]}}},"n":{"N":"10"},"pk":{"S":"user#1"},"tags":{"SS":["b","a"]}}`
	if string(out) != want {
		t.Errorf("AppendItemJSON = %s\nwant %s", out, want)
	}
	// Inside a request struct, errors from the item surface unchanged.
	var req struct{ Item Item }
	err := json.Unmarshal([]byte(`{"Item":{"a":{"SS":[]}}}`), &req)
	if code, msg := errMsg(t, err); code != "ValidationException" || msg != msgEmptySS {
		t.Errorf("nested error = %s %q", code, msg)
	}
	if it, err := DecodeItem([]byte("null")); err != nil || it != nil {
		t.Errorf("DecodeItem(null) = %v, %v", it, err)
	}
	if _, err := DecodeItem([]byte(`[]`)); err == nil {
		t.Error("DecodeItem([]) succeeded")
	}
}

func TestSize(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{`{"a":{"S":"xyz"}}`, 4},
		{`{"ab":{"N":"1"}}`, 2 + 2},
		{`{"a":{"N":"12345"}}`, 1 + 4},
		{`{"a":{"N":"1000"}}`, 1 + 2},
		{`{"a":{"B":"AQID"}}`, 1 + 3},
		{`{"a":{"BOOL":true},"b":{"NULL":true}}`, 4},
		{`{"a":{"L":[{"S":"x"},{"S":"yy"}]}}`, 1 + 3 + 2 + 3},
		{`{"a":{"M":{"k":{"S":"v"}}}}`, 1 + 3 + 1 + 1 + 1},
		{`{"a":{"SS":["x","yy"]}}`, 1 + 3},
	}
	for _, tt := range tests {
		it, err := DecodeItem([]byte(tt.in))
		if err != nil {
			t.Fatal(err)
		}
		if got := ItemSize(it); got != tt.want {
			t.Errorf("ItemSize(%s) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestSetContains(t *testing.T) {
	ns := Value{Kind: NS, Strs: []string{"1", "2.5"}}
	if !SetContains(ns, Value{Kind: N, Str: "2.50"}) || SetContains(ns, Value{Kind: S, Str: "1"}) {
		t.Error("SetContains NS")
	}
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range (Item{"b": {}, "a": {}}) {
			if !yield(k) {
				return
			}
		}
	})
	if keys[0] != "a" {
		t.Error("sanity")
	}
}

func FuzzValueJSON(f *testing.F) {
	for _, s := range []string{`{"S":"x"}`, `{"N":"1.5e3"}`, `{"M":{"a":{"L":[{"NULL":true},{"BS":["AQ=="]}]}}}`, `{"SS":["a","b"]}`, `{"NS":["1","2"]}`, `{"B":"AQID"}`, `{"BOOL":false}`, `{"S":"\u00e9\ud83d\ude00"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var v Value
		if err := v.UnmarshalJSON(b); err != nil {
			var ae *awsapi.Error
			if !errors.As(err, &ae) {
				t.Fatalf("non-AWS error %v", err)
			}
			return
		}
		out := AppendJSON(nil, v)
		var v2 Value
		if err := v2.UnmarshalJSON(out); err != nil {
			t.Fatalf("re-decode %s: %v", out, err)
		}
		if !Equal(v, v2) {
			t.Fatalf("round trip changed %s -> %s", b, out)
		}
		if !json.Valid(out) {
			t.Fatalf("invalid JSON out: %s", out)
		}
	})
}

var benchItem = []byte(`{"pk":{"S":"user#12345"},"sk":{"S":"profile"},"name":{"S":"Ada Lovelace"},"age":{"N":"36"},"score":{"N":"1234.5678"},"active":{"BOOL":true},"tags":{"SS":["admin","math","poet"]},"address":{"M":{"city":{"S":"London"},"zip":{"S":"W1"},"lines":{"L":[{"S":"12 St James's Square"},{"S":"Marylebone"}]}}},"avatar":{"B":"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="}}`)

func BenchmarkItemDecode(b *testing.B) {
	b.SetBytes(int64(len(benchItem)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeItem(benchItem); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkItemEncode(b *testing.B) {
	it, _ := DecodeItem(benchItem)
	buf := make([]byte, 0, 1024)
	b.SetBytes(int64(len(benchItem)))
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendItemJSON(buf[:0], it)
	}
}

func BenchmarkItemRoundTrip(b *testing.B) {
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		it, _ := DecodeItem(benchItem)
		buf = AppendItemJSON(buf[:0], it)
	}
}

// wireValue is what decoding with encoding/json into a plain struct costs,
// the baseline the hand-written decoder is measured against.
type wireValue struct {
	S    *string              `json:"S,omitempty"`
	N    *string              `json:"N,omitempty"`
	B    []byte               `json:"B,omitempty"`
	BOOL *bool                `json:"BOOL,omitempty"`
	NULL *bool                `json:"NULL,omitempty"`
	M    map[string]wireValue `json:"M,omitempty"`
	L    []wireValue          `json:"L,omitempty"`
	SS   []string             `json:"SS,omitempty"`
	NS   []string             `json:"NS,omitempty"`
	BS   [][]byte             `json:"BS,omitempty"`
}

func BenchmarkItemDecodeStdlibBaseline(b *testing.B) {
	b.SetBytes(int64(len(benchItem)))
	b.ReportAllocs()
	for b.Loop() {
		var m map[string]wireValue
		if err := json.Unmarshal(benchItem, &m); err != nil {
			b.Fatal(err)
		}
	}
}
