// Package projcopy copies a project tree for tests and benchmarks, so
// builds and data land outside the repository.
package projcopy

import (
	"io/fs"
	"os"
	"path/filepath"
)

// Copy copies the tree at src into dst (created if missing), leaving out
// slsx's own state directories (.slsx: builds and data).
func Copy(dst, src string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			if d.Name() == ".slsx" {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
}
