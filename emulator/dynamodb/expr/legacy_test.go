package expr

import (
	"encoding/json"
	"testing"
)

func TestFromLegacy(t *testing.T) {
	it := `{"id":{"S":"k"},"n":{"N":"5"},"name":{"S":"ada"},"tags":{"SS":["a","b"]},"l":{"L":[{"S":"x"}]}}`
	tests := []struct {
		name, legacy string
		cond, filter *bool
		want         string // expected item JSON after update, when AttributeUpdates present
		proj         string
	}{
		{name: "expected value", legacy: `{"Expected":{"n":{"Value":{"N":"5"}}}}`, cond: ptr(true)},
		{name: "expected value mismatch", legacy: `{"Expected":{"n":{"Value":{"N":"6"}}}}`, cond: ptr(false)},
		{name: "expected not exists", legacy: `{"Expected":{"nope":{"Exists":false}}}`, cond: ptr(true)},
		{name: "expected exists true", legacy: `{"Expected":{"name":{"Exists":true,"Value":{"S":"ada"}}}}`, cond: ptr(true)},
		{name: "expected op", legacy: `{"Expected":{"n":{"ComparisonOperator":"GT","AttributeValueList":[{"N":"4"}]},"name":{"ComparisonOperator":"BEGINS_WITH","AttributeValueList":[{"S":"b"}]}}}`, cond: ptr(false)},
		{name: "expected or", legacy: `{"ConditionalOperator":"OR","Expected":{"n":{"ComparisonOperator":"GT","AttributeValueList":[{"N":"4"}]},"name":{"ComparisonOperator":"BEGINS_WITH","AttributeValueList":[{"S":"b"}]}}}`, cond: ptr(true)},
		{name: "expected null", legacy: `{"Expected":{"nope":{"ComparisonOperator":"NULL"},"n":{"ComparisonOperator":"NOT_NULL"}}}`, cond: ptr(true)},
		{name: "expected in between", legacy: `{"Expected":{"n":{"ComparisonOperator":"IN","AttributeValueList":[{"N":"1"},{"N":"5"}]},"name":{"ComparisonOperator":"BETWEEN","AttributeValueList":[{"S":"a"},{"S":"b"}]}}}`, cond: ptr(true)},
		{name: "expected contains", legacy: `{"Expected":{"tags":{"ComparisonOperator":"CONTAINS","AttributeValueList":[{"S":"a"}]},"nope":{"ComparisonOperator":"NOT_CONTAINS","AttributeValueList":[{"S":"a"}]}}}`, cond: ptr(true)},
		{name: "scan filter", legacy: `{"ScanFilter":{"n":{"ComparisonOperator":"LE","AttributeValueList":[{"N":"5"}]}}}`, filter: ptr(true)},
		{name: "query filter ne", legacy: `{"QueryFilter":{"n":{"ComparisonOperator":"NE","AttributeValueList":[{"N":"5"}]}}}`, filter: ptr(false)},
		{name: "updates", legacy: `{"AttributeUpdates":{"name":{"Value":{"S":"bob"}},"n":{"Action":"ADD","Value":{"N":"2"}},"tags":{"Action":"DELETE","Value":{"SS":["a"]}},"id2":{"Action":"DELETE"},"l":{"Action":"ADD","Value":{"L":[{"S":"y"}]}},"new":{"Action":"ADD","Value":{"L":[{"S":"z"}]}}}}`,
			want: `{"id":{"S":"k"},"l":{"L":[{"S":"x"},{"S":"y"}]},"n":{"N":"7"},"name":{"S":"bob"},"new":{"L":[{"S":"z"}]},"tags":{"SS":["b"]}}`},
		{name: "attributes to get", legacy: `{"AttributesToGet":["name","n"]}`, proj: `{"n":{"N":"5"},"name":{"S":"ada"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var l Legacy
			if err := json.Unmarshal([]byte(tt.legacy), &l); err != nil {
				t.Fatal(err)
			}
			in, err := FromLegacy(l)
			if err != nil {
				t.Fatalf("FromLegacy: %v", err)
			}
			c, err := Compile(in)
			if err != nil {
				t.Fatalf("Compile(%+v): %v", in, err)
			}
			if tt.cond != nil {
				if got, _ := c.Condition(item(t, it)); got != *tt.cond {
					t.Errorf("Condition %q = %v", in.Condition, got)
				}
			}
			if tt.filter != nil {
				if got, _ := c.Filter(item(t, it)); got != *tt.filter {
					t.Errorf("Filter %q = %v", in.Filter, got)
				}
			}
			if tt.want != "" {
				out, err := c.Apply(item(t, it))
				if err != nil {
					t.Fatalf("Apply %q: %v", in.Update, err)
				}
				if got := string(mustJSON(out)); got != tt.want {
					t.Errorf("Apply %q =\n%s\nwant\n%s", in.Update, got, tt.want)
				}
			}
			if tt.proj != "" {
				if got := string(mustJSON(c.Project(item(t, it)))); got != tt.proj {
					t.Errorf("Project %q = %s", in.Projection, got)
				}
			}
		})
	}
}

func TestFromLegacyKeyConditions(t *testing.T) {
	var l Legacy
	_ = json.Unmarshal([]byte(`{"KeyConditions":{"pk":{"ComparisonOperator":"EQ","AttributeValueList":[{"S":"u"}]},"sk":{"ComparisonOperator":"BEGINS_WITH","AttributeValueList":[{"S":"o#"}]}}}`), &l)
	in, err := FromLegacy(l)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Compile(in)
	if err != nil {
		t.Fatal(err)
	}
	kc, err := c.KeyCondition("pk", "sk")
	if err != nil || kc.Hash.Str != "u" || kc.Sort == nil || kc.Sort.Op != "begins_with" || kc.Sort.A.Str != "o#" {
		t.Errorf("KeyCondition = %+v, %v", kc, err)
	}
}

func TestFromLegacyErrors(t *testing.T) {
	tests := []struct{ legacy, want string }{
		{`{"Expected":{"a":{"Exists":true}}}`, "One or more parameter values were invalid: Value must be provided when Exists is true for Attribute: a"},
		{`{"Expected":{"a":{"Exists":false,"Value":{"S":"x"}}}}`, "One or more parameter values were invalid: Value cannot be used when Exists is false for Attribute: a"},
		{`{"Expected":{"a":{"Value":{"S":"x"},"AttributeValueList":[{"S":"x"}]}}}`, "One or more parameter values were invalid: Value and AttributeValueList cannot be used together for Attribute: a"},
		{`{"Expected":{"a":{"Exists":true,"ComparisonOperator":"EQ"}}}`, "One or more parameter values were invalid: Exists and ComparisonOperator cannot be used together for Attribute: a"},
		{`{"Expected":{"a":{"ComparisonOperator":"EQ"}}}`, "One or more parameter values were invalid: Invalid number of argument(s) for the EQ ComparisonOperator"},
		{`{"Expected":{"a":{"ComparisonOperator":"NULL","AttributeValueList":[{"S":"x"}]}}}`, "One or more parameter values were invalid: Invalid number of argument(s) for the NULL ComparisonOperator"},
		{`{"ScanFilter":{"a":{"ComparisonOperator":"IN","AttributeValueList":[{"S":"x"},{"N":"1"}]}}}`, "One or more parameter values were invalid: AttributeValues inside AttributeValueList must be of same type"},
		{`{"ScanFilter":{"a":{"ComparisonOperator":"BETWEEN","AttributeValueList":[{"N":"5"},{"N":"1"}]}}}`, "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound"},
		{`{"AttributeUpdates":{"a":{"Action":"PUT"}}}`, "One or more parameter values were invalid: Only DELETE action is allowed when no attribute value is specified"},
		{`{"AttributeUpdates":{"a":{"Action":"DELETE","Value":{"S":"x"}}}}`, "One or more parameter values were invalid: DELETE action with value is not supported for the type S"},
		{`{"AttributeUpdates":{"a":{"Action":"ADD","Value":{"S":"x"}}}}`, "One or more parameter values were invalid: ADD action is not supported for the type S"},
		{`{"KeyConditions":{"a":{"ComparisonOperator":"EQ","AttributeValueList":[{"S":"x"}]},"b":{"ComparisonOperator":"EQ","AttributeValueList":[{"S":"x"}]},"c":{"ComparisonOperator":"EQ","AttributeValueList":[{"S":"x"}]}}}`, "Conditions can be of length 1 or 2 only"},
		{`{"KeyConditions":{"a":{"ComparisonOperator":"NE","AttributeValueList":[{"S":"x"}]}}}`, "Attempted conditional constraint is not an indexable operation"},
		{`{"AttributesToGet":["a","a"]}`, "One or more parameter values were invalid: Duplicate value in attribute name: a"},
	}
	for _, tt := range tests {
		var l Legacy
		if err := json.Unmarshal([]byte(tt.legacy), &l); err != nil {
			t.Fatal(err)
		}
		_, err := FromLegacy(l)
		if err == nil {
			t.Errorf("FromLegacy(%s) succeeded", tt.legacy)
			continue
		}
		if got := message(t, err); got != tt.want {
			t.Errorf("FromLegacy(%s) = %q, want %q", tt.legacy, got, tt.want)
		}
	}
}

func ptr[T any](v T) *T { return &v }

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
