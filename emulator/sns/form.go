package sns

import (
	"errors"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// form is a decoded query-protocol request: flat parameters with helpers
// for the nested shapes (maps, member lists, message attributes).
type form struct{ v url.Values }

// maxFormParams is net/url's default limit on the number of parameters,
// so that parseForm refuses what url.ParseQuery refuses.
const maxFormParams = 10000

// decodeForm parses a form body (or query string).
func decodeForm(body []byte) (form, error) { return parseForm(string(body)) }

// parseForm is url.ParseQuery with the same results and errors, in two
// allocations plus the map: every request parses a form, and ParseQuery
// allocates a slice per parameter. Single values share one backing array
// (capped, so a repeated key appends to a copy). Keys and values without
// escapes are substrings of q.
func parseForm(q string) (form, error) {
	n := strings.Count(q, "&") + 1
	if n > maxFormParams {
		return form{}, errors.New("number of URL query parameters exceeded limit")
	}
	v := make(url.Values, n)
	vals := make([]string, 0, n)
	var err error
	for q != "" {
		var kv string
		kv, q, _ = strings.Cut(q, "&")
		if strings.Contains(kv, ";") {
			err = errors.New("invalid semicolon separator in query")
			continue
		}
		if kv == "" {
			continue
		}
		k, val, _ := strings.Cut(kv, "=")
		k, err1 := url.QueryUnescape(k)
		if err1 == nil {
			val, err1 = url.QueryUnescape(val)
		}
		if err1 != nil {
			if err == nil {
				err = err1
			}
			continue
		}
		if old, ok := v[k]; ok {
			v[k] = append(old, val)
			continue
		}
		vals = append(vals, val)
		v[k] = vals[len(vals)-1 : len(vals) : len(vals)]
	}
	if err != nil {
		return form{}, err
	}
	return form{v: v}, nil
}

func (f form) get(name string) string { return f.v.Get(name) }

func (f form) has(name string) bool { _, ok := f.v[name]; return ok }

// indexes returns the distinct N of parameters named "<prefix>.N..." in
// ascending order, tolerating gaps.
func (f form) indexes(prefix string) []int {
	seen := map[int]bool{}
	p := prefix + "."
	for k := range f.v {
		if !strings.HasPrefix(k, p) {
			continue
		}
		rest := k[len(p):]
		if i := strings.IndexByte(rest, '.'); i >= 0 {
			rest = rest[:i]
		}
		n, err := strconv.Atoi(rest)
		if err != nil || n < 1 {
			continue
		}
		seen[n] = true
	}
	out := make([]int, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Ints(out)
	return out
}

// stringMap decodes "<name>.entry.N.key" / "<name>.entry.N.value".
func (f form) stringMap(name string) map[string]string {
	out := map[string]string{}
	for _, n := range f.indexes(name + ".entry") {
		p := name + ".entry." + strconv.Itoa(n)
		if !f.has(p + ".key") {
			continue
		}
		out[f.get(p+".key")] = f.get(p + ".value")
	}
	return out
}

// stringList decodes "<name>.member.N"; "<name>=" is an empty list.
func (f form) stringList(name string) []string {
	var out []string
	for _, n := range f.indexes(name + ".member") {
		out = append(out, f.get(name+".member."+strconv.Itoa(n)))
	}
	return out
}

type tagPair struct{ Key, Value string }

// tags decodes "<name>.member.N.Key/Value".
func (f form) tags(name string) []tagPair {
	var out []tagPair
	for _, n := range f.indexes(name + ".member") {
		p := name + ".member." + strconv.Itoa(n)
		out = append(out, tagPair{Key: f.get(p + ".Key"), Value: f.get(p + ".Value")})
	}
	return out
}

// rawAttr is a message attribute as it arrived, before validation.
type rawAttr struct {
	Name        string
	DataType    string
	HasDataType bool
	StringValue string
	HasString   bool
	BinaryValue string // base64 as sent
	HasBinary   bool
}

// messageAttributes decodes "<name>.entry.N.Name/Value.DataType/...".
func (f form) messageAttributes(name string) []rawAttr {
	var out []rawAttr
	for _, n := range f.indexes(name + ".entry") {
		p := name + ".entry." + strconv.Itoa(n)
		out = append(out, rawAttr{
			Name:        f.get(p + ".Name"),
			DataType:    f.get(p + ".Value.DataType"),
			HasDataType: f.has(p + ".Value.DataType"),
			StringValue: f.get(p + ".Value.StringValue"),
			HasString:   f.has(p + ".Value.StringValue"),
			BinaryValue: f.get(p + ".Value.BinaryValue"),
			HasBinary:   f.has(p + ".Value.BinaryValue"),
		})
	}
	return out
}

// sub returns the parameters under "<prefix>." with the prefix removed, for
// decoding one member of a list of structures.
func (f form) sub(prefix string) form {
	out := url.Values{}
	p := prefix + "."
	for k, v := range f.v {
		if strings.HasPrefix(k, p) {
			out[k[len(p):]] = v
		}
	}
	return form{v: out}
}
