package filter

import (
	"errors"
	"strings"
	"testing"
)

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, scope, policy, want string
	}{
		{"not json", "", `{"a":`, "failed to parse JSON. "},
		{"not object", "", `["a"]`, "failed to parse JSON. "},
		{"duplicate key", "", `{"a":["x"],"a":["y"]}`, "failed to parse JSON. Duplicate field 'a'"},
		{"trailing", "", `{"a":["x"]} x`, "failed to parse JSON. "},
		{"scalar value", "", `{"a":"x"}`, `"a" must be an object or an array`},
		{"number value", "", `{"a":1}`, `"a" must be an object or an array`},
		{"nested attrs", "", `{"a":{"b":["x"]}}`, "Filter policy scope MessageAttributes does not support nested filter policy"},
		{"empty array", "", `{"a":[]}`, "Empty arrays are not allowed"},
		{"array in array", "", `{"a":[["x"]]}`, "Match value must be String, number, true, false, or null"},
		{"two keys", "", `{"a":[{"prefix":"x","suffix":"y"}]}`, "Only one key allowed in match expression"},
		{"zero keys", "", `{"a":[{}]}`, "Only one key allowed in match expression"},
		{"unknown op", "", `{"a":[{"wildcard":"x*"}]}`, "Unrecognized match type wildcard"},
		{"exists string", "", `{"a":[{"exists":"true"}]}`, "exists match pattern must be either true or false."},
		{"prefix number", "", `{"a":[{"prefix":1}]}`, "prefix match pattern must be a string"},
		{"suffix object", "", `{"a":[{"suffix":{}}]}`, "suffix match pattern must be a string"},
		{"eic number", "", `{"a":[{"equals-ignore-case":1}]}`, "equals-ignore-case match pattern must be a string"},
		{"numeric empty", "", `{"a":[{"numeric":[]}]}`, "Invalid member in numeric match: ]"},
		{"numeric bad op", "", `{"a":[{"numeric":["!=",1]}]}`, "Unrecognized numeric range operator: !="},
		{"numeric op not string", "", `{"a":[{"numeric":[1,1]}]}`, "Invalid member in numeric match: 1"},
		{"numeric missing value", "", `{"a":[{"numeric":["<"]}]}`, "Value of < must be numeric"},
		{"numeric string value", "", `{"a":[{"numeric":["<","100"]}]}`, "Value of < must be numeric"},
		{"numeric too many", "", `{"a":[{"numeric":["<",1,">",0]}]}`, "Too many elements in numeric expression"},
		{"numeric bad upper op", "", `{"a":[{"numeric":[">",1,">",5]}]}`, "Bad numeric range operator: >"},
		{"numeric upper not number", "", `{"a":[{"numeric":[">",1,"<","5"]}]}`, "Value of < must be numeric"},
		{"numeric bottom top", "", `{"a":[{"numeric":[">",5,"<",1]}]}`, "Bottom must be less than top"},
		{"numeric equal bounds", "", `{"a":[{"numeric":[">=",5,"<=",5]}]}`, "Bottom must be less than top"},
		{"numeric five", "", `{"a":[{"numeric":[">",0,"<",5,"x"]}]}`, "Too many elements in numeric expression"},
		{"numeric out of range", "", `{"a":[{"numeric":["<",1e10]}]}`, "out of range"},
		{"too many decimals", "", `{"a":[1.123456]}`, "more than 5 digits after the decimal point"},
		{"anything-but suffix ok but wildcard", "", `{"a":[{"anything-but":{"wildcard":"x"}}]}`, "Unsupported anything-but pattern: wildcard"},
		{"anything-but bool", "", `{"a":[{"anything-but":true}]}`, "Value of anything-but must be an array or single string/number value."},
		{"anything-but list bool", "", `{"a":[{"anything-but":["a",true]}]}`, "Inside anything but list"},
		{"anything-but empty", "", `{"a":[{"anything-but":[]}]}`, "Empty arrays are not allowed"},
		{"cidr bad", "", `{"a":[{"cidr":"10.0.0.1"}]}`, "Malformed CIDR"},
		{"cidr garbage", "", `{"a":[{"cidr":"nope/8"}]}`, "Malformed CIDR"},
		{"six keys", "", `{"a":["1"],"b":["1"],"c":["1"],"d":["1"],"e":["1"],"f":["1"]}`, "Filter policy can not have more than 5 keys"},
		{"six leaf keys nested", ScopeBody, `{"x":{"a":["1"],"b":["1"],"c":["1"]},"y":{"d":["1"],"e":["1"],"f":["1"]}}`, "Filter policy can not have more than 5 keys"},
		{"too complex", "", `{"a":["1","2","3","4","5","6","7","8","9","10"],"b":["1","2","3","4","5","6","7","8","9","10"],"c":["1","2"]}`, "Filter policy is too complex"},
		{"too complex or", "", `{"a":["1","2","3","4","5","6","7","8","9","10"],"$or":[{"b":["1","2","3","4","5","6","7","8"]},{"c":["1","2","3","4","5","6","7","8"]}]}`, "Filter policy is too complex"},
		{"bad scope", "Body", `{"a":["x"]}`, "FilterPolicyScope: Invalid value [Body]"},
		{"or single object", "", `{"$or":[{"a":["x"]}]}`, "Unrecognized match type a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.policy), tt.scope)
			var fe *Error
			if !errors.As(err, &fe) {
				t.Fatalf("Parse(%s) err = %v, want *Error containing %q", tt.policy, err, tt.want)
			}
			if !strings.Contains(fe.Reason, tt.want) {
				t.Fatalf("Parse(%s) reason = %q, want it to contain %q", tt.policy, fe.Reason, tt.want)
			}
		})
	}
}

func TestParseAccepts(t *testing.T) {
	for _, p := range []string{
		`{}`,
		`{"a":["x",1,true,null]}`,
		`{"a":[{"numeric":[">",0,"<=",150]}]}`,
		`{"a":[{"numeric":["=",-1e9]}]}`,
		`{"a":[{"anything-but":{"equals-ignore-case":["A","b"]}}]}`,
		`{"a":[{"anything-but":{"prefix":"x"}}]}`,
		`{"a":[{"cidr":"2001:db8::/32"}]}`,
		`{"a":["1","2","3","4","5","6","7","8","9","10"],"b":["1","2","3","4","5","6","7","8","9","10"],"c":["1"]}`,
	} {
		if _, err := Parse([]byte(p), ""); err != nil {
			t.Errorf("Parse(%s): %v", p, err)
		}
	}
	if _, err := Parse([]byte(`{"a":{"b":{"c":["x"]}}}`), ScopeBody); err != nil {
		t.Errorf("nested body policy: %v", err)
	}
}

func str(v string) Attribute { return Attribute{Type: "String", Value: v} }
func num(v string) Attribute { return Attribute{Type: "Number", Value: v} }
func arr(v string) Attribute { return Attribute{Type: "String.Array", Value: v} }
func bin(v string) Attribute { return Attribute{Type: "Binary", Value: v} }
func attrs(kv ...any) map[string]Attribute {
	m := map[string]Attribute{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1].(Attribute)
	}
	return m
}

func TestMatchAttributes(t *testing.T) {
	tests := []struct {
		name   string
		policy string
		attrs  map[string]Attribute
		want   bool
	}{
		{"empty policy", `{}`, nil, true},
		{"exact", `{"c":["red"]}`, attrs("c", str("red")), true},
		{"exact case", `{"c":["red"]}`, attrs("c", str("Red")), false},
		{"exact or", `{"c":["red","blue"]}`, attrs("c", str("blue")), true},
		{"absent", `{"c":["red"]}`, attrs("d", str("red")), false},
		{"custom string type", `{"c":["red"]}`, attrs("c", Attribute{Type: "String.color", Value: "red"}), true},
		{"number exact", `{"p":[301.5]}`, attrs("p", num("3.015e2")), true},
		{"number vs string cond", `{"p":["301.5"]}`, attrs("p", num("301.5")), false},
		{"string vs number cond", `{"p":[301.5]}`, attrs("p", str("301.5")), false},
		{"numeric range in", `{"p":[{"numeric":[">",0,"<=",150]}]}`, attrs("p", num("150")), true},
		{"numeric range out", `{"p":[{"numeric":[">",0,"<=",150]}]}`, attrs("p", num("150.1")), false},
		{"numeric lower excl", `{"p":[{"numeric":[">",0,"<=",150]}]}`, attrs("p", num("0")), false},
		{"numeric eq", `{"p":[{"numeric":["=",5]}]}`, attrs("p", num("5.0")), true},
		{"numeric lt", `{"p":[{"numeric":["<",5]}]}`, attrs("p", num("4.99")), true},
		{"numeric ge", `{"p":[{"numeric":[">=",5]}]}`, attrs("p", num("5")), true},
		{"numeric on string", `{"p":[{"numeric":[">=",5]}]}`, attrs("p", str("6")), false},
		{"prefix", `{"c":[{"prefix":"bas"}]}`, attrs("c", str("baseball")), true},
		{"prefix no", `{"c":[{"prefix":"bas"}]}`, attrs("c", str("ball")), false},
		{"suffix", `{"c":[{"suffix":"ball"}]}`, attrs("c", str("baseball")), true},
		{"eic", `{"c":[{"equals-ignore-case":"RuGbY"}]}`, attrs("c", str("rugby")), true},
		{"eic no", `{"c":[{"equals-ignore-case":"RuGbY"}]}`, attrs("c", str("rugbyx")), false},
		{"anything-but string", `{"c":[{"anything-but":"red"}]}`, attrs("c", str("blue")), true},
		{"anything-but string hit", `{"c":[{"anything-but":"red"}]}`, attrs("c", str("red")), false},
		{"anything-but absent", `{"c":[{"anything-but":"red"}]}`, nil, false},
		{"anything-but list", `{"c":[{"anything-but":["red","blue"]}]}`, attrs("c", str("blue")), false},
		{"anything-but number", `{"p":[{"anything-but":[100,200]}]}`, attrs("p", num("150")), true},
		{"anything-but number hit", `{"p":[{"anything-but":[100,200]}]}`, attrs("p", num("1e2")), false},
		{"anything-but prefix", `{"c":[{"anything-but":{"prefix":"re"}}]}`, attrs("c", str("red")), false},
		{"anything-but prefix miss", `{"c":[{"anything-but":{"prefix":"re"}}]}`, attrs("c", str("blue")), true},
		{"anything-but suffix", `{"c":[{"anything-but":{"suffix":"ed"}}]}`, attrs("c", str("red")), false},
		{"anything-but eic", `{"c":[{"anything-but":{"equals-ignore-case":["RED"]}}]}`, attrs("c", str("Red")), false},
		{"anything-but or exists false", `{"c":[{"anything-but":"red"},{"exists":false}]}`, nil, true},
		{"anything-but array none", `{"c":[{"anything-but":"red"}]}`, attrs("c", arr(`["blue","green"]`)), true},
		{"anything-but array one", `{"c":[{"anything-but":"red"}]}`, attrs("c", arr(`["blue","red"]`)), false},
		{"exists true", `{"c":[{"exists":true}]}`, attrs("c", str("x")), true},
		{"exists true absent", `{"c":[{"exists":true}]}`, nil, false},
		{"exists false", `{"c":[{"exists":false}]}`, nil, true},
		{"exists false present", `{"c":[{"exists":false}]}`, attrs("c", str("x")), false},
		{"binary ignored", `{"c":[{"exists":true}]}`, attrs("c", bin("AAE=")), false},
		{"binary exact", `{"c":["AAE="]}`, attrs("c", bin("AAE=")), false},
		{"array any", `{"c":["red"]}`, attrs("c", arr(`["blue","red"]`)), true},
		{"array number", `{"c":[3]}`, attrs("c", arr(`["x",3]`)), true},
		{"array bool", `{"c":[true]}`, attrs("c", arr(`[true]`)), true},
		{"array null", `{"c":[null]}`, attrs("c", arr(`[null]`)), true},
		{"array none", `{"c":["red"]}`, attrs("c", arr(`["blue"]`)), false},
		{"cidr v4", `{"ip":[{"cidr":"10.0.0.0/24"}]}`, attrs("ip", str("10.0.0.255")), true},
		{"cidr v4 out", `{"ip":[{"cidr":"10.0.0.0/24"}]}`, attrs("ip", str("10.0.1.0")), false},
		{"cidr v6", `{"ip":[{"cidr":"2001:db8::/32"}]}`, attrs("ip", str("2001:db8::1")), true},
		{"cidr v6 out", `{"ip":[{"cidr":"2001:db8::/32"}]}`, attrs("ip", str("2001:db9::1")), false},
		{"cidr not ip", `{"ip":[{"cidr":"10.0.0.0/8"}]}`, attrs("ip", str("ten")), false},
		{"and", `{"a":["x"],"b":["y"]}`, attrs("a", str("x"), "b", str("y")), true},
		{"and one", `{"a":["x"],"b":["y"]}`, attrs("a", str("x")), false},
		{"or first", `{"s":["cw"],"$or":[{"m":["cpu"]},{"n":["ec2"]}]}`, attrs("s", str("cw"), "m", str("cpu")), true},
		{"or second", `{"s":["cw"],"$or":[{"m":["cpu"]},{"n":["ec2"]}]}`, attrs("s", str("cw"), "n", str("ec2")), true},
		{"or none", `{"s":["cw"],"$or":[{"m":["cpu"]},{"n":["ec2"]}]}`, attrs("s", str("cw"), "n", str("rds")), false},
		{"or sibling fails", `{"s":["cw"],"$or":[{"m":["cpu"]},{"n":["ec2"]}]}`, attrs("m", str("cpu")), false},
		{"nested or", `{"$or":[{"a":["1"]},{"$or":[{"b":["2"]},{"c":["3"]}]}]}`, attrs("c", str("3")), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse([]byte(tt.policy), ScopeAttributes)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.MatchAttributes(tt.attrs); got != tt.want {
				t.Fatalf("MatchAttributes = %v, want %v", got, tt.want)
			}
			if got := p.Match(tt.attrs, nil); got != tt.want {
				t.Fatalf("Match = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMatchBody(t *testing.T) {
	tests := []struct {
		name, policy, body string
		want               bool
	}{
		{"top", `{"a":["x"]}`, `{"a":"x"}`, true},
		{"nested", `{"a":{"b":["x"]}}`, `{"a":{"b":"x","c":1}}`, true},
		{"nested miss", `{"a":{"b":["x"]}}`, `{"a":{"b":"y"}}`, false},
		{"deep", `{"a":{"b":{"c":[{"numeric":[">",1]}]}}}`, `{"a":{"b":{"c":2}}}`, true},
		{"array of scalars", `{"a":["x"]}`, `{"a":["y","x"]}`, true},
		{"array of objects", `{"a":{"b":["x"]}}`, `{"a":[{"b":"y"},{"b":"x"}]}`, true},
		{"array of objects miss", `{"a":{"b":["x"]}}`, `{"a":[{"b":"y"}]}`, false},
		{"bool", `{"a":[true]}`, `{"a":true}`, true},
		{"bool vs string", `{"a":[true]}`, `{"a":"true"}`, false},
		{"null", `{"a":[null]}`, `{"a":null}`, true},
		{"number", `{"a":[5]}`, `{"a":5.0}`, true},
		{"number vs string", `{"a":[5]}`, `{"a":"5"}`, false},
		{"exists false nested absent", `{"a":{"b":[{"exists":false}]}}`, `{}`, true},
		{"exists true object", `{"a":[{"exists":true}]}`, `{"a":{"x":1}}`, true},
		{"not json", `{"a":["x"]}`, `hello`, false},
		{"json array body", `{"a":["x"]}`, `[{"a":"x"}]`, false},
		{"json string body", `{"a":["x"]}`, `"x"`, false},
		{"trailing body", `{"a":["x"]}`, `{"a":"x"} {}`, false},
		{"or body", `{"$or":[{"a":["1"]},{"b":{"c":["2"]}}]}`, `{"b":{"c":"2"}}`, true},
		{"anything-but body array", `{"a":[{"anything-but":["x"]}]}`, `{"a":["y","z"]}`, true},
		{"prefix body", `{"a":[{"prefix":"ab"}]}`, `{"a":"abc"}`, true},
		{"cidr body", `{"ip":[{"cidr":"192.168.0.0/16"}]}`, `{"ip":"192.168.3.4"}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse([]byte(tt.policy), ScopeBody)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.MatchBody([]byte(tt.body)); got != tt.want {
				t.Fatalf("MatchBody(%s) = %v, want %v", tt.body, got, tt.want)
			}
			if got := p.Match(nil, []byte(tt.body)); got != tt.want {
				t.Fatalf("Match = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestNilPolicyMatchesEverything(t *testing.T) {
	var p *Policy
	if !p.Match(nil, []byte("x")) {
		t.Fatal("nil policy must match")
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`{"a":["x",1,true,null]}`,
		`{"a":[{"numeric":[">",0,"<=",150]}]}`,
		`{"a":{"b":[{"prefix":"x"}]}}`,
		`{"$or":[{"a":["1"]},{"b":[{"anything-but":{"suffix":"x"}}]}]}`,
		`{"ip":[{"cidr":"10.0.0.0/8"}],"c":[{"exists":false}]}`,
	} {
		f.Add([]byte(s), []byte(`{"a":"x","b":{"c":[1,2]}}`))
	}
	f.Fuzz(func(t *testing.T, policy, body []byte) {
		for _, scope := range []string{ScopeAttributes, ScopeBody} {
			p, err := Parse(policy, scope)
			if err != nil {
				var fe *Error
				if !errors.As(err, &fe) {
					t.Fatalf("error is %T, want *Error", err)
				}
				continue
			}
			p.MatchBody(body)
			p.MatchAttributes(map[string]Attribute{"a": str(string(body)), "b": arr(string(body)), "c": num(string(body))})
		}
	})
}
