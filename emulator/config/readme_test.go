package config

import (
	"os"
	"strings"
	"testing"
)

// TestREADMEReference parses the slsx.yaml reference in README.md: the
// example users copy from must be a valid project.
func TestREADMEReference(t *testing.T) {
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(raw), "## slsx.yaml reference")
	if !ok {
		t.Fatal("README.md has no slsx.yaml reference section")
	}
	_, rest, ok = strings.Cut(rest, "```yaml\n")
	example, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("the slsx.yaml reference section has no yaml block")
	}
	p, err := Parse(t.TempDir(), "slsx.yaml", []byte(example))
	if err != nil {
		t.Fatalf("the README's slsx.yaml reference does not load:\n%v", err)
	}
	if len(p.Functions) == 0 || len(p.Tables) == 0 || len(p.Topics) == 0 || len(p.APIs) == 0 || len(p.StreamTriggers) == 0 {
		t.Errorf("the reference loads but declares too little: %d functions, %d tables, %d topics, %d APIs, %d triggers",
			len(p.Functions), len(p.Tables), len(p.Topics), len(p.APIs), len(p.StreamTriggers))
	}
}
