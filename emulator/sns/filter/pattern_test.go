package filter

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// ddbRecord is a DynamoDB stream record as Lambda hands it to a function.
const ddbRecord = `{"awsRegion":"us-east-1","dynamodb":{"ApproximateCreationDateTime":1700000000,
"Keys":{"pk":{"S":"order#42"}},
"NewImage":{"pk":{"S":"order#42"},"status":{"S":"PAID"},"total":{"N":"120"},"note":{"NULL":true},"empty":{"S":""},
 "tags":{"SS":["a","b"]},"gift":{"BOOL":false},"lines":{"L":[{"M":{"sku":{"S":"x-1"}}}]}},
"OldImage":{"pk":{"S":"order#42"},"status":{"S":"open"}},
"SequenceNumber":"000000000000000000042","SizeBytes":80,"StreamViewType":"NEW_AND_OLD_IMAGES"},
"eventID":"e1","eventName":"MODIFY","eventSource":"aws:dynamodb","eventVersion":"1.1",
"eventSourceARN":"arn:aws:dynamodb:us-east-1:000000000000:table/orders/stream/x"}`

func TestPatternMatchesDynamoDBRecord(t *testing.T) {
	for _, tc := range []struct {
		pattern string
		want    bool
	}{
		{`{"eventName":["MODIFY"]}`, true},
		{`{"eventName":["INSERT","REMOVE"]}`, false},
		{`{"dynamodb":{"Keys":{"pk":{"S":["order#42"]}}}}`, true},
		{`{"dynamodb":{"Keys":{"pk":{"S":[{"prefix":"order#"}]}}}}`, true},
		{`{"dynamodb":{"Keys":{"pk":{"S":[{"suffix":"#43"}]}}}}`, false},
		{`{"dynamodb":{"NewImage":{"status":{"S":[{"equals-ignore-case":"paid"}]}}}}`, true},
		{`{"dynamodb":{"NewImage":{"status":{"S":[{"anything-but":["PAID","REFUNDED"]}]}}}}`, false},
		{`{"dynamodb":{"OldImage":{"status":{"S":[{"anything-but":{"prefix":"PA"}}]}}}}`, true},
		// DynamoDB numbers are strings in the record ({"N": "120"}), so a
		// numeric rule does not match them; the string does.
		{`{"dynamodb":{"NewImage":{"total":{"N":[{"numeric":[">",100]}]}}}}`, false},
		{`{"dynamodb":{"NewImage":{"total":{"N":["120"]}}}}`, true},
		{`{"dynamodb":{"SizeBytes":[{"numeric":[">",10,"<=",100]}]}}`, true},
		{`{"dynamodb":{"NewImage":{"coupon":[{"exists":false}]}}}`, true},
		{`{"dynamodb":{"NewImage":{"status":[{"exists":true}]}}}`, true},
		{`{"dynamodb":{"NewImage":{"empty":{"S":[""]}}}}`, true},
		{`{"dynamodb":{"NewImage":{"note":{"NULL":[true]}}}}`, true},
		{`{"dynamodb":{"NewImage":{"tags":{"SS":["b"]}}}}`, true},
		{`{"dynamodb":{"NewImage":{"gift":{"BOOL":[false]}}}}`, true},
		{`{"dynamodb":{"NewImage":{"lines":{"L":{"M":{"sku":{"S":["x-1"]}}}}}}}`, true},
		{`{"$or":[{"eventName":["INSERT"]},{"dynamodb":{"NewImage":{"status":{"S":["PAID"]}}}}]}`, true},
		{`{"$or":[{"eventName":["INSERT"]},{"eventName":["REMOVE"]}]}`, false},
		{`{"eventName":["MODIFY"],"dynamodb":{"NewImage":{"status":{"S":["open"]}}}}`, false},
	} {
		p, err := ParsePattern([]byte(tc.pattern))
		if err != nil {
			t.Fatalf("ParsePattern(%s): %v", tc.pattern, err)
		}
		if got := MatchAny([]*Policy{p}, []byte(ddbRecord)); got != tc.want {
			t.Errorf("%s matched %v, want %v", tc.pattern, got, tc.want)
		}
	}
}

func TestMatchAny(t *testing.T) {
	insert, _ := ParsePattern([]byte(`{"eventName":["INSERT"]}`))
	modify, _ := ParsePattern([]byte(`{"eventName":["MODIFY"]}`))
	if !MatchAny(nil, []byte(ddbRecord)) {
		t.Error("no patterns must match everything")
	}
	if MatchAny([]*Policy{insert}, []byte(ddbRecord)) || !MatchAny([]*Policy{insert, modify}, []byte(ddbRecord)) {
		t.Error("a record matches when any pattern does")
	}
	if MatchAny([]*Policy{modify}, []byte(`[1]`)) || MatchAny([]*Policy{modify}, []byte(`{"eventName":"MODIFY"} x`)) {
		t.Error("a document that is not one JSON object matches nothing")
	}
}

func TestParsePatternLimits(t *testing.T) {
	// More than SNS's 5 keys and 150 combinations is fine for Lambda.
	many := `{"a":["1"],"b":["1"],"c":["1"],"d":["1"],"e":["1"],"f":["1","2","3","4","5","6","7","8","9","10"],"g":["1","2","3","4","5","6","7","8","9","10","11","12","13","14","15","16"]}`
	if _, err := ParsePattern([]byte(many)); err != nil {
		t.Errorf("ParsePattern(many keys): %v", err)
	}
	for _, tc := range []struct{ pattern, want string }{
		{`{"a":["` + strings.Repeat("x", 4090) + `"]}`, "pattern is 4100 characters; Lambda allows 4096"},
		{`["a"]`, "failed to parse JSON. A filter pattern must be a JSON object"},
		{"{\"a\":[\"\xff\"]}", "failed to parse JSON. Invalid UTF-8 character"},
		{`{"a":"x"}`, `"a" must be an object or an array`},
	} {
		_, err := ParsePattern([]byte(tc.pattern))
		var fe *Error
		if !errors.As(err, &fe) || fe.Reason != tc.want {
			t.Errorf("ParsePattern(%.40s) = %v, want %q", tc.pattern, err, tc.want)
		}
	}
}

func FuzzParsePattern(f *testing.F) {
	for _, s := range []string{
		`{"eventName":["INSERT"]}`,
		`{"dynamodb":{"Keys":{"pk":{"S":[{"prefix":"a"}]}}}}`,
		`{"dynamodb":{"NewImage":{"n":{"N":[{"numeric":[">",0,"<=",5]}]}}}}`,
		`{"$or":[{"eventName":["REMOVE"]},{"dynamodb":{"OldImage":{"s":[{"exists":false}]}}}]}`,
		`{"dynamodb":{"NewImage":{"s":{"S":[{"anything-but":{"equals-ignore-case":["x","Y"]}}, "", null]}}}}`,
	} {
		f.Add([]byte(s), []byte(ddbRecord))
	}
	f.Fuzz(func(t *testing.T, pattern, doc []byte) {
		p, err := ParsePattern(pattern)
		if err != nil {
			var fe *Error
			if !errors.As(err, &fe) {
				t.Fatalf("error is %T, want *Error", err)
			}
			return
		}
		// Decoding only what the pattern reads must not change the answer
		// (MatchBody lets some malformed bodies through; records are valid).
		got := NewPatterns([]*Policy{p}).Match(doc)
		if !json.Valid(doc) {
			if got {
				t.Fatalf("pattern %s matched invalid JSON %s", pattern, doc)
			}
			return
		}
		if want := p.MatchBody(doc); got != want {
			t.Fatalf("pattern %s on %s: pruned match %v, full match %v", pattern, doc, got, want)
		}
	})
}
