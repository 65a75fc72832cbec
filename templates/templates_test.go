package templates

import (
	"strings"
	"testing"
)

func TestRender(t *testing.T) {
	for _, tpl := range List() {
		files, err := Render(tpl.Name, Vars{Name: "shop", Module: "example.com/shop"})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, f := range files {
			got[f.Path] = string(f.Data)
			if strings.Contains(string(f.Data), "__NAME__") || strings.Contains(string(f.Data), "__MODULE__") || strings.HasSuffix(f.Path, ".tmpl") {
				t.Errorf("%s/%s: placeholder or .tmpl left", tpl.Name, f.Path)
			}
		}
		for _, want := range []string{"go.mod", "go.sum", "slsx.yaml", "README.md", ".gitignore"} {
			if got[want] == "" {
				t.Errorf("%s: no %s", tpl.Name, want)
			}
		}
		if !strings.HasPrefix(got["go.mod"], "module example.com/shop\n") || !strings.Contains(got["slsx.yaml"], "name: shop\n") {
			t.Errorf("%s: vars not filled: %q", tpl.Name, got["go.mod"][:40])
		}
	}
	if _, err := Render("nope", Vars{}); err == nil || !strings.Contains(err.Error(), "http-dynamodb, sns-fanout, stream-processor") {
		t.Errorf("unknown template: %v", err)
	}
}
