package watch

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
)

// untilSentinel writes a sentinel file and returns every path reported
// before it. inotify delivers events in order, so anything not reported
// before the sentinel was not reported at all: no sleeps.
func untilSentinel(t *testing.T, w *Watcher, n int) map[string]bool {
	t.Helper()
	sentinel := filepath.Join(w.Root(), fmt.Sprintf("sentinel-%d", n))
	writeFile(t, sentinel, "x")
	got := map[string]bool{}
	for p := range w.Events() {
		if p == sentinel {
			return got
		}
		rel, _ := filepath.Rel(w.Root(), p)
		if !strings.HasPrefix(rel, "sentinel-") { // a late write event of an earlier sentinel
			got[filepath.ToSlash(rel)] = true
		}
	}
	t.Fatal("watcher stopped before the sentinel")
	return nil
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestWatcher(t *testing.T) {
	for _, poll := range []bool{false, true} {
		t.Run(fmt.Sprintf("poll=%v", poll), func(t *testing.T) {
			root := t.TempDir()
			writeFile(t, filepath.Join(root, "main.go"), "package main\n")
			writeFile(t, filepath.Join(root, ".gitignore"), "*.log\n/tmp/\nbuild/\n!keep.log\n")
			writeFile(t, filepath.Join(root, "pkg/a/a.go"), "package a\n")
			for _, d := range []string{".git/objects", ".slsx/build", "vendor/x", "node_modules/y", "tmp", "pkg/build"} {
				writeFile(t, filepath.Join(root, d, "f.go"), "x")
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			// Polling is driven by hand: scan, change, scan, compare.
			w, err := NewWatcher(ctx, root, WatchOptions{Poll: poll, PollInterval: 1 << 62})
			if err != nil {
				t.Fatal(err)
			}
			snap := w.scan()
			steps := []struct {
				name string
				do   func()
				want []string
			}{
				{"write", func() { writeFile(t, filepath.Join(root, "main.go"), "package main\n// 2\n") }, []string{"main.go"}},
				{"atomic save", func() {
					tmp := filepath.Join(root, "pkg/a/.a.go.tmp1234")
					writeFile(t, tmp, "package a\n// new\n")
					if err := os.Rename(tmp, filepath.Join(root, "pkg/a/a.go")); err != nil {
						t.Fatal(err)
					}
				}, []string{"pkg/a/a.go"}},
				{"second save after rename", func() { writeFile(t, filepath.Join(root, "pkg/a/a.go"), "package a\n// again\n") }, []string{"pkg/a/a.go"}},
				{"new nested directory", func() { writeFile(t, filepath.Join(root, "pkg/b/c/c.go"), "package c\n") }, []string{"pkg/b", "pkg/b/c", "pkg/b/c/c.go"}},
				{"write in new directory", func() { writeFile(t, filepath.Join(root, "pkg/b/c/c.go"), "package c\n// x\n") }, []string{"pkg/b/c/c.go"}},
				{"ignored paths", func() {
					for _, p := range []string{".git/objects/g", ".slsx/build/b", "vendor/x/v.go", "node_modules/y/n.js", "tmp/t.go",
						"pkg/build/f.go", "debug.log", "pkg/a/.a.go.swp", "pkg/a/a.go~", "4913", "pkg/a/.#a.go", "newbuild/build/z.go"} {
						writeFile(t, filepath.Join(root, p), "x")
					}
				}, []string{"newbuild"}},
				{"gitignore negation", func() { writeFile(t, filepath.Join(root, "keep.log"), "x") }, []string{"keep.log"}},
				{"remove", func() { os.Remove(filepath.Join(root, "main.go")) }, []string{"main.go"}},
				{"remove directory", func() { os.RemoveAll(filepath.Join(root, "pkg/b")) }, []string{"pkg/b", "pkg/b/c", "pkg/b/c/c.go"}},
			}
			for i, s := range steps {
				s.do()
				var got map[string]bool
				if poll {
					cur := w.scan()
					got = map[string]bool{}
					for _, p := range diff(snap, cur) {
						rel, _ := filepath.Rel(root, p)
						if !strings.HasPrefix(rel, "sentinel-") {
							got[filepath.ToSlash(rel)] = true
						}
					}
					snap = cur
				} else {
					got = untilSentinel(t, w, i)
				}
				// inotify reports a removed tree through its directories'
				// own events; polling through each entry. Both must include
				// the top; extra entries below are fine.
				if s.name == "remove directory" && !poll {
					s.want = []string{"pkg/b"}
					delete(got, "pkg/b/c")
					delete(got, "pkg/b/c/c.go")
				}
				if fmt.Sprint(keys(got)) != fmt.Sprint(s.want) {
					t.Errorf("%s: got %v, want %v", s.name, keys(got), s.want)
				}
			}
		})
	}
}

func TestWatchLimitError(t *testing.T) {
	err := limitError(fmt.Errorf("inotify_add_watch: %w", syscall.ENOSPC))
	if !errors.Is(err, ErrWatchLimit) {
		t.Fatalf("err = %v", err)
	}
	for _, want := range []string{"fs.inotify.max_user_watches", "--poll"} {
		if !contains(err.Error(), want) {
			t.Errorf("%q does not mention %q", err, want)
		}
	}
	if err := limitError(syscall.EMFILE); !contains(err.Error(), "max_user_instances") {
		t.Errorf("EMFILE: %v", err)
	}
}

func contains(s, sub string) bool {
	return len(sub) == 0 || (len(s) >= len(sub) && indexOf(s, sub) >= 0)
}

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

func TestIgnorer(t *testing.T) {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, ".gitignore"), `# comment
*.log
!important.log
/dist
build/
docs/**/*.pdf
**/gen
a?c.txt
[xy].go
\#literal
`)
	writeFile(t, filepath.Join(root, "sub/.gitignore"), "local.txt\n!*.log\n")
	ig := NewIgnorer(root, []string{"extra/"})
	tests := []struct {
		path string
		dir  bool
		want bool
	}{
		{"main.go", false, false},
		{"x.log", false, true},
		{"deep/x.log", false, true},
		{"important.log", false, false},
		{"dist", true, true},
		{"dist/a.js", false, true},
		{"sub/dist", true, false}, // anchored to the root
		{"build", false, false},   // dir-only pattern, a file
		{"build", true, true},
		{"pkg/build/x.go", false, true},
		{"docs/a/b/c.pdf", false, true},
		{"docs/c.pdf", false, true},
		{"docs/c.txt", false, false},
		{"x/y/gen", true, true},
		{"gen/z.go", false, true},
		{"abc.txt", false, true},
		{"abbc.txt", false, false},
		{"x.go", false, true},
		{"z.go", false, false},
		{"#literal", false, true},
		{"sub/local.txt", false, true},
		{"local.txt", false, false},
		{"sub/y.log", false, false}, // re-included by the deeper .gitignore
		{"extra/e.go", false, true},
		{".git/HEAD", false, true},
		{"vendor/m/m.go", false, true},
		{"a/main.go~", false, true},
		{"a/.main.go.swp", false, true},
		{"a/4913", false, true},
	}
	for _, tt := range tests {
		if got := ig.Ignored(filepath.Join(root, tt.path), tt.dir); got != tt.want {
			t.Errorf("Ignored(%q, dir=%v) = %v, want %v", tt.path, tt.dir, got, tt.want)
		}
	}
}

func FuzzGitRule(f *testing.F) {
	for _, s := range []string{"*.log", "!a", "/dist/", "**/gen/**", "[a-z", "a\\", "\\!x", "docs/**/*.pdf", "[!ab]"} {
		f.Add(s, "a/b/c.log")
	}
	f.Fuzz(func(t *testing.T, pattern, path string) {
		r, ok := parseGitRule(pattern)
		if ok && r.re == nil {
			t.Fatal("rule without a regexp")
		}
		if ok {
			r.re.MatchString(path)
		}
	})
}
