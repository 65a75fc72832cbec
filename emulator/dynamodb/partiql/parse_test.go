package partiql

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/slsx/slsx/emulator/awsapi"
	"github.com/slsx/slsx/emulator/dynamodb/attr"
	"github.com/slsx/slsx/emulator/dynamodb/expr"
)

func s(v string) attr.Value { return attr.Value{Kind: attr.S, Str: v} }
func n(v string) attr.Value { return attr.Value{Kind: attr.N, Str: v} }

func TestParseCompile(t *testing.T) {
	cases := []struct {
		name   string
		stmt   string
		params []attr.Value
		kind   Kind
		table  string
		index  string
		in     expr.Input // Names and Values compared too
		ret    string
	}{
		{
			name: "select star", stmt: `SELECT * FROM "Music"`, kind: Select, table: "Music",
		},
		{
			name: "select index, paths, where", kind: Select, table: "T", index: "byA",
			stmt: `select a.b[1], "c d" from "T"."byA" where pk = 'x' and n >= 10`,
			in: expr.Input{
				Projection: "#n0.#n1[1], #n2", Condition: "#n3 = :v0 AND #n4 >= :v1",
				Names:  map[string]string{"#n0": "a", "#n1": "b", "#n2": "c d", "#n3": "pk", "#n4": "n"},
				Values: map[string]attr.Value{":v0": s("x"), ":v1": n("10")},
			},
		},
		{
			name: "or binds looser than and", kind: Select, table: "T",
			stmt: `SELECT * FROM T WHERE a = 1 OR b = 2 AND NOT c <> 3`,
			in: expr.Input{
				Condition: "#n0 = :v0 OR (#n1 = :v1 AND NOT #n2 <> :v2)",
				Names:     map[string]string{"#n0": "a", "#n1": "b", "#n2": "c"},
				Values:    map[string]attr.Value{":v0": n("1"), ":v1": n("2"), ":v2": n("3")},
			},
		},
		{
			name: "parenthesised or under and", kind: Select, table: "T",
			stmt: `SELECT * FROM T WHERE (a = 1 OR b = 2) AND c = 3`,
			in: expr.Input{
				Condition: "(#n0 = :v0 OR #n1 = :v1) AND #n2 = :v2",
				Names:     map[string]string{"#n0": "a", "#n1": "b", "#n2": "c"},
				Values:    map[string]attr.Value{":v0": n("1"), ":v1": n("2"), ":v2": n("3")},
			},
		},
		{
			name: "between, in, functions, is missing", kind: Select, table: "T",
			stmt:   `SELECT * FROM T WHERE a BETWEEN 1 AND 5 AND b IN ['x', ?] AND begins_with(c, 'p') AND CONTAINS(d, 'q') AND e IS MISSING AND f IS NOT MISSING AND attribute_exists(g) AND size(h) > 2 AND i IS STRING`,
			params: []attr.Value{s("y")},
			in: expr.Input{
				Condition: "#n0 BETWEEN :v0 AND :v1 AND #n1 IN (:v2, :v3) AND begins_with(#n2, :v4) AND contains(#n3, :v5) AND attribute_not_exists(#n4) AND attribute_exists(#n5) AND attribute_exists(#n6) AND size(#n7) > :v6 AND attribute_type(#n8, :v7)",
				Names:     map[string]string{"#n0": "a", "#n1": "b", "#n2": "c", "#n3": "d", "#n4": "e", "#n5": "f", "#n6": "g", "#n7": "h", "#n8": "i"},
				Values: map[string]attr.Value{":v0": n("1"), ":v1": n("5"), ":v2": s("x"), ":v3": s("y"), ":v4": s("p"),
					":v5": s("q"), ":v6": n("2"), ":v7": s("S")},
			},
		},
		{
			name: "not between and not in", kind: Select, table: "T",
			stmt: `SELECT * FROM T WHERE a NOT BETWEEN 1 AND 2 OR a NOT IN (3)`,
			in: expr.Input{
				Condition: "NOT (#n0 BETWEEN :v0 AND :v1) OR NOT (#n0 IN (:v2))",
				Names:     map[string]string{"#n0": "a"},
				Values:    map[string]attr.Value{":v0": n("1"), ":v1": n("2"), ":v2": n("3")},
			},
		},
		{
			name: "update set remove add delete returning", kind: Update, table: "T", ret: "UPDATED_NEW",
			stmt:   `UPDATE "T" SET a = a + 1, b = 'x' SET l = list_append(l, [1]) SET s = set_add(s, <<'a'>>) SET d = set_delete(d, <<1, 2>>) REMOVE c, m.k[0] WHERE pk = ? RETURNING MODIFIED NEW *`,
			params: []attr.Value{s("k")},
			in: expr.Input{
				Update:    "SET #n0 = #n0 + :v0, #n1 = :v1, #n2 = list_append(#n2, :v2) REMOVE #n5, #n6.#n7[0] ADD #n3 :v3 DELETE #n4 :v4",
				Condition: "#n8 = :v5",
				Names:     map[string]string{"#n0": "a", "#n1": "b", "#n2": "l", "#n3": "s", "#n4": "d", "#n5": "c", "#n6": "m", "#n7": "k", "#n8": "pk"},
				Values: map[string]attr.Value{":v0": n("1"), ":v1": s("x"), ":v2": {Kind: attr.L, List: []attr.Value{n("1")}},
					":v3": {Kind: attr.SS, Strs: []string{"a"}}, ":v4": {Kind: attr.NS, Strs: []string{"1", "2"}}, ":v5": s("k")},
			},
		},
		{
			name: "from-first update", kind: Update, table: "T",
			stmt: `FROM "T" WHERE pk = 'a' SET x = 1`,
			in: expr.Input{
				Update: "SET #n0 = :v0", Condition: "#n1 = :v1",
				Names:  map[string]string{"#n0": "x", "#n1": "pk"},
				Values: map[string]attr.Value{":v0": n("1"), ":v1": s("a")},
			},
		},
		{
			name: "delete returning", kind: Delete, table: "T", ret: "ALL_OLD",
			stmt: `DELETE FROM T WHERE pk = 'a' AND sk = -1.50 RETURNING ALL OLD *;`,
			in: expr.Input{
				Condition: "#n0 = :v0 AND #n1 = :v1",
				Names:     map[string]string{"#n0": "pk", "#n1": "sk"},
				Values:    map[string]attr.Value{":v0": s("a"), ":v1": n("-1.5")},
			},
		},
		{
			name: "exists", kind: Exists, table: "T",
			stmt: `EXISTS(SELECT * FROM T WHERE pk = 'a' AND x IS MISSING)`,
			in: expr.Input{
				Condition: "#n0 = :v0 AND attribute_not_exists(#n1)",
				Names:     map[string]string{"#n0": "pk", "#n1": "x"},
				Values:    map[string]attr.Value{":v0": s("a")},
			},
		},
		{
			name: "comments and lower case", kind: Select, table: "T",
			stmt: "select * -- all\n from T /* the table */ where pk = 'it''s'",
			in: expr.Input{
				Condition: "#n0 = :v0",
				Names:     map[string]string{"#n0": "pk"},
				Values:    map[string]attr.Value{":v0": s("it's")},
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st, err := Parse(tc.stmt, tc.params)
			if err != nil {
				t.Fatal(err)
			}
			if st.Kind != tc.kind || st.Table != tc.table || st.Index != tc.index || st.Returning != tc.ret {
				t.Fatalf("got kind %v table %q index %q returning %q", st.Kind, st.Table, st.Index, st.Returning)
			}
			in, err := st.Input()
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(in, tc.in) {
				t.Errorf("input\n got %+v\nwant %+v", in, tc.in)
			}
			if _, err := expr.Compile(in); err != nil {
				t.Errorf("expr does not compile the output: %v", err)
			}
		})
	}
}

func TestParseInsertItem(t *testing.T) {
	st, err := Parse(`INSERT INTO "T" VALUE {'pk': 'a', 'n': 1e2, 'b': true, 'z': null, 'l': [1, 'x', [false]], 'm': {'k': <<'s'>>}, 'ns': <<3, 1>>, 'p': ?}`,
		[]attr.Value{{Kind: attr.B, Bin: []byte{1}}})
	if err != nil {
		t.Fatal(err)
	}
	want := attr.Item{
		"pk": s("a"), "n": n("100"), "b": {Kind: attr.BOOL, Bool: true}, "z": {Kind: attr.NULL},
		"l":  {Kind: attr.L, List: []attr.Value{n("1"), s("x"), {Kind: attr.L, List: []attr.Value{{Kind: attr.BOOL}}}}},
		"m":  {Kind: attr.M, Map: map[string]attr.Value{"k": {Kind: attr.SS, Strs: []string{"s"}}}},
		"ns": {Kind: attr.NS, Strs: []string{"3", "1"}}, "p": {Kind: attr.B, Bin: []byte{1}},
	}
	if !reflect.DeepEqual(st.Item, want) {
		t.Errorf("item\n got %+v\nwant %+v", st.Item, want)
	}
}

func TestParseErrors(t *testing.T) {
	const wf = "Statement wasn't well formed, can't be processed: "
	cases := []struct {
		stmt   string
		params int
		msg    string
	}{
		{`SLECT * FROM "T"`, 0, wf + "Expected data manipulation"},
		{`SELECT * FROM "T" WHERE pk = 1 foo`, 0, wf + "Unexpected token after expression"},
		{`SELECT * FROM "T" WHERE pk = 1)`, 0, wf + "Unexpected token after expression"},
		{`INSERT INTO "T" VALUE {'pk': 1} foo`, 0, wf + "Unexpected token after expression"},
		{`DELETE FROM "T" WHERE pk = 1 ORDER BY pk`, 0, wf + "Unexpected token after expression"},
		{`SELECT * FROM "T" ORDER BY pk WHERE pk = 1`, 0, wf + "Unexpected token after expression"},
		{`SELECT * FROM "T" WHERE pk = 1 # note`, 0, wf},
		{`SELECT * FROM "T" WHERE pk = 1 /* note`, 0, wf},
		{`SELECT * FROM "T" t WHERE pk = 'x'`, 0, "Aliasing is not supported"},
		{`SELECT * FROM "T" AS t WHERE pk = 'x'`, 0, "Aliasing is not supported"},
		{`UPDATE "T" t SET a = 3 WHERE pk = 'x'`, 0, "Aliasing is not supported"},
		{`DELETE FROM "T" t WHERE pk = 'x'`, 0, "Aliasing is not supported"},
		{`INSERT INTO "T" t VALUE {'pk': 'x'}`, 0, wf + "Unexpected token after expression"},
		{`SELECT * FROM "T" WHERE pk = 1e126`, 0, "Number overflow. Attempting to store a number with magnitude larger than supported range under root"},
		{`SELECT * FROM "T" WHERE pk = 1e-131`, 0, "Number underflow. Attempting to store a number with magnitude smaller than supported range under root"},
		{`SELECT * FROM "T" WHERE pk = 123456789012345678901234567890123456789`, 0, "Attempting to store more than 38 significant digits in a Number under root"},
		{`INSERT INTO "T" VALUE {'pk': 1, 'm': {'x': 1e126}}`, 0, "Number overflow. Attempting to store a number with magnitude larger than supported range under root.x"},
		{`INSERT INTO "T" VALUE {'pk': 1, 'l': [1, 1e126]}`, 0, "Number overflow. Attempting to store a number with magnitude larger than supported range under root[1]"},
		{`SELECT * FROM "T" WHERE`, 0, wf + "Unexpected term"},
		{`SELECT * FROM "T" WHERE;`, 0, wf + "Unexpected term"},
		{`SELECT * FROM "T" WHERE NOT`, 0, wf + "Unexpected term"},
		{`SELECT * FROM "T" WHERE (`, 0, wf + "Unexpected term"},
		{`UPDATE "T" SET a = 1 WHERE`, 0, wf + "Unexpected term"},
		{`SELECT * FROM "T" WHERE pk = 'p1' AND`, 0, wf + "Missing right-hand side expression of infix operator"},
		{`SELECT * FROM "T" WHERE pk = 'p1' OR`, 0, wf + "Missing right-hand side expression of infix operator"},
		{`SELECT * FROM "T" WHERE ORDER BY pk`, 0, wf + "Unexpected keyword"},
		{`SELECT * FROM "T" WHERE pk = 'a' AND x IS FOO`, 0, wf + "Expected type name"},
		{`SELECT * FROM "T" WHERE x IS INT4`, 0, "Unsupported data type for IS operator: INT4. Supported data types are [MISSING, NULL, BOOLEAN, BLOB, STRING, NUMERIC, STRUCT, TUPLE, LIST]"},
		{`SELECT * FROM "T" WHERE IS NULL`, 0, wf + "Unexpected keyword"},
		{`DELETE FROM`, 0, wf + "Expected identifier for simple path"},
		{`DELETE FROM;`, 0, wf + "Expected identifier for simple path"},
		{`DELETE FROM WHERE pk = 'a'`, 0, wf + "Expected identifier for simple path"},
		{`SELECT * FROM`, 0, wf + "Unexpected term"},
		{`FROM "T" SET c = 1 WHERE pk = 'x'`, 0, wf + "Unexpected token after expression"},
		{`SELECT * FROM "T" WHERE pk = ?`, 0, "Number of parameters in request and statement don't match."},
		{`SELECT * FROM "T" WHERE pk = 'a'`, 1, "Number of parameters in request and statement don't match."},
		{`SELECT *, a FROM "T"`, 0, "Other attributes should not be present in the projection when '*' is used."},
		{`INSERT INTO "T" VALUE {'pk': 'a'} RETURNING ALL OLD *`, 0, "RETURNING is not supported in INSERT"},
		{`INSERT INTO "T" VALUE ['a']`, 0, "Unsupported format in item expression. Please use struct format {...} to express item values for insert statement."},
		{`DELETE FROM "T" WHERE pk = 'a' RETURNING ALL NEW *`, 0, "Invalid returning clause: RETURNING ALL NEW *. Only RETURNING ALL OLD * is allowed in DELETE statements."},
		{`UPDATE "T" SET a = 1 WHERE pk = 'a' RETURNING ALL NEW`, 0, "Expected '*' after ( MODIFIED | ALL ) ( NEW | OLD ) in RETURNING clause"},
		{`INSERT INTO "T" VALUE {'pk': 'a', 's': <<>>}`, 0, "Empty bags are not supported"},
		{`INSERT INTO "T" VALUE {'pk': 'a', 's': <<'a', 1>>}`, 0, "Unsupported data type in Bag. DynamoDB only supports either numbers or strings in bags"},
		{`INSERT INTO "T" VALUE {'pk': 'a', 's': <<?>>}`, 1, "Unsupported data type in Bag. DynamoDB only supports either numbers or strings in bags"},
		{`INSERT INTO "T" VALUE {'pk': 'a', 'pk': 'b'}`, 0, "Duplicate keys in tuple. Key: pk under root"},
		{`SELECT * FROM "T" WHERE a = MISSING`, 0, "MISSING must be compared using IS operator"},
		{`SELECT * FROM "T"."i"."j"`, 0, "A path may contain at most 2 components in the FROM clause"},
		{`UPDATE "T" SET [0] = 1 WHERE pk = 'a'`, 0, "A path cannot start with a list index"},
		{`SELECT * FROM "T" WHERE a LIKE 'x%'`, 0, "Unsupported operator in Condition Expression. Operator: LIKE"},
		{`SELECT * FROM "T" WHERE a IN []`, 0, "IN operator must have a left hand argument of type Variable Reference and right hand argument of type Seq with at least one member"},
	}
	for _, tc := range cases {
		t.Run(tc.stmt, func(t *testing.T) {
			params := make([]attr.Value, tc.params)
			for i := range params {
				params[i] = s("p")
			}
			_, err := Parse(tc.stmt, params)
			checkValidation(t, err, tc.msg)
		})
	}
}

func checkValidation(t *testing.T, err error, msg string) {
	t.Helper()
	var ae *awsapi.Error
	if !errors.As(err, &ae) {
		t.Fatalf("error %v, want ValidationException %q", err, msg)
	}
	if ae.Code != "ValidationException" || ae.Message != msg {
		t.Errorf("got %s %q\nwant ValidationException %q", ae.Code, ae.Message, msg)
	}
}

func TestCompileErrors(t *testing.T) {
	cases := []struct{ stmt, msg string }{
		{`UPDATE T SET s = set_add(t, <<'a'>>) WHERE pk = 'a'`, "The first argument to SET_ADD must equal the assignment value"},
		{`UPDATE T SET s = set_add(s, 'a') WHERE pk = 'a'`, "The second argument to SET_ADD must be a value with type SET"},
		{`UPDATE T SET s = set_delete(s) WHERE pk = 'a'`, "SET_DELETE must have exactly two arguments"},
		{`SELECT * FROM T WHERE nosuch(a)`, "Unrecognized function: nosuch"},
		{`SELECT * FROM T WHERE size(a)`, "The function is not allowed to be used this way in an expression; function: size"},
		{`SELECT * FROM T WHERE a`, "WHERE clause must contain an expression that resolves to a boolean"},
	}
	for _, tc := range cases {
		t.Run(tc.stmt, func(t *testing.T) {
			st, err := Parse(tc.stmt, nil)
			if err != nil {
				t.Fatal(err)
			}
			_, err = st.Input()
			checkValidation(t, err, tc.msg)
		})
	}
}

func TestKeys(t *testing.T) {
	cases := []struct {
		where    string
		full     string // error message, "" = ok
		hash     []string
		hashScan bool
	}{
		{"pk = 'a' AND sk = 1 AND x = 2", "", []string{"a"}, false},
		{"sk = 1 AND 'a' = pk", "", []string{"a"}, false},
		{"pk = 'a'", MsgIncompleteKey, []string{"a"}, false},
		{"pk = 'a' OR sk = 1", MsgIncompleteKey, nil, true},
		{"pk = 'a' AND pk = 'b' AND sk = 1", "Multiple conditions on same key pk. Only single item Update/Insert/Delete are supported", []string{"a"}, false},
		{"pk IN ['a', 'b', 'a'] AND sk > 1", MsgIncompleteKey, []string{"a", "b"}, false},
		{"(pk = 'a' OR pk = 'b') AND sk = 1", MsgIncompleteKey, []string{"a", "b"}, false},
		{"pk > 'a' AND sk = 1", MsgIncompleteKey, nil, true},
		{"NOT pk = 'a' AND sk = 1", MsgIncompleteKey, nil, true},
		{"pk.x = 'a' AND sk = 1", MsgIncompleteKey, nil, true},
	}
	for _, tc := range cases {
		t.Run(tc.where, func(t *testing.T) {
			st, err := Parse("SELECT * FROM T WHERE "+tc.where, nil)
			if err != nil {
				t.Fatal(err)
			}
			key, err := st.FullKey("pk", "sk")
			if tc.full != "" {
				checkValidation(t, err, tc.full)
			} else if err != nil || key["pk"].Str != "a" || key["sk"].Str != "1" {
				t.Errorf("FullKey = %v, %v", key, err)
			}
			vals, ok := st.HashValues("pk")
			if ok == tc.hashScan {
				t.Fatalf("HashValues ok = %v", ok)
			}
			var got []string
			for _, v := range vals {
				got = append(got, v.Str)
			}
			if strings.Join(got, ",") != strings.Join(tc.hash, ",") {
				t.Errorf("HashValues = %v, want %v", got, tc.hash)
			}
		})
	}
}

func BenchmarkParse(b *testing.B) {
	const stmt = `SELECT a, b.c[1] FROM "T" WHERE pk = ? AND sk BETWEEN 1 AND 100 AND (x = 'y' OR begins_with(z, 'p'))`
	params := []attr.Value{s("k")}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		st, err := Parse(stmt, params)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := st.Input(); err != nil {
			b.Fatal(err)
		}
	}
}
