package sam

import (
	"os"
	"testing"
)

// FuzzParse: any input gives a project or an error, never a panic.
func FuzzParse(f *testing.F) {
	for _, d := range []string{"http-crud", "sns-fanout", "stream-processor"} {
		data, err := os.ReadFile("testdata/" + d + "/template.yaml")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(header + "  F:\n    Type: AWS::Serverless::Function\n    Properties: {Runtime: go1.x, CodeUri: !Sub '${AWS::Region}'}\n"))
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte(streamTemplate))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p, _, err := Parse(dir, "template.yaml", data, map[string]string{"Stage": "prod"})
		if (p == nil) == (err == nil) {
			t.Fatalf("Parse returned project %v and error %v", p, err)
		}
	})
}
