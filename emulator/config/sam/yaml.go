package sam

import (
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/slsx/slsx/emulator/config"
)

// maxNodes bounds how many YAML nodes one template may expand to, so an
// alias bomb cannot exhaust memory. Real templates have a few thousand.
const maxNodes = 200_000

// decoder turns a YAML template into plain Go values (maps, slices,
// strings, float64, bools, nil), writing CloudFormation's short-form tags
// (!Ref, !GetAtt, !Sub, ...) as their long form ({"Ref": ...}).
//
// goformation has the same conversion in intrinsics.ProcessYAML, but it
// registers its tag handlers in a package-level map on every call (a data
// race when two templates load at once) and lacks !Condition; the
// intrinsic functions themselves are still goformation's (see resolve.go).
type decoder struct {
	file  string
	nodes int
}

func (d *decoder) value(n *yaml.Node, depth int) (any, error) {
	d.nodes++
	if d.nodes > maxNodes || depth > 200 {
		return nil, &config.Error{File: d.file, Line: n.Line, Msg: "template is too deeply nested or expands too many aliases"}
	}
	if n.Kind == yaml.AliasNode {
		return d.value(n.Alias, depth+1)
	}
	var v any
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return d.value(n.Content[0], depth+1)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode {
				return nil, &config.Error{File: d.file, Line: k.Line, Msg: "mapping keys must be plain strings"}
			}
			if k.Value == "<<" && k.Tag == "!!merge" {
				merged, err := d.value(val, depth+1)
				if err != nil {
					return nil, err
				}
				if mm, ok := merged.(map[string]any); ok {
					for mk, mv := range mm {
						if _, set := m[mk]; !set {
							m[mk] = mv
						}
					}
				}
				continue
			}
			x, err := d.value(val, depth+1)
			if err != nil {
				return nil, err
			}
			m[k.Value] = x
		}
		v = m
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			x, err := d.value(c, depth+1)
			if err != nil {
				return nil, err
			}
			s = append(s, x)
		}
		v = s
	case yaml.ScalarNode:
		if strings.HasPrefix(n.Tag, "!!") || n.Tag == "" {
			var x any
			if err := n.Decode(&x); err != nil {
				return nil, &config.Error{File: d.file, Line: n.Line, Msg: "invalid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}
			}
			switch t := x.(type) {
			case int:
				return float64(t), nil
			case int64:
				return float64(t), nil
			case uint64:
				return float64(t), nil
			}
			return x, nil
		}
		v = n.Value
	}
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		return shortForm(n, v)
	}
	return v, nil
}

// shortForm writes a tagged value in CloudFormation's long form.
func shortForm(n *yaml.Node, v any) (any, error) {
	tag := n.Tag[1:]
	switch tag {
	case "Ref", "Condition":
		return map[string]any{tag: v}, nil
	case "GetAtt":
		// !GetAtt Table.StreamArn: the attribute itself may hold dots.
		if s, ok := v.(string); ok {
			res, attr, _ := strings.Cut(s, ".")
			return map[string]any{"Fn::GetAtt": []any{res, attr}}, nil
		}
	}
	return map[string]any{"Fn::" + tag: v}, nil
}

// lineOf returns the line of the node at path (mapping keys) in root, or of
// its deepest existing ancestor; 0 when root is nil.
func lineOf(root *yaml.Node, path ...string) int {
	n := root
	if n == nil {
		return 0
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := n.Line
	for _, p := range path {
		for n.Kind == yaml.AliasNode {
			n = n.Alias
		}
		// "KeySchema[0]" is the key, then an index into its list.
		idx := -1
		if i := strings.IndexByte(p, '['); i > 0 && strings.HasSuffix(p, "]") {
			if x, err := strconv.Atoi(p[i+1 : len(p)-1]); err == nil {
				p, idx = p[:i], x
			}
		}
		var next *yaml.Node
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == p {
					line = n.Content[i].Line
					next = n.Content[i+1]
					break
				}
			}
		}
		if next == nil {
			return line
		}
		if idx >= 0 {
			if next.Kind != yaml.SequenceNode || idx >= len(next.Content) {
				return line
			}
			next = next.Content[idx]
			line = next.Line
		}
		n = next
	}
	return line
}

func describe(v any) string {
	switch v.(type) {
	case nil:
		return "nothing"
	case map[string]any:
		return "a mapping"
	case []any:
		return "a list"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case float64:
		return "a number"
	}
	return fmt.Sprintf("%T", v)
}
