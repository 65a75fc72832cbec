package partiql

import (
	"errors"
	"testing"

	"github.com/slsx/slsx/emulator/awsapi"
	"github.com/slsx/slsx/emulator/dynamodb/attr"
	"github.com/slsx/slsx/emulator/dynamodb/expr"
)

// FuzzParse checks that any statement either parses into expressions the
// expr package accepts or fails with a ValidationException, never a panic.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`SELECT * FROM "T" WHERE pk = 'a' AND sk BETWEEN 1 AND 5`,
		`SELECT a.b[1], c FROM T."idx" WHERE x IN ['a', 'b'] OR NOT begins_with(y, 'p') ORDER BY pk DESC`,
		`INSERT INTO "T" VALUE {'pk': 'a', 'l': [1, {'m': <<'x'>>}], 'n': -1.5e3, 'q': ?}`,
		`UPDATE "T" SET a = a + 1, l = list_append(l, [2]) SET s = set_add(s, <<1>>) REMOVE b WHERE pk = ? RETURNING ALL NEW *`,
		`DELETE FROM T WHERE pk = 'a' AND x IS NOT MISSING RETURNING ALL OLD *`,
		`EXISTS(SELECT * FROM T WHERE pk = 'a' AND v IS MISSING)`,
		`FROM "T" WHERE pk = 'a' REMOVE x`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, stmt string) {
		st, err := Parse(stmt, []attr.Value{{Kind: attr.S, Str: "p"}})
		var ae *awsapi.Error
		if err != nil {
			if !errors.As(err, &ae) || ae.Code != "ValidationException" {
				t.Fatalf("Parse(%q): %v", stmt, err)
			}
			return
		}
		in, err := st.Input()
		if err != nil {
			if !errors.As(err, &ae) || ae.Code != "ValidationException" {
				t.Fatalf("Input(%q): %v", stmt, err)
			}
			return
		}
		if _, err := expr.Compile(in); err != nil && (!errors.As(err, &ae) || ae.Code != "ValidationException") {
			t.Fatalf("Compile(%q): %v", stmt, err)
		}
	})
}
