package projcopy

import (
	"os"
	"path/filepath"
	"testing"
)

func TestCopySkipsState(t *testing.T) {
	src, dst := t.TempDir(), filepath.Join(t.TempDir(), "out")
	for _, f := range []string{"slsx.yaml", "functions/a/main.go", ".slsx/build/a/1/bootstrap", "functions/a/.slsx/x"} {
		p := filepath.Join(src, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	for f, want := range map[string]bool{"slsx.yaml": true, "functions/a/main.go": true, ".slsx": false, "functions/a/.slsx": false} {
		b, err := os.ReadFile(filepath.Join(dst, f))
		_, statErr := os.Stat(filepath.Join(dst, f))
		if got := statErr == nil; got != want {
			t.Errorf("%s copied = %v, want %v", f, got, want)
		}
		if want && err == nil && string(b) != f {
			t.Errorf("%s holds %q", f, b)
		}
	}
}
