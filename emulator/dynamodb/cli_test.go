package dynamodb

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestAWSCLI drives the service with the AWS CLI v2 (skipped when it is
// not installed at /usr/bin/aws).
func TestAWSCLI(t *testing.T) {
	const cli = "/usr/bin/aws"
	if _, err := os.Stat(cli); err != nil {
		t.Skip("AWS CLI v2 not installed at /usr/bin/aws")
	}
	e := newEnv(t, Options{})
	run := func(args ...string) (string, error) {
		service := "dynamodb"
		if args[0] == "streams" {
			service, args = "dynamodbstreams", args[1:]
		}
		cmd := exec.Command(cli, append([]string{service, "--endpoint-url", e.url, "--region", "us-east-1", "--output", "json"}, args...)...)
		cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=x", "AWS_SECRET_ACCESS_KEY=y", "AWS_PAGER=", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	steps := []struct {
		args []string
		want string
		fail bool
	}{
		{[]string{"create-table", "--table-name", "cli", "--attribute-definitions", "AttributeName=id,AttributeType=S",
			"--key-schema", "AttributeName=id,KeyType=HASH", "--billing-mode", "PAY_PER_REQUEST"}, `"TableStatus": "ACTIVE"`, false},
		{[]string{"wait", "table-exists", "--table-name", "cli"}, "", false},
		{[]string{"put-item", "--table-name", "cli", "--item", `{"id":{"S":"1"},"n":{"N":"42"}}`}, "", false},
		{[]string{"get-item", "--table-name", "cli", "--key", `{"id":{"S":"1"}}`}, `"N": "42"`, false},
		{[]string{"update-item", "--table-name", "cli", "--key", `{"id":{"S":"1"}}`, "--update-expression", "ADD n :one",
			"--expression-attribute-values", `{":one":{"N":"1"}}`, "--return-values", "UPDATED_NEW"}, `"N": "43"`, false},
		{[]string{"scan", "--table-name", "cli"}, `"Count": 1`, false},
		{[]string{"put-item", "--table-name", "cli", "--item", `{"id":{"S":"1"}}`, "--condition-expression", "attribute_not_exists(id)"}, "ConditionalCheckFailedException", true},
		{[]string{"list-tables"}, `"cli"`, false},
		{[]string{"describe-table", "--table-name", "nope"}, "ResourceNotFoundException", true},
		{[]string{"execute-statement", "--statement", `SELECT * FROM "cli" WHERE id = '1'`}, `"N": "43"`, false},
		{[]string{"update-table", "--table-name", "cli", "--stream-specification", "StreamEnabled=true,StreamViewType=NEW_IMAGE"}, `"StreamViewType": "NEW_IMAGE"`, false},
		{[]string{"streams", "list-streams", "--table-name", "cli"}, `:table/cli/stream/`, false},
		{[]string{"delete-table", "--table-name", "cli"}, `"TableStatus": "DELETING"`, false},
	}
	for _, st := range steps {
		out, err := run(st.args...)
		if (err != nil) != st.fail {
			t.Fatalf("aws dynamodb %s: err %v\n%s", strings.Join(st.args, " "), err, out)
		}
		if !strings.Contains(out, st.want) {
			t.Fatalf("aws dynamodb %s: output lacks %q:\n%s", strings.Join(st.args, " "), st.want, out)
		}
		if !st.fail && strings.HasPrefix(strings.TrimSpace(out), "{") && !json.Valid([]byte(out)) {
			t.Errorf("not JSON: %s", out)
		}
	}
}
