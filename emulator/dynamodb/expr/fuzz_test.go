package expr

import (
	"testing"

	"github.com/slsx/slsx/emulator/dynamodb/attr"
)

func FuzzCompile(f *testing.F) {
	seeds := []string{
		"a = :v", "#n.b[1] <> :v", "a BETWEEN :v AND :w", "a IN (:v, :w)", "NOT (a = :v OR b < :w) AND c >= :v",
		"attribute_exists(a.b)", "begins_with(#n, :v)", "contains(a, :v)", "size(a) > :v", "attribute_type(a, :v)",
		"SET a = :v, b = b + :w REMOVE c[2] ADD d :v DELETE e :w", "SET a = if_not_exists(a, :v), l = list_append(l, :w)",
		"((a = :v))", "a = ", "a.b, c[0], #n", "foo(a)", "a[99999999999999999999]", "SET a[1].b.c = :v",
	}
	for _, s := range seeds {
		f.Add(s, uint8(0))
		f.Add(s, uint8(4))
	}
	v := attr.Value{Kind: attr.N, Str: "1"}
	w := attr.Value{Kind: attr.SS, Strs: []string{"a"}}
	it := attr.Item{"a": {Kind: attr.L, List: []attr.Value{v, w}}, "b": v, "l": {Kind: attr.L}, "e": w,
		"c": {Kind: attr.M, Map: map[string]attr.Value{"b": v}}, "x": {Kind: attr.S, Str: "hello"}}
	f.Fuzz(func(t *testing.T, src string, which uint8) {
		in := Input{Names: map[string]string{"#n": "a"}, Values: map[string]attr.Value{":v": v, ":w": w}}
		switch which % 5 {
		case 0:
			in.Condition = src
		case 1:
			in.Filter = src
		case 2:
			in.KeyCondition = src
		case 3:
			in.Projection = src
		case 4:
			in.Update = src
		}
		c, err := Compile(in)
		if err != nil {
			message(t, err) // must be a ValidationException
			return
		}
		_, _ = c.Condition(it)
		_, _ = c.Filter(it)
		_ = c.Project(it)
		if c.HasUpdate() {
			if _, err := c.Apply(it); err != nil {
				message(t, err)
			}
			_, _ = c.Apply(nil)
		}
		if in.KeyCondition != "" {
			_, _ = c.KeyCondition("a", "b")
		}
	})
}

func BenchmarkCompileCondition(b *testing.B) {
	in := Input{Condition: "attribute_not_exists(#pk) OR (#v < :max AND begins_with(sk, :p))",
		Names:  map[string]string{"#pk": "pk", "#v": "version"},
		Values: map[string]attr.Value{":max": {Kind: attr.N, Str: "10"}, ":p": {Kind: attr.S, Str: "ORDER#"}}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile(in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCompileUpdate(b *testing.B) {
	in := Input{Update: "SET #n = :n, updatedAt = :t, version = if_not_exists(version, :zero) + :one REMOVE draft ADD tags :tags",
		Names: map[string]string{"#n": "name"},
		Values: map[string]attr.Value{":n": {Kind: attr.S, Str: "x"}, ":t": {Kind: attr.N, Str: "1700000000"},
			":zero": {Kind: attr.N, Str: "0"}, ":one": {Kind: attr.N, Str: "1"}, ":tags": {Kind: attr.SS, Strs: []string{"a"}}}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile(in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCondition(b *testing.B) {
	c, err := Compile(Input{Condition: "attribute_exists(pk) AND version < :max AND contains(tags, :t) AND address.city = :c",
		Values: map[string]attr.Value{":max": {Kind: attr.N, Str: "10"}, ":t": {Kind: attr.S, Str: "b"}, ":c": {Kind: attr.S, Str: "London"}}})
	if err != nil {
		b.Fatal(err)
	}
	it := attr.Item{"pk": {Kind: attr.S, Str: "u#1"}, "version": {Kind: attr.N, Str: "3"},
		"tags":    {Kind: attr.SS, Strs: []string{"a", "b"}},
		"address": {Kind: attr.M, Map: map[string]attr.Value{"city": {Kind: attr.S, Str: "London"}}}}
	b.ReportAllocs()
	for b.Loop() {
		if ok, _ := c.Condition(it); !ok {
			b.Fatal("condition false")
		}
	}
}

func BenchmarkApply(b *testing.B) {
	c, err := Compile(Input{Update: "SET version = version + :one, #s = :s REMOVE draft",
		Names:  map[string]string{"#s": "status"},
		Values: map[string]attr.Value{":one": {Kind: attr.N, Str: "1"}, ":s": {Kind: attr.S, Str: "done"}}})
	if err != nil {
		b.Fatal(err)
	}
	it := attr.Item{"pk": {Kind: attr.S, Str: "u#1"}, "version": {Kind: attr.N, Str: "3"}, "draft": {Kind: attr.BOOL, Bool: true}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Apply(it); err != nil {
			b.Fatal(err)
		}
	}
}
