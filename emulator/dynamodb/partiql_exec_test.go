package dynamodb

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func avS(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }
func avN(s string) types.AttributeValue { return &types.AttributeValueMemberN{Value: s} }

func (e *env) exec(t *testing.T, stmt string, params ...types.AttributeValue) *dynamodb.ExecuteStatementOutput {
	t.Helper()
	in := &dynamodb.ExecuteStatementInput{Statement: aws.String(stmt)}
	if len(params) > 0 {
		in.Parameters = params
	}
	out, err := e.db.ExecuteStatement(ctx, in)
	if err != nil {
		t.Fatalf("%s: %v", stmt, err)
	}
	return out
}

func getS(it map[string]types.AttributeValue, k string) string {
	switch v := it[k].(type) {
	case *types.AttributeValueMemberS:
		return v.Value
	case *types.AttributeValueMemberN:
		return v.Value
	}
	return fmt.Sprintf("<%T>", it[k])
}

func TestPartiQLStatements(t *testing.T) {
	e := newEnv(t, Options{})
	e.createSimple(t, "pqt", true, "")
	for i := 1; i <= 5; i++ {
		e.exec(t, `INSERT INTO "pqt" VALUE {'pk': 'a', 'sk': ?, 'n': ?, 'm': {'l': [1, 'two']}}`, avN(fmt.Sprint(i)), avN(fmt.Sprint(i*10)))
	}
	e.exec(t, `INSERT INTO pqt VALUE {'pk': 'b', 'sk': 1, 'tag': 'x'}`)

	t.Run("select by key and projection", func(t *testing.T) {
		out := e.exec(t, `SELECT sk, m.l[1] FROM "pqt" WHERE pk = 'a' AND sk = 2`)
		if len(out.Items) != 1 || getS(out.Items[0], "sk") != "2" || len(out.Items[0]) != 2 {
			t.Fatalf("items %v", out.Items)
		}
		m := out.Items[0]["m"].(*types.AttributeValueMemberM).Value
		if l := m["l"].(*types.AttributeValueMemberL).Value; len(l) != 1 || getS(map[string]types.AttributeValue{"x": l[0]}, "x") != "two" {
			t.Errorf("projection m.l[1] = %v", l)
		}
	})
	t.Run("query order and filter", func(t *testing.T) {
		out := e.exec(t, `SELECT * FROM pqt WHERE pk = ? AND n >= 20 ORDER BY sk DESC`, avS("a"))
		var got []string
		for _, it := range out.Items {
			got = append(got, getS(it, "sk"))
		}
		if strings.Join(got, ",") != "5,4,3,2" {
			t.Errorf("sk order %v", got)
		}
	})
	t.Run("scan with functions", func(t *testing.T) {
		out := e.exec(t, `SELECT pk FROM pqt WHERE tag IS NOT MISSING OR (begins_with(pk, 'a') AND n BETWEEN 45 AND 100)`)
		if len(out.Items) != 2 {
			t.Fatalf("items %v", out.Items)
		}
		out = e.exec(t, `SELECT * FROM pqt WHERE pk IN ['a', 'b'] AND sk = 1`)
		if len(out.Items) != 2 {
			t.Fatalf("IN items %v", out.Items)
		}
	})
	t.Run("paging", func(t *testing.T) {
		for _, stmt := range []string{`SELECT * FROM pqt WHERE pk = 'a'`, `SELECT * FROM pqt`, `SELECT * FROM pqt WHERE pk IN ['b', 'a'] ORDER BY pk`} {
			var all []string
			var token *string
			pages := 0
			for {
				out, err := e.db.ExecuteStatement(ctx, &dynamodb.ExecuteStatementInput{Statement: aws.String(stmt), Limit: aws.Int32(2), NextToken: token})
				if err != nil {
					t.Fatal(err)
				}
				pages++
				for _, it := range out.Items {
					all = append(all, getS(it, "pk")+getS(it, "sk"))
				}
				if out.NextToken == nil {
					break
				}
				if out.LastEvaluatedKey == nil {
					t.Error("NextToken without LastEvaluatedKey")
				}
				token = out.NextToken
			}
			want := 6
			if stmt == `SELECT * FROM pqt WHERE pk = 'a'` {
				want = 5
			}
			if len(all) != want || pages < 3 {
				t.Errorf("%s: %d items in %d pages: %v", stmt, len(all), pages, all)
			}
			if stmt == `SELECT * FROM pqt WHERE pk IN ['b', 'a'] ORDER BY pk` && all[0] != "a1" {
				t.Errorf("ORDER BY pk: %v", all)
			}
		}
		out := e.exec(t, `SELECT * FROM pqt WHERE pk = 'a'`)
		if len(out.Items) != 5 || out.NextToken != nil {
			t.Errorf("unpaged: %d items, token %v", len(out.Items), out.NextToken)
		}
	})
	t.Run("update", func(t *testing.T) {
		out := e.exec(t, `UPDATE pqt SET n = n + 1, s = set_add(s, <<'x'>>) SET extra = 'e' REMOVE m WHERE pk = 'a' AND sk = 1 RETURNING ALL NEW *`)
		it := out.Items[0]
		if getS(it, "n") != "11" || getS(it, "extra") != "e" || it["m"] != nil || len(it["s"].(*types.AttributeValueMemberSS).Value) != 1 {
			t.Errorf("ALL NEW %v", it)
		}
		out = e.exec(t, `UPDATE pqt SET n = 7 WHERE pk = 'a' AND sk = 1 RETURNING MODIFIED OLD *`)
		if len(out.Items) != 1 || len(out.Items[0]) != 1 || getS(out.Items[0], "n") != "11" {
			t.Errorf("MODIFIED OLD %v", out.Items)
		}
		out = e.exec(t, `UPDATE pqt SET n = 8 WHERE pk = 'a' AND sk = 1`)
		if len(out.Items) != 0 {
			t.Errorf("no RETURNING: %v", out.Items)
		}
	})
	t.Run("delete", func(t *testing.T) {
		out := e.exec(t, `DELETE FROM pqt WHERE pk = 'a' AND sk = 5 RETURNING ALL OLD *`)
		if len(out.Items) != 1 || getS(out.Items[0], "n") != "50" {
			t.Errorf("ALL OLD %v", out.Items)
		}
		out = e.exec(t, `DELETE FROM pqt WHERE pk = 'a' AND sk = 5 AND n = 1`)
		if len(out.Items) != 0 {
			t.Errorf("missing item delete: %v", out.Items)
		}
	})
	t.Run("sdk errors", func(t *testing.T) {
		_, err := e.db.ExecuteStatement(ctx, &dynamodb.ExecuteStatementInput{Statement: aws.String(`INSERT INTO pqt VALUE {'pk': 'b', 'sk': 1}`)})
		var dup *types.DuplicateItemException
		if !errors.As(err, &dup) || dup.ErrorMessage() != "Duplicate primary key exists in table" {
			t.Errorf("duplicate insert: %v", err)
		}
		_, err = e.db.ExecuteStatement(ctx, &dynamodb.ExecuteStatementInput{Statement: aws.String(`UPDATE pqt SET x = 1 WHERE pk = 'zz' AND sk = 1`)})
		var ccf *types.ConditionalCheckFailedException
		if !errors.As(err, &ccf) || ccf.Item != nil {
			t.Errorf("update of missing item: %v", err)
		}
		_, err = e.db.ExecuteStatement(ctx, &dynamodb.ExecuteStatementInput{
			Statement:                           aws.String(`UPDATE pqt SET x = 1 WHERE pk = 'b' AND sk = 1 AND tag = 'nope'`),
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		})
		if !errors.As(err, &ccf) || getS(ccf.Item, "tag") != "x" {
			t.Errorf("failed condition: %v", err)
		}
	})
}

func TestPartiQLErrors(t *testing.T) {
	e := newEnv(t, Options{})
	e.createSimple(t, "pqt", true, "")
	e.mustRaw(t, "ExecuteStatement", `{"Statement":"INSERT INTO pqt VALUE {'pk':'a','sk':1}"}`)
	const wf = "Statement wasn't well formed, can't be processed: "
	tDup := "com.amazonaws.dynamodb.v20120810#DuplicateItemException"
	es := func(name, stmt, params, typ, msg string) errorCase {
		body := `{"Statement":` + string(mustJSON(stmt))
		if params != "" {
			body += `,"Parameters":` + params
		}
		return errorCase{name: name, op: "ExecuteStatement", body: body + `}`, typ: typ, msg: msg}
	}
	runErrorCases(t, e, []errorCase{
		{name: "no statement", op: "ExecuteStatement", body: `{}`, typ: tValidation, msg: "1 validation error detected: Value null at 'statement' failed to satisfy constraint: Member must not be null"},
		{name: "empty parameters", op: "ExecuteStatement", body: `{"Statement":"SELECT * FROM pqt","Parameters":[]}`, typ: tValidation, msg: "1 validation error detected: Value '[]' at 'parameters' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		es("not dml", `SLECT * FROM pqt`, "", tValidation, wf+"Expected data manipulation"),
		es("leftover", `SELECT * FROM pqt WHERE pk = 'a' foo`, "", tValidation, wf+"Unexpected token after expression"),
		es("params", `SELECT * FROM pqt WHERE pk = ?`, "", tValidation, "Number of parameters in request and statement don't match."),
		es("unknown table", `SELECT * FROM nosuch`, "", tNotFound, "Requested resource not found"),
		es("update without key", `UPDATE pqt SET x = 1 WHERE pk = 'a'`, "", tValidation, "Where clause does not contain a mandatory equality on all key attributes"),
		es("delete without where", `DELETE FROM pqt`, "", tValidation, "Where clause does not contain a mandatory equality on all key attributes"),
		es("key type", `DELETE FROM pqt WHERE pk = 1 AND sk = 1`, "", tValidation, "Key attribute's data type should match its data type in table's schema: Key pk"),
		es("update key", `UPDATE pqt SET sk = 2 WHERE pk = 'a' AND sk = 1`, "", tValidation, "One or more parameter values were invalid: Cannot update attribute sk. This attribute is part of the key"),
		es("insert missing key", `INSERT INTO pqt VALUE {'pk': 'a'}`, "", tValidation, "One or more parameter values were invalid: Missing the key sk in the item"),
		es("insert duplicate", `INSERT INTO pqt VALUE {'pk': 'a', 'sk': 1}`, "", tDup, "Duplicate primary key exists in table"),
		es("update missing", `UPDATE pqt SET x = 1 WHERE pk = 'a' AND sk = 9`, "", tCCF, "The conditional request failed"),
		es("exists outside tx", `EXISTS(SELECT * FROM pqt WHERE pk = 'a' AND sk = 1)`, "", tValidation, "EXISTS can only be used in ExecuteTransaction write requests."),
		es("order by without where", `SELECT * FROM pqt ORDER BY sk`, "", tValidation, "Must have WHERE clause in the statement when using ORDER BY clause."),
		es("order by scan", `SELECT * FROM pqt WHERE sk = 1 ORDER BY sk`, "", tValidation, "Must have at least one non-optional hash key condition in WHERE clause when using ORDER BY clause."),
		es("order by non key", `SELECT * FROM pqt WHERE pk = 'a' ORDER BY x`, "", tValidation, "Variable reference x in ORDER BY clause must be part of the primary key"),
		es("bad index", `SELECT * FROM "pqt"."nope"`, "", tValidation, "The table does not have the specified index: nope"),
		{name: "token of another statement", op: "ExecuteStatement", body: `{"Statement":"SELECT * FROM pqt","NextToken":"` + (&pqToken{Sig: "x"}).encode() + `"}`, typ: tValidation, msg: "NextToken does not match request"},
		{name: "garbage token", op: "ExecuteStatement", body: `{"Statement":"SELECT * FROM pqt","NextToken":"!!"}`, typ: tValidation, msg: "Invalid NextToken"},
		{name: "batch over 25", op: "BatchExecuteStatement", body: `{"Statements":[` + strings.Repeat(`{"Statement":"SELECT * FROM pqt"},`, 25) + `{"Statement":"SELECT * FROM pqt"}]}`, typ: tValidation, msg: "~BatchStatementRequest@11a25bfa]' at 'statements' failed to satisfy constraint: Member must have length less than or equal to 25"},
		{name: "tx mixed", op: "ExecuteTransaction", body: `{"TransactStatements":[{"Statement":"SELECT * FROM pqt WHERE pk='a' AND sk=1"},{"Statement":"DELETE FROM pqt WHERE pk='a' AND sk=1"}]}`, typ: tValidation, msg: "ExecuteTransaction API does not support both read and write operations in the same request."},
		{name: "tx parse error", op: "ExecuteTransaction", body: `{"TransactStatements":[{"Statement":"SELECT * FROM pqt WHERE"}]}`, typ: tValidation, msg: "Validation failed in TransactStatements[0]: " + wf + "Unexpected term"},
		{name: "tx read without key", op: "ExecuteTransaction", body: `{"TransactStatements":[{"Statement":"SELECT * FROM pqt WHERE pk='a'"}]}`, typ: tValidation, msg: "Validation failed in TransactStatements[0]: Select statements within ExecuteTransaction must specify the primary key in the where clause."},
		{name: "tx same item twice", op: "ExecuteTransaction", body: `{"TransactStatements":[{"Statement":"DELETE FROM pqt WHERE pk='a' AND sk=1"},{"Statement":"UPDATE pqt SET x=1 WHERE pk='a' AND sk=1"}]}`, typ: tValidation, msg: "Transaction request cannot include multiple operations on one item"},
	})
}

func mustJSON(s string) []byte {
	b := appendJSONString(nil, s)
	return b
}

func TestPartiQLBatch(t *testing.T) {
	e := newEnv(t, Options{})
	e.createSimple(t, "pqt", false, "")
	out, err := e.db.BatchExecuteStatement(ctx, &dynamodb.BatchExecuteStatementInput{Statements: []types.BatchStatementRequest{
		{Statement: aws.String(`INSERT INTO pqt VALUE {'pk': ?, 'v': 1}`), Parameters: []types.AttributeValue{avS("a")}},
		{Statement: aws.String(`INSERT INTO pqt VALUE {'pk': 'b', 'v': 2}`)},
		{Statement: aws.String(`INSERT INTO pqt VALUE {'pk': 'a'}`)},
		{Statement: aws.String(`UPDATE pqt SET v = 3 WHERE pk = 'b' AND v = 9`), ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld},
		{Statement: aws.String(`DELETE FROM nosuch WHERE pk = 'a'`)},
		{Statement: aws.String(`UPDATE pqt SET v = ? WHERE pk = 'b'`)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	wantCodes := []string{"", "", "DuplicateItem", "ConditionalCheckFailed", "ResourceNotFound", "ValidationError"}
	for i, r := range out.Responses {
		code := ""
		if r.Error != nil {
			code = string(r.Error.Code)
		}
		if code != wantCodes[i] {
			t.Errorf("response %d: code %q (%v), want %q", i, code, aws.ToString(errMsg(r.Error)), wantCodes[i])
		}
	}
	if it := out.Responses[3].Error.Item; getS(it, "v") != "2" {
		t.Errorf("ALL_OLD item on failed condition: %v", it)
	}
	if m := aws.ToString(out.Responses[5].Error.Message); m != "Number of parameters in request and statement don't match." {
		t.Errorf("message %q", m)
	}
	reads, err := e.db.BatchExecuteStatement(ctx, &dynamodb.BatchExecuteStatementInput{Statements: []types.BatchStatementRequest{
		{Statement: aws.String(`SELECT * FROM pqt WHERE pk = 'a'`)},
		{Statement: aws.String(`SELECT v FROM pqt WHERE pk = 'zz'`)},
		{Statement: aws.String(`SELECT * FROM pqt WHERE v = 1`)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	r := reads.Responses
	if getS(r[0].Item, "v") != "1" || aws.ToString(r[0].TableName) != "pqt" || r[1].Item != nil || r[1].Error != nil {
		t.Errorf("reads %+v %+v", r[0], r[1])
	}
	if r[2].Error == nil || aws.ToString(r[2].Error.Message) != "Select statements within BatchExecuteStatement must specify the primary key in the where clause." {
		t.Errorf("read without key: %+v", r[2].Error)
	}
	_, err = e.db.BatchExecuteStatement(ctx, &dynamodb.BatchExecuteStatementInput{Statements: []types.BatchStatementRequest{
		{Statement: aws.String(`SELECT * FROM pqt WHERE pk = 'a'`)},
		{Statement: aws.String(`DELETE FROM pqt WHERE pk = 'a'`)},
	}})
	if err == nil {
		t.Error("mixed batch accepted")
	}
}

func errMsg(e *types.BatchStatementError) *string {
	if e == nil {
		return nil
	}
	return e.Message
}

func TestPartiQLTransaction(t *testing.T) {
	e := newEnv(t, Options{})
	e.createSimple(t, "pqt", false, "")
	e.exec(t, `INSERT INTO pqt VALUE {'pk': 'a', 'v': 1}`)
	e.exec(t, `INSERT INTO pqt VALUE {'pk': 'c', 'v': 1}`)
	tx := func(token string, stmts ...string) error {
		in := &dynamodb.ExecuteTransactionInput{}
		if token != "" {
			in.ClientRequestToken = aws.String(token)
		}
		for _, s := range stmts {
			in.TransactStatements = append(in.TransactStatements, types.ParameterizedStatement{Statement: aws.String(s)})
		}
		_, err := e.db.ExecuteTransaction(ctx, in)
		return err
	}
	reasons := func(err error) string {
		var tc *types.TransactionCanceledException
		if !errors.As(err, &tc) {
			return fmt.Sprintf("not cancelled: %v", err)
		}
		var codes []string
		for _, r := range tc.CancellationReasons {
			codes = append(codes, aws.ToString(r.Code))
		}
		return strings.Join(codes, ",")
	}
	cases := []struct {
		name    string
		stmts   []string
		reasons string
	}{
		{"insert existing", []string{`INSERT INTO pqt VALUE {'pk': 'n1'}`, `INSERT INTO pqt VALUE {'pk': 'a'}`}, "None,DuplicateItem"},
		{"update missing", []string{`INSERT INTO pqt VALUE {'pk': 'n1'}`, `UPDATE pqt SET v = 2 WHERE pk = 'zz'`}, "None,ConditionalCheckFailed"},
		{"exists false", []string{`EXISTS(SELECT * FROM pqt WHERE pk = 'a' AND v = 5)`, `INSERT INTO pqt VALUE {'pk': 'n1'}`}, "ConditionalCheckFailed,None"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := reasons(tx("", tc.stmts...)); got != tc.reasons {
				t.Errorf("reasons %s, want %s", got, tc.reasons)
			}
			if out := e.exec(t, `SELECT * FROM pqt WHERE pk = 'n1'`); len(out.Items) != 0 {
				t.Error("a cancelled transaction wrote")
			}
		})
	}
	err := tx("tok-1", `EXISTS(SELECT * FROM pqt WHERE pk = 'c' AND v = 1)`, `UPDATE pqt SET v = v + 1 WHERE pk = 'a'`,
		`INSERT INTO pqt VALUE {'pk': 'b'}`, `DELETE FROM pqt WHERE pk = 'gone' AND v = 3`)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx("tok-1", `EXISTS(SELECT * FROM pqt WHERE pk = 'c' AND v = 1)`, `UPDATE pqt SET v = v + 1 WHERE pk = 'a'`,
		`INSERT INTO pqt VALUE {'pk': 'b'}`, `DELETE FROM pqt WHERE pk = 'gone' AND v = 3`); err != nil {
		t.Fatalf("replay with the same token: %v", err)
	}
	var mismatch *types.IdempotentParameterMismatchException
	if err := tx("tok-1", `INSERT INTO pqt VALUE {'pk': 'd'}`); !errors.As(err, &mismatch) {
		t.Errorf("token reuse: %v", err)
	}
	out, err := e.db.ExecuteTransaction(ctx, &dynamodb.ExecuteTransactionInput{TransactStatements: []types.ParameterizedStatement{
		{Statement: aws.String(`SELECT v FROM pqt WHERE pk = 'a'`)},
		{Statement: aws.String(`SELECT * FROM pqt WHERE pk = ?`), Parameters: []types.AttributeValue{avS("nope")}},
		{Statement: aws.String(`SELECT * FROM pqt WHERE pk = 'b'`)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if r := out.Responses; len(r) != 3 || getS(r[0].Item, "v") != "2" || r[1].Item != nil || getS(r[2].Item, "pk") != "b" {
		t.Errorf("read responses %+v", out.Responses)
	}
}

// TestPartiQLCLI runs the AWS CLI v2 against the server when it is installed.
func TestPartiQLCLI(t *testing.T) {
	const cli = "/usr/bin/aws"
	if _, err := os.Stat(cli); err != nil {
		t.Skip("AWS CLI v2 not installed")
	}
	e := newEnv(t, Options{})
	e.createSimple(t, "pqt", false, "")
	run := func(args ...string) (string, error) {
		cmd := exec.Command(cli, append([]string{"dynamodb", "--endpoint-url", e.url, "--region", "us-east-1", "--output", "json"}, args...)...)
		cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=x", "AWS_SECRET_ACCESS_KEY=y", "AWS_PAGER=", "AWS_MAX_ATTEMPTS=1")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := run("execute-statement", "--statement", `INSERT INTO pqt VALUE {'pk': 'cli', 'n': 5}`); err != nil {
		t.Fatalf("insert: %v\n%s", err, out)
	}
	out, err := run("execute-statement", "--statement", `SELECT n FROM pqt WHERE pk = ?`, "--parameters", `[{"S":"cli"}]`)
	if err != nil || !strings.Contains(out, `"N": "5"`) {
		t.Fatalf("select: %v\n%s", err, out)
	}
	out, err = run("execute-statement", "--statement", `INSERT INTO pqt VALUE {'pk': 'cli'}`)
	if err == nil || !strings.Contains(out, "DuplicateItemException") || !strings.Contains(out, "Duplicate primary key exists in table") {
		t.Errorf("duplicate: %v\n%s", err, out)
	}
	out, err = run("batch-execute-statement", "--statements", `[{"Statement":"SELECT * FROM pqt WHERE pk = 'cli'"}]`)
	if err != nil || !strings.Contains(out, `"TableName": "pqt"`) {
		t.Errorf("batch: %v\n%s", err, out)
	}
}

func BenchmarkExecuteStatement(b *testing.B) {
	e := newEnv(b, Options{})
	e.createSimple(b, "pqt", true, "")
	for i := 0; i < 100; i++ {
		e.mustRaw(b, "ExecuteStatement", fmt.Sprintf(`{"Statement":"INSERT INTO pqt VALUE {'pk':'a','sk':%d,'v':'x'}"}`, i))
	}
	for _, bc := range []struct{ name, stmt string }{
		{"GetByKey", `SELECT * FROM pqt WHERE pk = 'a' AND sk = 42`},
		{"Partition100", `SELECT * FROM pqt WHERE pk = 'a'`},
		{"Update", `UPDATE pqt SET v = 'y' WHERE pk = 'a' AND sk = 7`},
	} {
		b.Run(bc.name, func(b *testing.B) {
			in := &dynamodb.ExecuteStatementInput{Statement: aws.String(bc.stmt)}
			for i := 0; i < b.N; i++ {
				if _, err := e.db.ExecuteStatement(ctx, in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
