package expr

import (
	"strings"
	"testing"

	"github.com/slsx/slsx/emulator/dynamodb/attr"
)

const updValues = `{":v":{"S":"new"}, ":one":{"N":"1"}, ":half":{"N":"0.5"}, ":neg":{"N":"-10"}, ":l":{"L":[{"S":"z"}]},
 ":ss":{"SS":["b","c"]}, ":ns":{"NS":["2","3"]}, ":bs":{"BS":["Ag=="]}, ":sa":{"SS":["a"]}, ":sab":{"SS":["a","b"]}, ":big":{"N":"9.9999999999999999999999999999999999999E+125"},
 ":m":{"M":{}}}`

func TestApply(t *testing.T) {
	base := `{"id":{"S":"k"},"n":{"N":"5"},"s":{"S":"x"},"ss":{"SS":["a","b"]},"ns":{"NS":["1"]},"bs":{"BS":["AQ=="]},
 "l":{"L":[{"N":"0"},{"N":"1"},{"N":"2"},{"N":"3"}]},"m":{"M":{"a":{"N":"1"},"l":{"L":[{"S":"p"}]}}}}`
	tests := []struct {
		name, expr, item, want string
		names                  map[string]string
		upd                    []string
	}{
		{"set new", "SET a = :v", base, `{"a":{"S":"new"}}`, nil, []string{"a"}},
		{"set replace", "SET s = :v", base, `{"s":{"S":"new"}}`, nil, nil},
		{"set missing item", "SET a = :v", "", `{"a":{"S":"new"}}`, nil, nil},
		{"set plus", "SET n = n + :one", base, `{"n":{"N":"6"}}`, nil, nil},
		{"set minus", "SET n = n - :half", base, `{"n":{"N":"4.5"}}`, nil, nil},
		{"set minus neg", "SET n = :one - :neg", base, `{"n":{"N":"11"}}`, nil, nil},
		{"set copy", "SET c = s", base, `{"c":{"S":"x"}}`, nil, nil},
		{"set if_not_exists missing", "SET c = if_not_exists(c, :one)", base, `{"c":{"N":"1"}}`, nil, nil},
		{"set if_not_exists present", "SET n = if_not_exists(n, :one)", base, `{"n":{"N":"5"}}`, nil, nil},
		{"set counter", "SET c = if_not_exists(c, :half) + :one", base, `{"c":{"N":"1.5"}}`, nil, nil},
		{"set list_append", "SET l = list_append(l, :l)", base, `{"l":{"L":[{"N":"0"},{"N":"1"},{"N":"2"},{"N":"3"},{"S":"z"}]}}`, nil, nil},
		{"set list_prepend", "SET m.l = list_append(:l, m.l)", base, `{"m":{"M":{"a":{"N":"1"},"l":{"L":[{"S":"z"},{"S":"p"}]}}}}`, nil, nil},
		{"set nested", "SET m.b = :v", base, `{"m":{"M":{"a":{"N":"1"},"b":{"S":"new"},"l":{"L":[{"S":"p"}]}}}}`, nil, []string{"m"}},
		{"set list index", "SET l[1] = :v", base, `{"l":{"L":[{"N":"0"},{"S":"new"},{"N":"2"},{"N":"3"}]}}`, nil, nil},
		{"set list append index", "SET l[10] = :v, l[7] = :one", base, `{"l":{"L":[{"N":"0"},{"N":"1"},{"N":"2"},{"N":"3"},{"N":"1"},{"S":"new"}]}}`, nil, nil},
		{"set nested list", "SET m.l[0] = :v", base, `{"m":{"M":{"a":{"N":"1"},"l":{"L":[{"S":"new"}]}}}}`, nil, nil},
		{"set swap", "SET n = s, s = n", base, `{"n":{"S":"x"},"s":{"N":"5"}}`, nil, nil},
		{"set placeholder", "SET #a.#b = :v", base, `{"m":{"M":{"a":{"N":"1"},"l":{"L":[{"S":"p"}]},"x.y":{"S":"new"}}}}`, map[string]string{"#a": "m", "#b": "x.y"}, nil},
		{"set empty map", "SET e = :m", base, `{"e":{"M":{}}}`, nil, nil},
		{"remove", "REMOVE s, nope", base, `{"s":null}`, nil, nil},
		{"remove nested", "REMOVE m.a", base, `{"m":{"M":{"l":{"L":[{"S":"p"}]}}}}`, nil, nil},
		{"remove list shift", "REMOVE l[1], l[2]", base, `{"l":{"L":[{"N":"0"},{"N":"3"}]}}`, nil, nil},
		{"remove list out of range", "REMOVE l[9]", base, `{"l":{"L":[{"N":"0"},{"N":"1"},{"N":"2"},{"N":"3"}]}}`, nil, nil},
		{"remove missing parent", "REMOVE q.r", base, `{}`, nil, nil},
		{"add number", "ADD n :one", base, `{"n":{"N":"6"}}`, nil, nil},
		{"add number missing", "ADD c :half", base, `{"c":{"N":"0.5"}}`, nil, nil},
		{"add set union", "ADD ss :ss", base, `{"ss":{"SS":["a","b","c"]}}`, nil, nil},
		{"add ns union", "ADD ns :ns", base, `{"ns":{"NS":["1","2","3"]}}`, nil, nil},
		{"add bs union", "ADD bs :bs", base, `{"bs":{"BS":["AQ==","Ag=="]}}`, nil, nil},
		{"add set missing", "ADD c :ss", base, `{"c":{"SS":["b","c"]}}`, nil, nil},
		{"add nested", "ADD m.a :one", base, `{"m":{"M":{"a":{"N":"2"},"l":{"L":[{"S":"p"}]}}}}`, nil, nil},
		{"delete", "DELETE ss :sa", base, `{"ss":{"SS":["b"]}}`, nil, nil},
		{"delete last", "DELETE ss :sab", base, `{"ss":null}`, nil, nil},
		{"delete missing", "DELETE c :sa", base, `{}`, nil, nil},
		{"all sections", "SET a = :v REMOVE s ADD n :one DELETE ss :sa", base, `{"a":{"S":"new"},"s":null,"n":{"N":"6"},"ss":{"SS":["b"]}}`, nil, []string{"a", "s", "n", "ss"}},
		{"lower case keywords", "set a = :v remove s", base, `{"a":{"S":"new"},"s":null}`, nil, nil},
	}
	vals := values(t, updValues)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := Input{Update: tt.expr, Names: tt.names, Values: usedValues(tt.expr, vals)}
			c, err := Compile(in)
			if err != nil {
				t.Fatalf("Compile: %v", err)
			}
			orig := item(t, tt.item)
			before := string(attr.AppendItemJSON(nil, orig))
			got, err := c.Apply(orig)
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			if after := string(attr.AppendItemJSON(nil, orig)); after != before {
				t.Errorf("Apply modified its input:\n%s\n%s", before, after)
			}
			// want lists the attributes that changed; null = removed.
			var wantMap map[string]*attr.Value
			if err := jsonUnmarshal(tt.want, &wantMap); err != nil {
				t.Fatal(err)
			}
			for k, w := range wantMap {
				g, ok := got[k]
				switch {
				case w == nil && ok:
					t.Errorf("%s still present: %s", k, attr.AppendJSON(nil, g))
				case w != nil && (!ok || string(attr.AppendJSON(nil, g)) != string(attr.AppendJSON(nil, *w))):
					t.Errorf("%s = %s, want %s", k, attr.AppendJSON(nil, g), attr.AppendJSON(nil, *w))
				}
			}
			for k, v := range orig {
				if _, listed := wantMap[k]; !listed {
					if g, ok := got[k]; !ok || !attr.Equal(g, v) {
						t.Errorf("untouched %s changed", k)
					}
				}
			}
			if tt.upd != nil && strings.Join(c.UpdatedPaths(), ",") != strings.Join(tt.upd, ",") {
				t.Errorf("UpdatedPaths = %v, want %v", c.UpdatedPaths(), tt.upd)
			}
		})
	}
}

func usedValues(expr string, all map[string]attr.Value) map[string]attr.Value {
	out := map[string]attr.Value{}
	for _, tk := range lex(expr, nil) {
		if v, ok := all[tk.text]; ok && tk.kind == tValue {
			out[tk.text] = v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func TestApplyErrors(t *testing.T) {
	base := `{"id":{"S":"k"},"n":{"N":"5"},"s":{"S":"x"},"ss":{"SS":["a"]},"l":{"L":[]},"m":{"M":{}}}`
	tests := []struct{ expr, want string }{
		{"SET a = nope", "Invalid UpdateExpression: The provided expression refers to an attribute that does not exist in the item"},
		{"SET a = nope + :one", "Invalid UpdateExpression: The provided expression refers to an attribute that does not exist in the item"},
		{"SET a = list_append(nope, :l)", "Invalid UpdateExpression: The provided expression refers to an attribute that does not exist in the item"},
		{"SET a = s + :one", "An operand in the update expression has an incorrect data type"},
		{"SET a = list_append(s, :l)", "An operand in the update expression has an incorrect data type"},
		{"SET q.r = :v", "The document path provided in the update expression is invalid for update"},
		{"SET s.r = :v", "The document path provided in the update expression is invalid for update"},
		{"SET m[0] = :v", "The document path provided in the update expression is invalid for update"},
		{"SET l[0].x = :v", "The document path provided in the update expression is invalid for update"},
		{"ADD q.r :one", "The document path provided in the update expression is invalid for update"},
		{"ADD s :one", "An operand in the update expression has an incorrect data type"},
		{"ADD ss :ns", "An operand in the update expression has an incorrect data type"},
		{"ADD n :ss", "An operand in the update expression has an incorrect data type"},
		{"DELETE ss :ns", "An operand in the update expression has an incorrect data type"},
		{"SET n = :big + :big", "Number overflow. Attempting to store a number with magnitude larger than supported range"},
		{"ADD n :big", "Attempting to store more than 38 significant digits in a Number"},
	}
	vals := values(t, updValues)
	for _, tt := range tests {
		c, err := Compile(Input{Update: tt.expr, Values: usedValues(tt.expr, vals)})
		if err != nil {
			t.Errorf("Compile(%q): %v", tt.expr, err)
			continue
		}
		_, err = c.Apply(item(t, base))
		if err == nil {
			t.Errorf("Apply(%q) succeeded, want %q", tt.expr, tt.want)
			continue
		}
		if got := message(t, err); got != tt.want {
			t.Errorf("Apply(%q) = %q, want %q", tt.expr, got, tt.want)
		}
	}
}

func TestProject(t *testing.T) {
	it := `{"id":{"S":"k"},"a":{"M":{"b":{"N":"1"},"c":{"N":"2"}}},"l":{"L":[{"S":"0"},{"S":"1"},{"M":{"x":{"S":"y"},"z":{"S":"w"}}}]},"s":{"S":"x"}}`
	tests := []struct{ expr, want string }{
		{"id", `{"id":{"S":"k"}}`},
		{"id, s, nope", `{"id":{"S":"k"},"s":{"S":"x"}}`},
		{"a.b", `{"a":{"M":{"b":{"N":"1"}}}}`},
		{"a.b, a.c", `{"a":{"M":{"b":{"N":"1"},"c":{"N":"2"}}}}`},
		{"a.nope", `{}`},
		{"l[1]", `{"l":{"L":[{"S":"1"}]}}`},
		{"l[2], l[0]", `{"l":{"L":[{"S":"0"},{"M":{"x":{"S":"y"},"z":{"S":"w"}}}]}}`},
		{"l[2].x", `{"l":{"L":[{"M":{"x":{"S":"y"}}}]}}`},
		{"l[7], s.x", `{}`},
		{"#k", `{"id":{"S":"k"}}`},
	}
	for _, tt := range tests {
		in := Input{Projection: tt.expr}
		if strings.Contains(tt.expr, "#k") {
			in.Names = map[string]string{"#k": "id"}
		}
		c, err := Compile(in)
		if err != nil {
			t.Errorf("Compile(%q): %v", tt.expr, err)
			continue
		}
		got := string(attr.AppendItemJSON(nil, c.Project(item(t, it))))
		if got != tt.want {
			t.Errorf("Project(%q) = %s, want %s", tt.expr, got, tt.want)
		}
	}
	c, _ := Compile(Input{Condition: "attribute_exists(id)"})
	if got := c.Project(item(t, it)); len(got) != 4 {
		t.Errorf("no projection returned %d attributes", len(got))
	}
}

func TestKeyCondition(t *testing.T) {
	vals := `{":h":{"S":"u1"},":a":{"N":"1"},":b":{"N":"5"},":p":{"S":"ab"}}`
	tests := []struct {
		expr, hash, rng string
		wantOp          string
		err             string
	}{
		{"pk = :h", "pk", "sk", "", ""},
		{":h = pk", "pk", "sk", "", ""},
		{"pk = :h AND sk > :a", "pk", "sk", ">", ""},
		{"pk = :h AND :a < sk", "pk", "sk", ">", ""},
		{"sk <= :a AND pk = :h", "pk", "sk", "<=", ""},
		{"(pk = :h) AND (sk BETWEEN :a AND :b)", "pk", "sk", "BETWEEN", ""},
		{"pk = :h AND begins_with(sk, :p)", "pk", "sk", "begins_with", ""},
		{"#p = :h AND sk = :a", "pk", "sk", "=", ""},
		{"sk = :a", "pk", "sk", "", "Query condition missed key schema element: pk"},
		{"pk = :h AND foo = :a", "pk", "sk", "", "Query condition missed key schema element: sk"},
		{"pk = :h AND foo = :a", "pk", "", "", "Query key condition not supported"},
		{"pk > :h", "pk", "sk", "", "Query key condition not supported"},
		{"pk = :h AND pk = :h", "pk", "sk", "", "Invalid KeyConditionExpression: KeyConditionExpressions must only contain one condition per key"},
		{"pk = :h AND sk = foo", "pk", "sk", "", "Invalid KeyConditionExpression: Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition"},
		{"pk = :h AND :a = :b", "pk", "sk", "", "Invalid KeyConditionExpression: Invalid condition in KeyConditionExpression: No key attribute specified"},
		{"pk = :h AND begins_with(:p, sk)", "pk", "sk", "", "Invalid KeyConditionExpression: Invalid condition in KeyConditionExpression: begins_with operator must have the key attribute as its first operand"},
	}
	all := values(t, vals)
	for _, tt := range tests {
		in := Input{KeyCondition: tt.expr, Values: usedValues(tt.expr, all)}
		if strings.Contains(tt.expr, "#p") {
			in.Names = map[string]string{"#p": "pk"}
		}
		c, err := Compile(in)
		if err != nil {
			t.Errorf("Compile(%q): %v", tt.expr, err)
			continue
		}
		kc, err := c.KeyCondition(tt.hash, tt.rng)
		if tt.err != "" {
			if err == nil {
				t.Errorf("KeyCondition(%q) succeeded, want %q", tt.expr, tt.err)
			} else if got := message(t, err); got != tt.err {
				t.Errorf("KeyCondition(%q) = %q, want %q", tt.expr, got, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("KeyCondition(%q): %v", tt.expr, err)
			continue
		}
		if kc.Hash.Str != "u1" {
			t.Errorf("KeyCondition(%q).Hash = %v", tt.expr, kc.Hash)
		}
		if tt.wantOp == "" && kc.Sort != nil || tt.wantOp != "" && (kc.Sort == nil || kc.Sort.Op != tt.wantOp) {
			t.Errorf("KeyCondition(%q).Sort = %+v, want op %q", tt.expr, kc.Sort, tt.wantOp)
		}
	}
}

func TestSortCondMatch(t *testing.T) {
	n := func(s string) attr.Value { return attr.Value{Kind: attr.N, Str: s} }
	s := func(x string) attr.Value { return attr.Value{Kind: attr.S, Str: x} }
	tests := []struct {
		c    SortCond
		v    attr.Value
		want bool
	}{
		{SortCond{Op: "=", A: n("1")}, n("1.0"), true},
		{SortCond{Op: "<", A: n("10")}, n("9"), true},
		{SortCond{Op: "<=", A: n("10")}, n("10"), true},
		{SortCond{Op: ">", A: n("10")}, n("10"), false},
		{SortCond{Op: ">=", A: n("10")}, n("11"), true},
		{SortCond{Op: "BETWEEN", A: n("1"), B: n("5")}, n("5"), true},
		{SortCond{Op: "BETWEEN", A: n("1"), B: n("5")}, n("6"), false},
		{SortCond{Op: "begins_with", A: s("ab")}, s("abc"), true},
		{SortCond{Op: "begins_with", A: s("ab")}, s("a"), false},
		{SortCond{Op: "=", A: s("1")}, n("1"), false},
	}
	for _, tt := range tests {
		if got := tt.c.Match(tt.v); got != tt.want {
			t.Errorf("%+v.Match(%v) = %v", tt.c, tt.v, got)
		}
	}
	var none *SortCond
	if !none.Match(n("1")) {
		t.Error("nil SortCond must match")
	}
}
