package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// decoder turns yaml.Node trees into model values, collecting every problem
// instead of stopping at the first.
type decoder struct {
	file   string
	errs   Errors
	merges int // merge-key expansions so far; see maxMerges
}

// Limits that keep hostile input (alias and merge-key bombs) cheap. A real
// project file uses a handful of merges.
const (
	maxMergeDepth = 8
	maxMerges     = 1000
)

// entry is one key: value pair of a mapping.
type entry struct {
	name     string
	key, val *yaml.Node
}

func (d *decoder) errorf(n *yaml.Node, path, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	d.errs = append(d.errs, &Error{File: d.file, Line: line, Path: path, Msg: fmt.Sprintf(format, args...)})
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// deref follows aliases to the node they name.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < maxMergeDepth; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n == nil || n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

// describe names what a node is, for "got ..." messages.
func describe(n *yaml.Node) string {
	n = deref(n)
	switch {
	case isNull(n):
		return "nothing"
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case n.Kind == yaml.ScalarNode:
		return quote(n.Value)
	}
	return "an unsupported value"
}

// quote shows a user value in a message, shortened when long.
func quote(s string) string {
	const maxShown = 40
	if r := []rune(s); len(r) > maxShown {
		s = string(r[:maxShown]) + "..."
	}
	return "'" + s + "'"
}

// mapping returns the entries of a mapping node in file order. Null is an
// empty mapping; merge keys (<<) are expanded; duplicate keys are errors.
func (d *decoder) mapping(n *yaml.Node, path string) []entry {
	return d.mappingAt(n, path, 0)
}

func (d *decoder) mappingAt(n *yaml.Node, path string, depth int) []entry {
	n = deref(n)
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "must be a mapping of name: value; got %s", describe(n))
		return nil
	}
	var out, merged []entry
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			merged = append(merged, d.merge(k, v, path, depth)...)
			continue
		}
		k = deref(k)
		if k == nil || k.Kind != yaml.ScalarNode || isNull(k) {
			d.errorf(n.Content[i], path, "keys must be plain names; got %s", describe(k))
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.errorf(k, join(path, k.Value), "duplicate field; first set on line %d", first.Line)
			continue
		}
		seen[k.Value] = k
		out = append(out, entry{name: k.Value, key: k, val: v})
	}
	// Explicit keys win over merged ones, as in YAML's merge-key spec.
	for _, e := range merged {
		if _, ok := seen[e.name]; !ok {
			seen[e.name] = e.key
			out = append(out, e)
		}
	}
	return out
}

func (d *decoder) merge(k, v *yaml.Node, path string, depth int) []entry {
	d.merges++
	if depth >= maxMergeDepth || d.merges > maxMerges {
		d.errorf(k, path, "merge keys (<<) nest too deep or too often; write the fields out")
		return nil
	}
	v = deref(v)
	srcs := []*yaml.Node{v}
	if v != nil && v.Kind == yaml.SequenceNode {
		srcs = v.Content
	}
	var out []entry
	for _, s := range srcs {
		out = append(out, d.mappingAt(s, path, depth+1)...)
	}
	return out
}

// object is mapping for a node with a fixed set of fields: unknown fields
// are errors that suggest the closest allowed name.
func (d *decoder) object(n *yaml.Node, path string, allowed ...string) map[string]entry {
	out := map[string]entry{}
	for _, e := range d.mapping(n, path) {
		if !contains(allowed, e.name) {
			hint := suggest(e.name, allowed)
			if hint == "" {
				hint = "; use " + oneOf(allowed)
			}
			d.errorf(e.key, join(path, e.name), "unknown field%s", hint)
			continue
		}
		out[e.name] = e
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// oneOf lists allowed values: "a", "a or b", "one of a, b, c".
func oneOf(allowed []string) string {
	switch len(allowed) {
	case 1:
		return allowed[0]
	case 2:
		return allowed[0] + " or " + allowed[1]
	}
	return "one of " + strings.Join(allowed, ", ")
}

// scalar returns a scalar's text; ok is false for null (not set) and for
// non-scalars (reported).
func (d *decoder) scalar(n *yaml.Node, path, want string) (string, bool) {
	n = deref(n)
	if isNull(n) {
		return "", false
	}
	if n.Kind != yaml.ScalarNode {
		d.errorf(n, path, "must be %s; got %s", want, describe(n))
		return "", false
	}
	return n.Value, true
}

func (d *decoder) str(n *yaml.Node, path string) (string, bool) {
	return d.scalar(n, path, "a string")
}

// integer reads a whole number in [lo, hi]; unit is appended to the range
// in messages (" MB", or "").
func (d *decoder) integer(n *yaml.Node, path string, lo, hi int, unit string) (int, bool) {
	s, ok := d.scalar(n, path, "a number")
	if !ok {
		return 0, false
	}
	want := fmt.Sprintf("use %d to %d%s", lo, hi, unit)
	i, err := strconv.Atoi(strings.ReplaceAll(s, "_", ""))
	if err != nil {
		d.errorf(n, path, "%s is not a whole number; %s", quote(s), want)
		return 0, false
	}
	if i < lo || i > hi {
		d.errorf(n, path, "%d is out of range; %s", i, want)
		return 0, false
	}
	return i, true
}

func (d *decoder) boolean(n *yaml.Node, path string) (bool, bool) {
	s, ok := d.scalar(n, path, "true or false")
	if !ok {
		return false, false
	}
	switch strings.ToLower(s) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	d.errorf(n, path, "%s is not a boolean; use true or false", quote(s))
	return false, false
}

// duration reads "10s", "1m30s" or a bare integer of seconds, in [lo, hi].
// whole requires whole seconds (Lambda's timeouts are integers).
func (d *decoder) duration(n *yaml.Node, path string, lo, hi time.Duration, whole bool) (time.Duration, bool) {
	s, ok := d.scalar(n, path, "a duration")
	if !ok {
		return 0, false
	}
	v, err := time.ParseDuration(s)
	if secs, ierr := strconv.Atoi(s); ierr == nil {
		v, err = time.Duration(secs)*time.Second, nil
	}
	if err != nil {
		d.errorf(n, path, "%s is not a duration; use %s", quote(s), seconds(max(lo, 10*time.Second)))
		return 0, false
	}
	if v < lo || v > hi {
		d.errorf(n, path, "%s is out of range; use %s to %s", quote(s), seconds(lo), seconds(hi))
		return 0, false
	}
	if whole && v%time.Second != 0 {
		d.errorf(n, path, "%s is not a whole number of seconds; use e.g. %s", quote(s), seconds(v.Round(time.Second)))
		return 0, false
	}
	return v, true
}

// seconds formats a duration the way the file spells it: "900s", "0s".
func seconds(v time.Duration) string {
	if v%time.Second == 0 {
		return strconv.FormatInt(int64(v/time.Second), 10) + "s"
	}
	return v.String()
}

// enum reads one of allowed, suggesting the closest on a typo.
func (d *decoder) enum(n *yaml.Node, path string, allowed ...string) (string, bool) {
	s, ok := d.scalar(n, path, oneOf(allowed))
	if !ok {
		return "", false
	}
	if contains(allowed, s) {
		return s, true
	}
	// Values get a did-you-mean only for a case slip; otherwise the short
	// list of allowed values says more ("3.0" is not a typo of "2.0").
	for _, a := range allowed {
		if strings.EqualFold(a, s) {
			d.errorf(n, path, "%s is not allowed; did you mean %s?", quote(s), a)
			return "", false
		}
	}
	d.errorf(n, path, "%s is not allowed; use %s", quote(s), oneOf(allowed))
	return "", false
}

// strList reads a list of strings; a single string is a list of one.
func (d *decoder) strList(n *yaml.Node, path string) []string {
	n = deref(n)
	if isNull(n) {
		return nil
	}
	if n.Kind == yaml.ScalarNode {
		return []string{n.Value}
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, path, "must be a list of strings; got %s", describe(n))
		return nil
	}
	out := []string{}
	for i, item := range n.Content {
		if s, ok := d.str(item, index(path, i)); ok {
			out = append(out, s)
		}
	}
	return out
}

// strMap reads a mapping of strings; scalar values of any type keep their
// text (PORT: 8080 is "8080") and null is "". check, if not nil, vets each
// key.
func (d *decoder) strMap(n *yaml.Node, path string, check func(e entry, path string)) map[string]string {
	entries := d.mapping(n, path)
	if entries == nil {
		return nil
	}
	out := make(map[string]string, len(entries))
	for _, e := range entries {
		if check != nil {
			check(e, join(path, e.name))
		}
		s, _ := d.str(e.val, join(path, e.name))
		out[e.name] = s
	}
	return out
}
