package lambda

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	lambdasdk "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/slsx/slsx/emulator/config"
)

func TestConfigurationAPI(t *testing.T) {
	h := newHarness(t, Options{AccountConcurrency: 500})
	for i := 0; i < 5; i++ {
		h.deploy(fmt.Sprintf("fn-%d", i), "echo", func(f *config.Function) { f.Concurrency = 0 }) // unreserved
	}
	h.deploy("users", "echo", func(f *config.Function) {
		f.MemoryMB = 512
		f.Timeout = 2500 * time.Millisecond
		f.Concurrency = 7
		f.Architecture = "arm64"
		f.Environment = map[string]string{"TABLE": "users"}
	})
	ctx := context.Background()

	out, err := h.client.GetFunction(ctx, &lambdasdk.GetFunctionInput{FunctionName: aws.String("users")})
	if err != nil {
		t.Fatal(err)
	}
	c := out.Configuration
	if aws.ToString(c.FunctionName) != "users" || aws.ToString(c.FunctionArn) != "arn:aws:lambda:us-east-1:000000000000:function:users" ||
		c.Runtime != types.RuntimeProvidedal2023 || aws.ToString(c.Handler) != "bootstrap" || aws.ToInt32(c.MemorySize) != 512 ||
		aws.ToInt32(c.Timeout) != 3 || c.State != types.StateActive || c.PackageType != types.PackageTypeZip ||
		len(c.Architectures) != 1 || c.Architectures[0] != types.ArchitectureArm64 || c.Environment.Variables["TABLE"] != "users" ||
		aws.ToString(c.Version) != "$LATEST" || c.LastUpdateStatus != types.LastUpdateStatusSuccessful || c.CodeSize == 0 || aws.ToString(c.CodeSha256) == "" {
		t.Errorf("configuration %+v", c)
	}
	if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$`).MatchString(aws.ToString(c.LastModified)) {
		t.Errorf("LastModified %q", aws.ToString(c.LastModified))
	}
	if out.Concurrency == nil || aws.ToInt32(out.Concurrency.ReservedConcurrentExecutions) != 7 {
		t.Errorf("concurrency %+v", out.Concurrency)
	}
	cfg, err := h.client.GetFunctionConfiguration(ctx, &lambdasdk.GetFunctionConfigurationInput{FunctionName: aws.String("arn:aws:lambda:us-east-1:000000000000:function:fn-1")})
	if err != nil || aws.ToString(cfg.FunctionName) != "fn-1" || cfg.Environment != nil {
		t.Errorf("GetFunctionConfiguration: %v %+v", err, cfg)
	}
	_, err = h.client.GetFunction(ctx, &lambdasdk.GetFunctionInput{FunctionName: aws.String("ghost")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("GetFunction ghost: %v", err)
	}

	// Paging with MaxItems and Marker visits every function once, in order.
	var names []string
	pager := lambdasdk.NewListFunctionsPaginator(h.client, &lambdasdk.ListFunctionsInput{MaxItems: aws.Int32(2)})
	pages := 0
	for pager.HasMorePages() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, f := range page.Functions {
			names = append(names, aws.ToString(f.FunctionName))
		}
	}
	if strings.Join(names, ",") != "fn-0,fn-1,fn-2,fn-3,fn-4,users" || pages != 3 {
		t.Errorf("listed %v in %d pages", names, pages)
	}

	acct, err := h.client.GetAccountSettings(ctx, &lambdasdk.GetAccountSettingsInput{})
	if err != nil || acct.AccountLimit.ConcurrentExecutions != 500 || aws.ToInt32(acct.AccountLimit.UnreservedConcurrentExecutions) != 493 || acct.AccountUsage.FunctionCount != 6 {
		t.Errorf("account settings %v %+v", err, acct)
	}
}

// awsCLI returns the AWS CLI v2, or skips.
func awsCLI(t *testing.T) string {
	const cli = "/usr/bin/aws"
	out, err := exec.Command(cli, "--version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "aws-cli/2") {
		t.Skip("AWS CLI v2 not installed at /usr/bin/aws")
	}
	return cli
}

func runCLI(t *testing.T, h *harness, args ...string) (string, error) {
	t.Helper()
	cli := awsCLI(t)
	cmd := exec.Command(cli, append(args, "--endpoint-url", h.srv.URL, "--region", "us-east-1", "--no-cli-pager")...)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=x", "AWS_SECRET_ACCESS_KEY=y", "AWS_EC2_METADATA_DISABLED=true", "AWS_MAX_ATTEMPTS=1")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestAWSCLI(t *testing.T) {
	awsCLI(t)
	h := newHarness(t, Options{})
	h.deploy("echo", "echo", nil)
	dir := t.TempDir()
	outFile := filepath.Join(dir, "out.json")

	out, err := runCLI(t, h, "lambda", "invoke", "--function-name", "echo", "--cli-binary-format", "raw-in-base64-out",
		"--payload", `{"hello":"cli","log":["from cli"]}`, "--log-type", "Tail", outFile)
	if err != nil {
		t.Fatalf("invoke: %v\n%s", err, out)
	}
	var meta struct {
		StatusCode      int
		ExecutedVersion string
		LogResult       string
	}
	if err := json.Unmarshal([]byte(out), &meta); err != nil || meta.StatusCode != 200 || meta.ExecutedVersion != "$LATEST" || meta.LogResult == "" {
		t.Errorf("invoke output %q", out)
	}
	if b, _ := os.ReadFile(outFile); string(b) != `{"hello":"cli","log":["from cli"]}` {
		t.Errorf("payload file %q", b)
	}

	out, err = runCLI(t, h, "lambda", "invoke", "--function-name", "echo", "--cli-binary-format", "raw-in-base64-out", "--payload", `{"error":"bad"}`, outFile)
	if err != nil || !strings.Contains(out, `"FunctionError": "Unhandled"`) {
		t.Errorf("function error via CLI: %v %s", err, out)
	}

	out, err = runCLI(t, h, "lambda", "invoke", "--function-name", "ghost", outFile)
	if err == nil || !strings.Contains(out, "ResourceNotFoundException") || !strings.Contains(out, "Function not found: arn:aws:lambda:us-east-1:000000000000:function:ghost") {
		t.Errorf("not found via CLI: %v %s", err, out)
	}

	out, err = runCLI(t, h, "lambda", "list-functions")
	if err != nil || !strings.Contains(out, `"FunctionName": "echo"`) || !strings.Contains(out, `"Runtime": "provided.al2023"`) {
		t.Errorf("list-functions: %v %s", err, out)
	}
	out, err = runCLI(t, h, "lambda", "get-function", "--function-name", "echo")
	if err != nil || !strings.Contains(out, `"State": "Active"`) {
		t.Errorf("get-function: %v %s", err, out)
	}
	out, err = runCLI(t, h, "lambda", "invoke", "--function-name", "echo", "--invocation-type", "Event", "--cli-binary-format", "raw-in-base64-out", "--payload", `{}`, outFile)
	if err != nil || !strings.Contains(out, `"StatusCode": 202`) {
		t.Errorf("event via CLI: %v %s", err, out)
	}
}
