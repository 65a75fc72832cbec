package config

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

const streamFile = `functions:
  users:
    handler: ./users
    events:
      - dynamodb:
          table: users
          maximumRecordAge: 3600
          tumblingWindow: 2m
          onFailure: failures
          filters:
            - {eventName: [INSERT, MODIFY]}
            - '{"dynamodb":{"NewImage":{"status":{"S":[{"prefix":"paid"}]}}}}'
            - dynamodb:
                Keys:
                  id:
                    S: [{anything-but: [test]}]
                NewImage:
                  total:
                    N: [{exists: true}]
  audit:
    handler: ./audit
    events:
      - dynamodb: {table: users, maximumRecordAge: -1}
tables:
  users: {hashKey: id, stream: NEW_AND_OLD_IMAGES}
`

func TestStreamTriggerExtras(t *testing.T) {
	p, err := Parse("/proj", "slsx.yaml", []byte(streamFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.StreamTriggers) != 2 {
		t.Fatalf("%d triggers", len(p.StreamTriggers))
	}
	got := p.StreamTriggers[0]
	want := &StreamTrigger{Table: "users", Function: "users", BatchSize: 100, StartingPosition: "LATEST",
		MaximumRetryAttempts: -1, Enabled: true, MaximumRecordAge: time.Hour, OnFailureTopic: "failures", TumblingWindow: 2 * time.Minute,
		Filters: []string{
			`{"eventName":["INSERT","MODIFY"]}`,
			`{"dynamodb":{"NewImage":{"status":{"S":[{"prefix":"paid"}]}}}}`,
			`{"dynamodb":{"Keys":{"id":{"S":[{"anything-but":["test"]}]}},"NewImage":{"total":{"N":[{"exists":true}]}}}}`,
		}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("trigger\n got %+v\nwant %+v", got, want)
	}
	if p.StreamTriggers[1].MaximumRecordAge != 0 {
		t.Errorf("maximumRecordAge -1 gave %v", p.StreamTriggers[1].MaximumRecordAge)
	}
	// The on-failure topic is created like a topic named by a subscription.
	if len(p.Topics) != 1 || p.Topics[0].Name != "failures" || p.Topics[0].Fifo {
		t.Errorf("topics %+v", p.Topics)
	}
	if !got.Equal(*want) || got.Equal(*p.StreamTriggers[1]) {
		t.Error("Equal")
	}
	a, b := *want, *want
	a.Filters, b.Filters = nil, []string{}
	if !a.Equal(b) {
		t.Error("nil and empty Filters differ")
	}
}

func TestStreamTriggerExtraErrors(t *testing.T) {
	const fn = "functions:\n  users:\n    handler: ./users\n    events:\n      - dynamodb:\n          table: tbl\n"
	const tbl = "tables:\n  tbl: {hashKey: id, stream: KEYS_ONLY}\n"
	for _, tc := range []struct{ name, src, want string }{
		{"filters not a list", fn + "          filters: {eventName: [INSERT]}\n" + tbl,
			"slsx.yaml:7: functions.users.events[0].dynamodb.filters: must be a list of patterns such as [{eventName: [INSERT]}]; got a mapping"},
		{"filter bad json", fn + "          filters: ['{\"eventName\": [INSERT]}']\n" + tbl,
			"slsx.yaml:7: functions.users.events[0].dynamodb.filters[0]: invalid filter pattern: failed to parse JSON. invalid character 'I' looking for beginning of value"},
		{"filter scalar leaf", fn + "          filters:\n            - {eventName: INSERT}\n" + tbl,
			"slsx.yaml:8: functions.users.events[0].dynamodb.filters[0]: invalid filter pattern: \"eventName\" must be an object or an array"},
		{"filter unknown op", fn + "          filters:\n            - {eventName: [INSERT]}\n            - {dynamodb: {Keys: {id: {S: [{startsWith: a}]}}}}\n" + tbl,
			"slsx.yaml:9: functions.users.events[0].dynamodb.filters[1]: invalid filter pattern: Unrecognized match type startsWith"},
		{"filter empty array", fn + "          filters: [{eventName: []}]\n" + tbl,
			"slsx.yaml:7: functions.users.events[0].dynamodb.filters[0]: invalid filter pattern: Empty arrays are not allowed"},
		{"filter a list", fn + "          filters: [[a]]\n" + tbl,
			"slsx.yaml:7: functions.users.events[0].dynamodb.filters[0]: must be a pattern mapping such as {eventName: [INSERT]} or a JSON object string; got a list"},
		{"filter too long", fn + "          filters: [{eventName: [" + strings.Repeat("x", 4100) + "]}]\n" + tbl,
			"slsx.yaml:7: functions.users.events[0].dynamodb.filters[0]: invalid filter pattern: pattern is 4118 characters; Lambda allows 4096"},
		{"too many filters", fn + "          filters: [{a: [1]}, {a: [1]}, {a: [1]}, {a: [1]}, {a: [1]}, {a: [1]}, {a: [1]}, {a: [1]}, {a: [1]}, {a: [1]}, {a: [1]}]\n" + tbl,
			"slsx.yaml:7: functions.users.events[0].dynamodb.filters: has 11 patterns; Lambda allows at most 10 per event source"},
		{"record age low", fn + "          maximumRecordAge: 59s\n" + tbl,
			"slsx.yaml:7: functions.users.events[0].dynamodb.maximumRecordAge: '59s' is out of range; use 60s to 604800s"},
		{"record age high", fn + "          maximumRecordAge: 604801\n" + tbl,
			"slsx.yaml:7: functions.users.events[0].dynamodb.maximumRecordAge: '604801' is out of range; use 60s to 604800s"},
		{"record age fraction", fn + "          maximumRecordAge: 60.5s\n" + tbl,
			"slsx.yaml:7: functions.users.events[0].dynamodb.maximumRecordAge: '60.5s' is not a whole number of seconds; use e.g. 61s"},
		{"tumbling window", fn + "          tumblingWindow: 901s\n" + tbl,
			"slsx.yaml:7: functions.users.events[0].dynamodb.tumblingWindow: '901s' is out of range; use 0s to 900s"},
		{"on failure fifo", fn + "          onFailure: alerts.fifo\n" + tbl,
			"slsx.yaml:7: functions.users.events[0].dynamodb.onFailure: topic 'alerts.fifo' is FIFO; Lambda sends discarded stream batches only to standard topics"},
		{"on failure declared fifo", fn + "          onFailure: alerts.fifo\n" + tbl + "topics:\n  alerts.fifo: {fifo: true}\n",
			"slsx.yaml:7: functions.users.events[0].dynamodb.onFailure: topic 'alerts.fifo' is FIFO; Lambda sends discarded stream batches only to standard topics"},
		{"on failure bad name", fn + "          onFailure: 'a b'\n" + tbl,
			"slsx.yaml:7: functions.users.events[0].dynamodb.onFailure: topic 'a b' is not a topic name; use 1 to 256 letters, digits, '-' or '_'"},
		{"two triggers of one stream", fn + "      - dynamodb: tbl\n" + tbl,
			"slsx.yaml:7: functions.users.events[1].dynamodb: table 'tbl' already triggers function 'users' on line 6; Lambda keeps one event source mapping per stream and function (merge the two, using filters)"},
		{"on failure a list", fn + "          onFailure: [a]\n" + tbl,
			"slsx.yaml:7: functions.users.events[0].dynamodb.onFailure: must be a string; got a list"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse("/proj", "slsx.yaml", []byte(tc.src))
			if err == nil {
				t.Fatalf("no error; project %+v", p)
			}
			if got := err.Error(); got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}
