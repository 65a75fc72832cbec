package expr

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/slsx/slsx/emulator/awsapi"
	"github.com/slsx/slsx/emulator/dynamodb/attr"
)

// item decodes a wire-JSON item, failing the test on error.
func item(t testing.TB, s string) attr.Item {
	t.Helper()
	if s == "" {
		return nil
	}
	it, err := attr.DecodeItem([]byte(s))
	if err != nil {
		t.Fatalf("decode %s: %v", s, err)
	}
	return it
}

func values(t testing.TB, s string) map[string]attr.Value {
	t.Helper()
	if s == "" {
		return nil
	}
	return map[string]attr.Value(item(t, s))
}

func names(s string) map[string]string {
	if s == "" {
		return nil
	}
	m := map[string]string{}
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		panic(err)
	}
	return m
}

func message(t testing.TB, err error) string {
	t.Helper()
	var ae *awsapi.Error
	if !errors.As(err, &ae) {
		t.Fatalf("error %v (%T) is not *awsapi.Error", err, err)
	}
	if ae.Code != "ValidationException" || ae.Status != 400 {
		t.Errorf("error code %s status %d", ae.Code, ae.Status)
	}
	return ae.Message
}

const doc = `{
 "id":{"S":"abc"}, "n":{"N":"5"}, "f":{"N":"2.5"}, "s":{"S":"hello world"}, "b":{"B":"AQIDBA=="},
 "t":{"BOOL":true}, "z":{"NULL":true}, "ss":{"SS":["a","b"]}, "ns":{"NS":["1","2"]}, "bs":{"BS":["AQ=="]},
 "l":{"L":[{"S":"x"},{"N":"1"},{"M":{"deep":{"S":"y"}}}]},
 "m":{"M":{"k":{"S":"v"},"n":{"N":"10"},"sb":{"M":{"x":{"N":"1"}}}}},
 "dotted.name":{"S":"dot"}, "Status":{"S":"open"}
}`

const docValues = `{
 ":five":{"N":"5"}, ":fivep0":{"N":"5.0"}, ":one":{"N":"1"}, ":ten":{"N":"10"}, ":hello":{"S":"hello"}, ":world":{"S":"world"},
 ":abc":{"S":"abc"}, ":a":{"S":"a"}, ":x":{"S":"x"}, ":b01":{"B":"AQI="}, ":true":{"BOOL":true}, ":null":{"NULL":true},
 ":tS":{"S":"S"}, ":tN":{"S":"N"}, ":tM":{"S":"M"}, ":tSS":{"S":"SS"}, ":list":{"L":[{"S":"x"}]}, ":ssab":{"SS":["b","a"]},
 ":two":{"N":"2"}, ":open":{"S":"open"}, ":dot":{"S":"dot"}, ":y":{"S":"y"}, ":eleven":{"N":"11"}
}`

func TestConditionEvaluation(t *testing.T) {
	it := item(t, doc)
	vals := values(t, docValues)
	tests := []struct {
		expr string
		want bool
	}{
		{"n = :five", true},
		{"n = :fivep0", true},
		{"n <> :five", false},
		{"n <> :one", true},
		{"nope <> :one", true},
		{"nope = :one", false},
		{"n < :ten", true},
		{"n <= :five", true},
		{"n > :five", false},
		{"n >= :five", true},
		{"f < :five", true},
		{"s > :abc", true},
		{"s < :five", false},
		{"nope < :five", false},
		{"n BETWEEN :one AND :ten", true},
		{"n BETWEEN :one AND :two", false},
		{"n BETWEEN :hello AND :world", false},
		{"n IN (:one, :five)", true},
		{"n IN (:one, :two)", false},
		{"s IN (:hello)", false},
		{"attribute_exists(n)", true},
		{"attribute_exists(z)", true},
		{"attribute_exists(nope)", false},
		{"attribute_not_exists(nope)", true},
		{"attribute_exists(m.k)", true},
		{"attribute_exists(m.sb.x)", true},
		{"attribute_exists(m.nope)", false},
		{"attribute_exists(l[2].deep)", true},
		{"attribute_exists(l[3])", false},
		{"attribute_exists(n.x)", false},
		{"attribute_exists(m[0])", false},
		{"attribute_type(n, :tN)", true},
		{"attribute_type(m, :tM)", true},
		{"attribute_type(ss, :tSS)", true},
		{"attribute_type(s, :tN)", false},
		{"begins_with(s, :hello)", true},
		{"begins_with(s, :world)", false},
		{"begins_with(b, :b01)", true},
		{"begins_with(n, :hello)", false},
		{"contains(s, :world)", true},
		{"contains(s, :abc)", false},
		{"contains(ss, :a)", true},
		{"contains(ss, :x)", false},
		{"contains(ns, :one)", true},
		{"contains(ns, :a)", false},
		{"contains(l, :x)", true},
		{"contains(l, :one)", true},
		{"contains(l, :a)", false},
		{"contains(b, :b01)", true},
		{"size(s) = :eleven", true},
		{"size(ss) = :two", true},
		{"size(l) > :two", true},
		{"size(m) = :two", false},
		{"size(b) > :one", true},
		{"size(n) = :one", false},
		{"size(nope) = :one", false},
		{"size(:hello) = :five", true},
		{"m.k = :x", false},
		{"l[0] = :x", true},
		{"l[2].deep = :y", true},
		{"#st = :open", true},
		{"#d = :dot", true},
		{"t = :true", true},
		{"z = :null", true},
		{"ss = :ssab", true},
		{"n = :five AND s = :x", false},
		{"n = :five OR s = :x", true},
		{"NOT n = :five", false},
		{"NOT (n = :one)", true},
		{"not n = :one and n = :five", true},
		{"n = :one OR n = :five AND s = :x", false},
		{"(n = :one OR n = :five) AND s = :x", false},
		{"n = :five OR n = :one AND s = :x", true},
		{"(n) = :five", true},
		{"n = (:five)", true},
		{"((n) = :five)", true},
		{"NOT NOT n = :five", true},
		{"n=:five", true},
		{"\tn\n=\r:five ", true},
		{"n BETWEEN :five AND :five", true},
		{"NOT attribute_exists(nope) AND size(l) BETWEEN :one AND :five", true},
	}
	for _, tt := range tests {
		c, err := compileCond(tt.expr, vals)
		if err != nil {
			t.Errorf("Compile(%q): %v", tt.expr, err)
			continue
		}
		got, err := c.Condition(it)
		if err != nil || got != tt.want {
			t.Errorf("Condition(%q) = %v, %v; want %v", tt.expr, got, err, tt.want)
		}
		got, _ = c.Condition(nil)
		if tt.expr == "nope <> :one" && !got {
			t.Errorf("Condition(%q) on nope item = false", tt.expr)
		}
	}
}

// compileCond compiles one condition, defining only the placeholders it uses.
func compileCond(expr string, vals map[string]attr.Value) (*Compiled, error) {
	in := Input{Condition: expr, Values: map[string]attr.Value{}}
	toks := lex(expr, nil)
	for _, tk := range toks {
		if tk.kind == tValue {
			if v, ok := vals[tk.text]; ok {
				in.Values[tk.text] = v
			}
		}
		if tk.kind == tName {
			if in.Names == nil {
				in.Names = map[string]string{}
			}
			in.Names[tk.text] = map[string]string{"#st": "Status", "#d": "dotted.name"}[tk.text]
		}
	}
	if len(in.Values) == 0 {
		in.Values = nil
	}
	return Compile(in)
}

func TestCompileErrors(t *testing.T) {
	vals := `{":v":{"N":"1"},":w":{"S":"a"},":s":{"S":"x"},":n":{"N":"5"},":l":{"L":[]},":t":{"S":"S"},":bad":{"S":"STRING"},":bool":{"BOOL":true}}`
	many := "a IN (" + strings.TrimSuffix(strings.Repeat(":v,", 101), ",") + ")"
	tests := []struct {
		name   string
		in     Input
		values string // ExpressionAttributeValues JSON
		want   string
	}{
		{"syntax eof", Input{Condition: "a ="}, vals, `Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "="`},
		{"syntax token", Input{Condition: "a = = :v"}, vals, `Invalid ConditionExpression: Syntax error; token: "=", near: "= = :v"`},
		{"syntax dash", Input{Projection: "user-name"}, "", `Invalid ProjectionExpression: Syntax error; token: "-", near: "user-name"`},
		{"syntax bare operand", Input{Condition: "a"}, "", `Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "a"`},
		{"syntax bad char", Input{Condition: "a = @v"}, "", `Invalid ConditionExpression: Syntax error; token: "@", near: "= @v"`},
		{"syntax empty IN", Input{Condition: "a IN ()"}, "", `Invalid ConditionExpression: Syntax error; token: ")", near: "()"`},
		{"syntax number literal", Input{Update: "SET a = b + 1"}, "", `Invalid UpdateExpression: Syntax error; token: "1", near: "+ 1"`},
		{"syntax update keyword", Input{Update: "PUT a = :v"}, vals, `Invalid UpdateExpression: Syntax error; token: "PUT", near: "PUT a"`},
		{"syntax and operand", Input{Condition: "a AND b = :v"}, vals, `Invalid ConditionExpression: Syntax error; token: "AND", near: "a AND b"`},
		{"empty condition", Input{Condition: "  "}, "", `Invalid ConditionExpression: The expression can not be empty;`},
		{"empty update", Input{Update: " "}, "", `Invalid UpdateExpression: The expression can not be empty;`},
		{"too long", Input{Condition: "a = :v" + strings.Repeat(" ", 4096)}, vals, `Invalid ConditionExpression: Expression size has exceeded the maximum allowed size; expression size: 4102`},
		{"redundant parens", Input{Condition: "((a = :v))"}, vals, `Invalid ConditionExpression: The expression has redundant parentheses;`},
		{"redundant operand parens", Input{Condition: "((a)) = :v"}, vals, `Invalid ConditionExpression: The expression has redundant parentheses;`},
		{"unknown function", Input{Condition: "foo(a)"}, "", `Invalid ConditionExpression: Invalid function name; function: foo`},
		{"function case", Input{Condition: "SIZE(a) = :v"}, vals, `Invalid ConditionExpression: Invalid function name; function: SIZE`},
		{"size as condition", Input{Condition: "size(a)"}, "", `Invalid ConditionExpression: The function is not allowed to be used this way in an expression; function: size`},
		{"function as operand", Input{Condition: "attribute_exists(a) = :v"}, vals, `Invalid ConditionExpression: The function is not allowed to be used this way in an expression; function: attribute_exists`},
		{"update func in condition", Input{Condition: "if_not_exists(a, :v) = :v"}, vals, `Invalid ConditionExpression: The function is not allowed to be used this way in an expression; function: if_not_exists`},
		{"reserved", Input{Condition: "name = :v"}, vals, `Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: name`},
		{"reserved nested", Input{Condition: "a.Status = :v"}, vals, `Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: Status`},
		{"reserved projection", Input{Projection: "id, size"}, "", `Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: size`},
		{"undefined name", Input{Condition: "#x = :v"}, vals, `Invalid ConditionExpression: An expression attribute name used in the document path is not defined; attribute name: #x`},
		{"undefined value", Input{Condition: "a = :zz"}, vals, `Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :zz`},
		{"arity", Input{Condition: "begins_with(a)"}, "", `Invalid ConditionExpression: Incorrect number of operands for operator or function; operator or function: begins_with, number of operands: 1`},
		{"arity zero", Input{Condition: "attribute_exists()"}, "", `Invalid ConditionExpression: Incorrect number of operands for operator or function; operator or function: attribute_exists, number of operands: 0`},
		{"in too many", Input{Condition: many}, `{":v":{"N":"1"}}`, `Invalid ConditionExpression: Incorrect number of operands for operator or function; operator or function: IN, number of operands: 101`},
		{"distinct", Input{Condition: "a = a"}, "", `Invalid ConditionExpression: The first operand must be distinct from the remaining operands for this operator or function; operator: =, first operand: [a]`},
		{"distinct contains", Input{Condition: "contains(a.b, a.b)"}, "", `Invalid ConditionExpression: The first operand must be distinct from the remaining operands for this operator or function; operator: contains, first operand: [a, b]`},
		{"requires path", Input{Condition: "attribute_exists(:v)"}, vals, `Invalid ConditionExpression: Operator or function requires a document path; operator or function: attribute_exists`},
		{"begins_with number", Input{Condition: "begins_with(a, :n)"}, vals, `Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N`},
		{"attribute_type type", Input{Condition: "attribute_type(a, :n)"}, vals, `Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: attribute_type, operand type: N`},
		{"attribute_type name", Input{Condition: "attribute_type(a, :bad)"}, vals, `Invalid ConditionExpression: Invalid attribute type name found; type: STRING, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}`},
		{"size literal", Input{Condition: "size(:n) = :v"}, vals, `Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: size, operand type: N`},
		{"between types", Input{Condition: "a BETWEEN :v AND :w"}, vals, `Invalid ConditionExpression: The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: {N:1}, upper bound operand: AttributeValue: {S:a}`},
		{"between order", Input{Condition: "a BETWEEN :n AND :v"}, vals, `Invalid ConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {N:5}, upper bound operand: AttributeValue: {N:1}`},
		{"less than list", Input{Condition: "a < :l"}, vals, `Invalid ConditionExpression: Incorrect operand type for operator or function; operator: <, operand type: L`},
		{"unused value", Input{Condition: "a = :v"}, `{":v":{"N":"1"},":x":{"N":"2"},":b":{"N":"2"}}`, `Value provided in ExpressionAttributeValues unused in expressions: keys: {:b, :x}`},
		{"unused name", Input{Condition: "a = :v", Names: map[string]string{"#a": "a"}}, `{":v":{"N":"1"}}`, `Value provided in ExpressionAttributeNames unused in expressions: keys: {#a}`},
		{"names before values unused", Input{Condition: "a = :v", Names: map[string]string{"#a": "a"}}, `{":v":{"N":"1"},":x":{"N":"1"}}`, `Value provided in ExpressionAttributeNames unused in expressions: keys: {#a}`},
		{"empty names", Input{Condition: "a = :v", Names: map[string]string{}}, `{":v":{"N":"1"}}`, `ExpressionAttributeNames must not be empty`},
		{"empty values", Input{Condition: "a = b", Values: map[string]attr.Value{}}, "", `ExpressionAttributeValues must not be empty`},
		{"bad name key", Input{Condition: "a = b", Names: map[string]string{"id": "x"}}, "", `ExpressionAttributeNames contains invalid key: Syntax error; key: "id"`},
		{"bad value key", Input{Condition: "a = b"}, `{"v":{"N":"1"}}`, `ExpressionAttributeValues contains invalid key: Syntax error; key: "v"`},
		{"names without expressions", Input{Names: map[string]string{"#a": "a"}}, "", `ExpressionAttributeNames can only be specified when using expressions`},
		{"values without expressions", Input{Projection: "a"}, `{":v":{"N":"1"}}`, `ExpressionAttributeValues can only be specified when using expressions: ConditionExpression is null`},
		{"values without expressions update", Input{Operation: "UpdateItem"}, `{":v":{"N":"1"}}`, `ExpressionAttributeValues can only be specified when using expressions: UpdateExpression and ConditionExpression are null`},
		// Update expressions.
		{"update overlap", Input{Update: "SET a = :v, a.b = :v"}, vals, `Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, b]`},
		{"update overlap reverse", Input{Update: "SET a.b = :v REMOVE a"}, vals, `Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a, b], path two: [a]`},
		{"update same path", Input{Update: "SET a = :v ADD a :v"}, vals, `Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]`},
		{"update conflict", Input{Update: "SET a.b = :v, a[0] = :v"}, vals, `Invalid UpdateExpression: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, b], path two: [a, [0]]`},
		{"update overlap before conflict", Input{Update: "SET a.b = :v, a[0] = :v, c = :v, c.d = :v"}, vals, `Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [c], path two: [c, d]`},
		{"update repeated section", Input{Update: "SET a = :v SET b = :v"}, vals, `Invalid UpdateExpression: The "SET" section can only be used once in an update expression;`},
		{"update repeated remove", Input{Update: "remove a REMOVE b"}, "", `Invalid UpdateExpression: The "REMOVE" section can only be used once in an update expression;`},
		{"update reserved", Input{Update: "SET a = :v, #b = if_not_exists(count, :v)", Names: map[string]string{"#b": "b"}}, vals, `Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: count`},
		{"update reserved before function", Input{Update: "SET a = foo(b), data = :v"}, vals, `Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: data`},
		{"update unknown function", Input{Update: "SET a = foo(b)"}, "", `Invalid UpdateExpression: Invalid function name; function: foo`},
		{"update misused function", Input{Update: "SET a = size(b)"}, "", `Invalid UpdateExpression: The function is not allowed to be used this way in an expression; function: size`},
		{"update undefined name", Input{Update: "SET #a = :v"}, vals, `Invalid UpdateExpression: An expression attribute name used in the document path is not defined; attribute name: #a`},
		{"update undefined value", Input{Update: "SET a = :zz"}, vals, `Invalid UpdateExpression: An expression attribute value used in expression is not defined; attribute value: :zz`},
		{"update add string", Input{Update: "ADD a :s"}, vals, `Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: STRING`},
		{"update delete number", Input{Update: "DELETE a :n"}, vals, `Invalid UpdateExpression: Incorrect operand type for operator or function; operator: DELETE, operand type: NUMBER`},
		{"update list_append literal", Input{Update: "SET a = list_append(a, :n)"}, vals, `Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: list_append, operand type: N`},
		{"update if_not_exists path", Input{Update: "SET a = if_not_exists(:v, :v)"}, vals, `Invalid UpdateExpression: Operator or function requires a document path; operator or function: if_not_exists`},
		{"update arity", Input{Update: "SET a = list_append(a)"}, "", `Invalid UpdateExpression: Incorrect number of operands for operator or function; operator or function: list_append, number of operands: 1`},
		{"update add path operand", Input{Update: "ADD a b"}, "", `Invalid UpdateExpression: Syntax error; token: "b", near: "a b"`},
		{"update trailing comma", Input{Update: "SET a = :v,"}, vals, `Invalid UpdateExpression: Syntax error; token: "<EOF>", near: ","`},
		{"projection overlap", Input{Projection: "a.b, a"}, "", `Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a, b], path two: [a]`},
		{"projection conflict", Input{Projection: "a[1], a.b"}, "", `Invalid ProjectionExpression: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, [1]], path two: [a, b]`},
		{"projection undefined", Input{Projection: "#p"}, "", `Invalid ProjectionExpression: An expression attribute name used in the document path is not defined; attribute name: #p`},
		// Key conditions (schema independent).
		{"key or", Input{KeyCondition: "pk = :v OR sk = :v"}, vals, `Invalid KeyConditionExpression: Invalid operator used in KeyConditionExpression: OR`},
		{"key not", Input{KeyCondition: "NOT pk = :v"}, vals, `Invalid KeyConditionExpression: Invalid operator used in KeyConditionExpression: NOT`},
		{"key in", Input{KeyCondition: "pk IN (:v)"}, vals, `Invalid KeyConditionExpression: Invalid operator used in KeyConditionExpression: IN`},
		{"key ne", Input{KeyCondition: "pk <> :v"}, vals, `Invalid KeyConditionExpression: Invalid operator used in KeyConditionExpression: <>`},
		{"key function", Input{KeyCondition: "pk = :v AND attribute_exists(sk)"}, vals, `Invalid KeyConditionExpression: Invalid operator used in KeyConditionExpression: attribute_exists`},
		{"key size", Input{KeyCondition: "size(pk) = :v"}, vals, `Invalid KeyConditionExpression: KeyConditionExpressions cannot contain nested operations`},
		{"key nested", Input{KeyCondition: "pk.a = :v"}, vals, `Invalid KeyConditionExpression: KeyConditionExpressions cannot have conditions on nested attributes`},
		// Check order across expressions: update before condition, condition before filter.
		{"order update first", Input{Condition: "a =", Update: "SET"}, "", `Invalid UpdateExpression: Syntax error; token: "<EOF>", near: "SET"`},
		{"order condition before projection", Input{Condition: "a =", Projection: "b-"}, "", `Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "="`},
		{"order syntax before reserved", Input{Condition: "name = = :v"}, vals, `Invalid ConditionExpression: Syntax error; token: "=", near: "= = :v"`},
		{"order parens before function", Input{Condition: "((foo(a)))"}, "", `Invalid ConditionExpression: The expression has redundant parentheses;`},
		{"order function before reserved", Input{Condition: "foo(name)"}, "", `Invalid ConditionExpression: Invalid function name; function: foo`},
		{"order reserved before undefined", Input{Condition: "#x = :v AND name = :v"}, vals, `Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: name`},
		{"order undefined before arity", Input{Condition: "begins_with(#x)"}, "", `Invalid ConditionExpression: An expression attribute name used in the document path is not defined; attribute name: #x`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			if tt.values != "" && in.Values == nil {
				all := values(t, tt.values)
				in.Values = map[string]attr.Value{}
				// Define only placeholders the expressions use, unless the
				// case is about unused or misnamed ones.
				text := in.Condition + in.Update + in.KeyCondition + in.Filter + in.Projection
				for k, v := range all {
					if strings.Contains(text, k) || strings.Contains(tt.name, "unused") || strings.Contains(tt.name, "key") || strings.Contains(tt.name, "without") {
						in.Values[k] = v
					}
				}
				if len(in.Values) == 0 {
					in.Values = nil
				}
			}
			_, err := Compile(in)
			if err == nil {
				t.Fatalf("Compile(%+v) succeeded, want %q", in, tt.want)
			}
			if got := message(t, err); got != tt.want {
				t.Errorf("Compile error\n got: %s\nwant: %s", got, tt.want)
			}
		})
	}
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }
