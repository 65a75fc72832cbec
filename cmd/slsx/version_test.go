package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestVersionLdflags builds slsx the way goreleaser does and checks that
// `slsx version` reports the injected values.
func TestVersionLdflags(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "slsx")
	const pkg = "github.com/slsx/slsx/internal/version"
	ldflags := "-s -w -X " + pkg + ".Version=1.2.3 -X " + pkg + ".Commit=abc1234 -X " + pkg + ".Date=2025-01-02T03:04:05Z"
	build := exec.Command("go", "build", "-trimpath", "-ldflags", ldflags, "-o", bin, ".")
	build.Env = append(build.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"slsx 1.2.3\n", "commit: abc1234\n", "built:  2025-01-02T03:04:05Z\n"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("slsx version printed %q; want it to contain %q", out, want)
		}
	}
	out, err = exec.Command(bin, "version", "--json").Output()
	if err != nil || !strings.Contains(string(out), `"version": "1.2.3"`) {
		t.Errorf("version --json = %s, %v", out, err)
	}
}

// TestReleaseTargetsBuild compiles slsx for the release platforms that
// differ from this one in what the code must provide: Windows (no process
// groups, FIFOs or non-blocking pipe reads) and macOS on arm64.
// goreleaser builds all six targets; these two catch a file that only
// builds on Linux.
func TestReleaseTargetsBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-compiles the binary")
	}
	for _, target := range [][2]string{{"windows", "amd64"}, {"darwin", "arm64"}} {
		t.Run(target[0]+"_"+target[1], func(t *testing.T) {
			t.Parallel()
			build := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(t.TempDir(), "slsx"), ".")
			build.Env = append(build.Environ(), "CGO_ENABLED=0", "GOOS="+target[0], "GOARCH="+target[1])
			if out, err := build.CombinedOutput(); err != nil {
				t.Fatalf("GOOS=%s GOARCH=%s go build: %v\n%s", target[0], target[1], err, out)
			}
		})
	}
}
