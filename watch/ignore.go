package watch

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
)

// alwaysIgnoredDirs are never watched: version control, slsx's own output
// (watching it would rebuild on every build) and third-party trees.
var alwaysIgnoredDirs = map[string]bool{
	".git": true, ".hg": true, ".svn": true, ".slsx": true,
	"vendor": true, "node_modules": true, ".idea": true, ".vscode": true,
}

// IsEditorTemp reports whether a file name is an editor's temporary, swap
// or backup file rather than a real change: vim (.x.swp, x~, 4913), emacs
// (.#x, #x#), JetBrains (x___jb_tmp___), sed -i and friends.
func IsEditorTemp(name string) bool {
	switch {
	case name == "4913", // vim's probe that it may write the directory
		strings.HasSuffix(name, "~"),
		strings.HasSuffix(name, ".swp"), strings.HasSuffix(name, ".swx"), strings.HasSuffix(name, ".swo"),
		strings.HasPrefix(name, ".#"),
		strings.HasPrefix(name, "#") && strings.HasSuffix(name, "#"),
		strings.HasSuffix(name, "___jb_tmp___"), strings.HasSuffix(name, "___jb_old___"),
		tmpSuffix.MatchString(name), strings.HasSuffix(name, ".bak"),
		strings.HasPrefix(name, ".goutputstream-"),
		name == ".DS_Store":
		return true
	}
	return false
}

// tmpSuffix matches atomic-save temporaries such as "x.go.tmp" and
// ".x.go.tmp81234" (but not "page.tmpl").
var tmpSuffix = regexp.MustCompile(`\.tmp\d*$`)

// gitRule is one .gitignore line.
type gitRule struct {
	re      *regexp.Regexp
	negate  bool
	dirOnly bool
}

// Ignorer decides which paths under a root the watcher skips: the fixed
// directories above, editor temp files, and the patterns of every
// .gitignore in the tree (git's syntax: globs, **, leading and trailing
// slashes, negation; later and deeper rules win, and nothing below an
// ignored directory is re-included, as in git).
type Ignorer struct {
	root  string
	extra []gitRule

	mu     sync.Mutex
	rules  map[string][]gitRule // directory (absolute) -> rules of its .gitignore
	loaded map[string]bool      // directories whose .gitignore was read
}

// NewIgnorer returns an Ignorer for root; extra patterns use .gitignore
// syntax relative to root.
func NewIgnorer(root string, extra []string) *Ignorer {
	ig := &Ignorer{root: root, rules: map[string][]gitRule{}, loaded: map[string]bool{}}
	for _, p := range extra {
		if r, ok := parseGitRule(p); ok {
			ig.extra = append(ig.extra, r)
		}
	}
	ig.Load(root)
	return ig
}

// Load (re)reads dir/.gitignore.
func (ig *Ignorer) Load(dir string) {
	var rules []gitRule
	if f, err := os.Open(filepath.Join(dir, ".gitignore")); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if r, ok := parseGitRule(sc.Text()); ok {
				rules = append(rules, r)
			}
		}
		f.Close()
	}
	ig.mu.Lock()
	ig.loaded[dir] = true
	if len(rules) == 0 {
		delete(ig.rules, dir)
	} else {
		ig.rules[dir] = rules
	}
	ig.mu.Unlock()
}

// Ignored reports whether the absolute path p (a directory when isDir) is
// ignored, itself or through an ignored parent directory.
func (ig *Ignorer) Ignored(p string, isDir bool) bool {
	rel, err := filepath.Rel(ig.root, p)
	if err != nil || rel == "." {
		return false
	}
	if rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return true
	}
	parts := strings.Split(filepath.ToSlash(rel), "/")
	if !isDir && IsEditorTemp(parts[len(parts)-1]) {
		return true
	}
	// Read the .gitignore files on the way down that were never read.
	for i, d := 0, ig.root; i < len(parts)-1; i++ {
		ig.mu.Lock()
		seen := ig.loaded[d]
		ig.mu.Unlock()
		if !seen {
			ig.Load(d)
		}
		d = filepath.Join(d, parts[i])
		if i == len(parts)-2 {
			ig.mu.Lock()
			seen = ig.loaded[d]
			ig.mu.Unlock()
			if !seen {
				ig.Load(d)
			}
		}
	}
	ig.mu.Lock()
	defer ig.mu.Unlock()
	for i := range parts {
		dir := i < len(parts)-1 || isDir
		if dir && alwaysIgnoredDirs[parts[i]] {
			return true
		}
		if ig.match(parts[:i+1], dir) {
			return true
		}
	}
	return false
}

// match applies the rules of every .gitignore from the root down to the
// entry's parent directory to one entry; the last matching rule decides.
func (ig *Ignorer) match(parts []string, isDir bool) bool {
	ignored := false
	apply := func(rules []gitRule, rel string) {
		for _, r := range rules {
			if r.dirOnly && !isDir {
				continue
			}
			if r.re.MatchString(rel) {
				ignored = !r.negate
			}
		}
	}
	apply(ig.extra, strings.Join(parts, "/"))
	dir := ig.root
	for i := 0; i < len(parts); i++ {
		if rules := ig.rules[dir]; rules != nil {
			apply(rules, strings.Join(parts[i:], "/"))
		}
		dir = filepath.Join(dir, parts[i])
	}
	return ignored
}

// parseGitRule compiles one .gitignore line; ok is false for blanks and
// comments.
func parseGitRule(line string) (gitRule, bool) {
	line = strings.TrimRight(line, "\r")
	// Trailing spaces are ignored unless escaped.
	for strings.HasSuffix(line, " ") && !strings.HasSuffix(line, "\\ ") {
		line = line[:len(line)-1]
	}
	if line == "" || strings.HasPrefix(line, "#") {
		return gitRule{}, false
	}
	var r gitRule
	if strings.HasPrefix(line, "!") {
		r.negate = true
		line = line[1:]
	} else if strings.HasPrefix(line, "\\!") || strings.HasPrefix(line, "\\#") {
		line = line[1:]
	}
	if strings.HasSuffix(line, "/") {
		r.dirOnly = true
		line = strings.TrimRight(line, "/")
	}
	if line == "" {
		return gitRule{}, false
	}
	// A slash at the start or in the middle anchors the pattern to the
	// .gitignore's directory; otherwise it matches at any depth.
	anchored := strings.Contains(line, "/")
	line = strings.TrimPrefix(line, "/")
	re := globRegexp(line)
	if anchored {
		re = "^" + re + "$"
	} else {
		re = "^(?:.*/)?" + re + "$"
	}
	c, err := regexp.Compile(re)
	if err != nil {
		return gitRule{}, false
	}
	r.re = c
	return r, true
}

// globRegexp translates a gitignore glob into a regular expression.
func globRegexp(glob string) string {
	var b strings.Builder
	for i := 0; i < len(glob); i++ {
		c := glob[i]
		switch {
		case strings.HasPrefix(glob[i:], "**/"):
			b.WriteString("(?:.*/)?")
			i += 2
		case strings.HasPrefix(glob[i:], "/**") && i+3 == len(glob):
			b.WriteString("/.*")
			i += 2
		case strings.HasPrefix(glob[i:], "**"):
			b.WriteString(".*")
			i++
		case c == '*':
			b.WriteString("[^/]*")
		case c == '?':
			b.WriteString("[^/]")
		case c == '\\' && i+1 < len(glob):
			i++
			b.WriteString(regexp.QuoteMeta(string(glob[i])))
		case c == '[':
			end := strings.IndexByte(glob[i+1:], ']')
			if end < 0 {
				b.WriteString(`\[`)
				continue
			}
			class := glob[i+1 : i+1+end]
			if strings.HasPrefix(class, "!") {
				class = "^" + class[1:]
			}
			class = strings.ReplaceAll(class, `\`, `\\`)
			b.WriteString("[" + class + "]")
			i += end + 1
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	return b.String()
}
