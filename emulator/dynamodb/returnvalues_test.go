package dynamodb

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// TestUpdateReturnValuesNested checks that UPDATED_OLD and UPDATED_NEW
// return only the written document paths, nested as in the item, the way
// DynamoDB does: list elements come back compacted in index order, paths
// that do not exist are left out, REMOVE shows in UPDATED_OLD only, and an
// index past the end of a list (which appends) is not returned. The steps
// run in order against one item, each starting from the previous result.
func TestUpdateReturnValuesNested(t *testing.T) {
	e := newEnv(t, Options{})
	e.createSimple(t, "rvn", false, "")
	put := func(item map[string]any) {
		t.Helper()
		it, err := attributevalue.MarshalMap(item)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("rvn"), Item: it}); err != nil {
			t.Fatal(err)
		}
	}
	put(map[string]any{"pk": "p", "a": map[string]any{"b": "dog", "c": []any{1, 2, 3}}, "d": "cat"})
	steps := []struct {
		update string
		rv     types.ReturnValue
		values map[string]any
		want   string // fmt.Sprint of the decoded Attributes; "" = no Attributes
	}{
		{"SET a.b = :v", types.ReturnValueAllOld, map[string]any{":v": "hi"}, "map[a:map[b:dog c:[1 2 3]] d:cat pk:p]"},
		{"SET a.b = :v", types.ReturnValueUpdatedOld, map[string]any{":v": "yo"}, "map[a:map[b:hi]]"},
		{"SET a.c[1] = :v", types.ReturnValueUpdatedOld, map[string]any{":v": 7}, "map[a:map[c:[2]]]"},
		{"SET a.c[1] = :v, a.b = :w", types.ReturnValueUpdatedOld, map[string]any{":v": 8, ":w": "dog"}, "map[a:map[b:yo c:[7]]]"},
		{"SET a.b = :v", types.ReturnValueUpdatedNew, map[string]any{":v": "hello"}, "map[a:map[b:hello]]"},
		{"SET a.c[1] = :v", types.ReturnValueUpdatedNew, map[string]any{":v": 4}, "map[a:map[c:[4]]]"},
		{"SET a.c[1] = :v, a.b = :w", types.ReturnValueUpdatedNew, map[string]any{":v": 3, ":w": "dog"}, "map[a:map[b:dog c:[3]]]"},
		{"SET a.b = :v", types.ReturnValueAllNew, map[string]any{":v": "hi"}, "map[a:map[b:hi c:[1 3 3]] d:cat pk:p]"},
		// a.c[3] does not exist, so only a.c[1] comes back.
		{"REMOVE a.c[1], a.c[3]", types.ReturnValueUpdatedOld, nil, "map[a:map[c:[3]]]"},
		// A new sub-attribute has no old value.
		{"SET a.x1 = :v", types.ReturnValueUpdatedOld, map[string]any{":v": 8}, ""},
		{"SET a.x2 = :v", types.ReturnValueUpdatedNew, map[string]any{":v": 8}, "map[a:map[x2:8]]"},
		// Setting past the end appends at a.c[2]; a.c[100] itself is not there.
		{"SET a.c[100] = :v", types.ReturnValueUpdatedNew, map[string]any{":v": 70}, ""},
		// After REMOVE a.c[1] the new a.c[1] is the former a.c[2].
		{"REMOVE a.c[1]", types.ReturnValueUpdatedNew, nil, "map[a:map[c:[70]]]"},
		// Top-level paths, if_not_exists, arithmetic.
		{"SET n = if_not_exists(n, :z)", types.ReturnValueUpdatedNew, map[string]any{":z": 0}, "map[n:0]"},
		{"SET n = if_not_exists(n, :z)", types.ReturnValueUpdatedOld, map[string]any{":z": 5}, "map[n:0]"},
		{"SET n = n + :one, d = :d", types.ReturnValueUpdatedNew, map[string]any{":one": 1, ":d": "cow"}, "map[d:cow n:1]"},
		{"REMOVE d", types.ReturnValueUpdatedOld, nil, "map[d:cow]"},
		{"REMOVE n", types.ReturnValueUpdatedNew, nil, ""},
	}
	for i, st := range steps {
		in := &dynamodb.UpdateItemInput{TableName: aws.String("rvn"), Key: map[string]av{"pk": sv("p")},
			UpdateExpression: aws.String(st.update), ReturnValues: st.rv}
		if st.values != nil {
			vals, err := attributevalue.MarshalMap(st.values)
			if err != nil {
				t.Fatal(err)
			}
			in.ExpressionAttributeValues = vals
		}
		out, err := e.db.UpdateItem(ctx, in)
		if err != nil {
			t.Fatalf("step %d %q: %v", i, st.update, err)
		}
		got := ""
		if out.Attributes != nil {
			var m map[string]any
			if err := attributevalue.UnmarshalMap(out.Attributes, &m); err != nil {
				t.Fatal(err)
			}
			got = fmt.Sprint(m)
		}
		if got != st.want {
			t.Errorf("step %d %s %q: Attributes = %s, want %s", i, st.rv, st.update, got, st.want)
		}
	}
}

// TestUpdateReturnValuesSets covers ADD and DELETE on sets and numbers
// nested in maps, and the legacy AttributeUpdates form.
func TestUpdateReturnValuesSets(t *testing.T) {
	e := newEnv(t, Options{})
	e.createSimple(t, "rvs", false, "")
	e.mustRaw(t, "PutItem", `{"TableName":"rvs","Item":{"pk":{"S":"p"},"m":{"M":{"tags":{"SS":["a","b"]},"n":{"N":"1"},"keep":{"S":"k"}}},"top":{"NS":["1","2"]}}}`)
	cases := []struct {
		name, body string
		want       string // Attributes as wire JSON; "" = absent
	}{
		{"add to nested set, old", `"UpdateExpression":"ADD m.tags :t","ExpressionAttributeValues":{":t":{"SS":["c"]}},"ReturnValues":"UPDATED_OLD"`,
			`{"m":{"M":{"tags":{"SS":["a","b"]}}}}`},
		{"add to nested number, new", `"UpdateExpression":"ADD m.n :one","ExpressionAttributeValues":{":one":{"N":"1"}},"ReturnValues":"UPDATED_NEW"`,
			`{"m":{"M":{"n":{"N":"2"}}}}`},
		{"delete from nested set, new", `"UpdateExpression":"DELETE m.tags :t","ExpressionAttributeValues":{":t":{"SS":["a"]}},"ReturnValues":"UPDATED_NEW"`,
			`{"m":{"M":{"tags":{"SS":["b","c"]}}}}`},
		{"delete whole set, new", `"UpdateExpression":"DELETE top :t","ExpressionAttributeValues":{":t":{"NS":["1","2"]}},"ReturnValues":"UPDATED_NEW"`,
			``},
		{"add creates nested, old", `"UpdateExpression":"ADD m.fresh :one","ExpressionAttributeValues":{":one":{"N":"1"}},"ReturnValues":"UPDATED_OLD"`,
			``},
		{"legacy put, old", `"AttributeUpdates":{"m":{"Action":"PUT","Value":{"S":"flat"}}},"ReturnValues":"UPDATED_OLD"`,
			`{"m":{"M":{"fresh":{"N":"1"},"keep":{"S":"k"},"n":{"N":"2"},"tags":{"SS":["b","c"]}}}}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := e.mustRaw(t, "UpdateItem", `{"TableName":"rvs","Key":{"pk":{"S":"p"}},`+tc.body+`}`)
			got := ""
			if a, ok := out["Attributes"]; ok {
				got = jsonString(t, a)
			}
			want := ""
			if tc.want != "" {
				want = jsonString(t, decodeJSON(t, tc.want))
			}
			if got != want {
				t.Errorf("Attributes = %s\n             want %s", got, want)
			}
		})
	}
}

func decodeJSON(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("bad JSON %s: %v", s, err)
	}
	return v
}

// jsonString renders a decoded JSON value with sorted keys.
func jsonString(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
