package config

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// ErrNoProject is wrapped by Load when the directory has no slsx.yaml (or
// the file is empty), so callers can suggest `slsx init`.
var ErrNoProject = errors.New("no project file")

// Error is one problem in a project file, located by line and field path.
type Error struct {
	File string // file name as shown to the user, e.g. "slsx.yaml"
	Line int    // 1-based; 0 when the problem has no single place
	Path string // field path, e.g. "functions.users.timeout"; "" for the whole file
	Msg  string // what is wrong and what is allowed
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is every problem found in one file, sorted by line. Its message
// has one problem per line.
type Errors []*Error

func (l Errors) Error() string {
	msgs := make([]string, len(l))
	for i, e := range l {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// sorted returns the list ordered by line; problems on one line keep the
// order in which they were found.
func (l Errors) sorted() Errors {
	sort.SliceStable(l, func(i, j int) bool { return l[i].Line < l[j].Line })
	return l
}

// suggest returns "; did you mean X?" for the candidate closest to s, or
// "" when none is close enough to be a plausible typo.
func suggest(s string, candidates []string) string {
	if m := closest(s, candidates); m != "" {
		return "; did you mean " + m + "?"
	}
	return ""
}

// closest returns the candidate with the smallest edit distance to s, if
// that distance looks like a typo: at most 2 edits, or a third of the word
// for long words. Case differences count as one edit in total.
func closest(s string, candidates []string) string {
	best, bestD := "", -1
	for _, c := range candidates {
		d := editDistance(strings.ToLower(s), strings.ToLower(c))
		if s != c && d == 0 {
			d = 1
		}
		if bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	// Short words need a tighter limit: "auth" is 2 edits from "path".
	limit := 1
	if len(s) > 4 {
		limit = max(2, len(s)/3)
	}
	if bestD >= 0 && bestD <= limit && bestD < len(s) {
		return best
	}
	// A clipped name ("auth" for "authorizer") is a typo too.
	if len(s) >= 3 {
		for _, c := range candidates {
			if strings.HasPrefix(strings.ToLower(c), strings.ToLower(s)) {
				return c
			}
		}
	}
	return ""
}

// editDistance is the optimal-string-alignment distance: insertions,
// deletions, substitutions and transpositions of neighbours each cost 1.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	// Three rows suffice: the current, the previous and the one before
	// (for transpositions).
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
