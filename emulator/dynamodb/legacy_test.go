package dynamodb

import (
	"fmt"
	"testing"
)

// TestLegacyParameters drives the pre-expression parameters end to end.
func TestLegacyParameters(t *testing.T) {
	e := newEnv(t, Options{})
	e.createSimple(t, "leg", true, "")
	for i := 1; i <= 5; i++ {
		e.mustRaw(t, "PutItem", fmt.Sprintf(`{"TableName":"leg","Item":{"pk":{"S":"p"},"sk":{"N":"%d"},"v":{"N":"%d"},"s":{"SS":["a"]}}}`, i, i*10))
	}
	steps := []struct {
		op, body string
		status   int
		check    func(map[string]any) bool
	}{
		{"PutItem", `{"TableName":"leg","Item":{"pk":{"S":"p"},"sk":{"N":"1"}},"Expected":{"pk":{"Exists":false}}}`, 400, nil},
		{"PutItem", `{"TableName":"leg","Item":{"pk":{"S":"p"},"sk":{"N":"9"},"v":{"N":"90"}},"Expected":{"pk":{"Exists":false}}}`, 200, nil},
		{"UpdateItem", `{"TableName":"leg","Key":{"pk":{"S":"p"},"sk":{"N":"1"}},"AttributeUpdates":{"v":{"Action":"ADD","Value":{"N":"5"}},"s":{"Action":"DELETE","Value":{"SS":["a"]}}},"ReturnValues":"ALL_NEW"}`, 200,
			func(m map[string]any) bool {
				a := m["Attributes"].(map[string]any)
				return fmt.Sprint(a["v"]) == "map[N:15]" && a["s"] == nil
			}},
		{"UpdateItem", `{"TableName":"leg","Key":{"pk":{"S":"p"},"sk":{"N":"2"}},"AttributeUpdates":{"v":{"Value":{"N":"1"}}},"Expected":{"v":{"ComparisonOperator":"GT","AttributeValueList":[{"N":"100"}]}}}`, 400, nil},
		{"GetItem", `{"TableName":"leg","Key":{"pk":{"S":"p"},"sk":{"N":"2"}},"AttributesToGet":["v"]}`, 200,
			func(m map[string]any) bool { return fmt.Sprint(m["Item"]) == "map[v:map[N:20]]" }},
		{"Query", `{"TableName":"leg","KeyConditions":{"pk":{"ComparisonOperator":"EQ","AttributeValueList":[{"S":"p"}]},"sk":{"ComparisonOperator":"BETWEEN","AttributeValueList":[{"N":"2"},{"N":"4"}]}},"QueryFilter":{"v":{"ComparisonOperator":"GE","AttributeValueList":[{"N":"30"}]}}}`, 200,
			func(m map[string]any) bool { return m["Count"] == 2.0 && m["ScannedCount"] == 3.0 }},
		{"Scan", `{"TableName":"leg","ScanFilter":{"v":{"ComparisonOperator":"LT","AttributeValueList":[{"N":"25"}]},"sk":{"ComparisonOperator":"EQ","AttributeValueList":[{"N":"9"}]}},"ConditionalOperator":"OR"}`, 200,
			func(m map[string]any) bool { return m["Count"] == 3.0 }},
		{"DeleteItem", `{"TableName":"leg","Key":{"pk":{"S":"p"},"sk":{"N":"3"}},"Expected":{"v":{"Value":{"N":"30"}}},"ReturnValues":"ALL_OLD"}`, 200,
			func(m map[string]any) bool { return m["Attributes"] != nil }},
	}
	for i, st := range steps {
		code, out := e.raw(t, st.op, st.body)
		if code != st.status {
			t.Fatalf("step %d %s: status %d, want %d: %v", i, st.op, code, st.status, out)
		}
		if st.check != nil && !st.check(out) {
			t.Errorf("step %d %s: unexpected answer %v", i, st.op, out)
		}
	}
}
