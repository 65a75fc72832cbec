package attr

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

// bodyItems are items in wire JSON and how they compare with their
// canonical encoding.
var bodyItems = []struct {
	json string
	form Form
}{
	{`{"a":{"S":"x"},"b":{"N":"12"}}`, Canonical},
	{`{}`, Canonical},
	{`{"a":{"M":{"x":{"L":[{"S":"1"},{"BOOL":true},{"NULL":true}]},"y":{"M":{}}}},"b":{"SS":["q","p"]},"c":{"L":[]}}`, Canonical},
	{`{"k":{"S":"café ünï"}}`, Canonical},                    // raw UTF-8 is canonical
	{`{"b":{"S":"x"},"a":{"S":"y"}}`, Unordered},             // unsorted names
	{`{"a":{"M":{"z":{"S":"1"},"y":{"S":"2"}}}}`, Unordered}, // unsorted nested names
	{`{"k":{"S":"caf\u00e9"}}`, Rewritten},                   // escape
	{`{"a":{"S":"x"},"a":{"S":"y"}}`, Rewritten},             // repeated name
	{`{"b":{"S":"x"},"a":{"S":"y"},"b":{"S":"z"}}`, Rewritten},
	{`{ "a":{"S":"x"}}`, Rewritten},            // whitespace
	{`{"a":{"N":"1.0"}}`, Rewritten},           // number not canonical
	{`{"a":{"N":"-0.5e1"}}`, Rewritten},        // number not canonical
	{`{"a":{"NS":["1","2"]}}`, Rewritten},      // number sets are canonicalised in place
	{`{"a":{"B":"AAE="}}`, Rewritten},          // binary
	{`{"a":{"BS":["AAE="]}}`, Rewritten},       // binary set
	{`{"a":{"S":"x","N":null}}`, Rewritten},    // ignored null member
	{`{"a":{"S":"x","Q":{"S":1}}}`, Rewritten}, // ignored unknown member
}

func readItem(s string) (Item, []byte, Form, error) {
	b := NewBody([]byte(`{"Item":` + s + `}`))
	var (
		item Item
		raw  []byte
		form Form
	)
	err := b.Members(func(string) error {
		var err error
		item, raw, form, err = b.Item()
		return err
	})
	return item, raw, form, err
}

// checkForm checks the property the PutItem fast path relies on: bytes
// read as Canonical equal AppendItemJSON of the item, and bytes read as
// Unordered say the same JSON.
func checkForm(t *testing.T, raw []byte, item Item, form Form) {
	t.Helper()
	enc := AppendItemJSON(nil, item)
	switch form {
	case Canonical:
		if !bytes.Equal(raw, enc) {
			t.Fatalf("%s: read as canonical but encodes as %s", raw, enc)
		}
	case Unordered:
		var a, b any
		if json.Unmarshal(raw, &a) != nil || json.Unmarshal(enc, &b) != nil || !reflect.DeepEqual(a, b) {
			t.Fatalf("%s: read as unordered but encodes as %s", raw, enc)
		}
	}
}

func TestBodyItemForm(t *testing.T) {
	for _, tc := range bodyItems {
		item, raw, form, err := readItem(tc.json)
		if err != nil {
			t.Fatalf("%s: %v", tc.json, err)
		}
		if form != tc.form {
			t.Errorf("%s: form %d, want %d", tc.json, form, tc.form)
		}
		checkForm(t, raw, item, form)
		// The canonical encoding reads back as such, except for binary
		// values and number sets, which are always encoded again.
		enc := AppendItemJSON(nil, item)
		if bytes.Contains(enc, []byte(`"B`)) || bytes.Contains(enc, []byte(`"NS"`)) {
			continue
		}
		if _, _, form, err := readItem(string(enc)); err != nil || form != Canonical {
			t.Errorf("%s: canonical encoding %s read as form %d (err %v)", tc.json, enc, form, err)
		}
	}
}

// TestBodySlowPath checks that everything outside the fast path's shapes
// is handed back rather than half-decoded.
func TestBodySlowPath(t *testing.T) {
	for _, in := range []string{
		`[]`, `{"Item":null}`, `{"Item":{"a":{}}}`, `{"Item":{"a":{"S":"x"}}`, `{"T":"x"} x`,
		`{"\u0054":"x"}`, `{"T":1}`, `{"Item":{"a":{"N":"abc"}}}`,
	} {
		b := NewBody([]byte(in))
		err := b.Members(func(name string) error {
			switch name {
			case "Item":
				_, _, _, err := b.Item()
				return err
			default:
				_, err := b.String()
				return err
			}
		})
		if !errors.Is(err, ErrSlowPath) {
			t.Errorf("%s: err = %v, want ErrSlowPath", in, err)
		}
	}
}

func FuzzBodyItem(f *testing.F) {
	for _, tc := range bodyItems {
		f.Add(tc.json)
	}
	f.Fuzz(func(t *testing.T, s string) {
		item, raw, form, err := readItem(s)
		if err == nil {
			checkForm(t, raw, item, form)
		}
	})
}
