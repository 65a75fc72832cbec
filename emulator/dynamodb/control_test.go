package dynamodb

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

const (
	defPK   = `"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}]`
	ksPK    = `"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}]`
	defPKSK = `"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"sk","AttributeType":"S"}]`
	ksPKSK  = `"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}]`
	ppr     = `"BillingMode":"PAY_PER_REQUEST"`
)

func TestCreateTableValidation(t *testing.T) {
	e := newEnv(t, Options{})
	e.createSimple(t, "exists", false, "")
	runErrorCases(t, e, []errorCase{
		{"no name", "CreateTable", `{` + defPK + `,` + ksPK + `,` + ppr + `}`, tValidation,
			"1 validation error detected: Value null at 'tableName' failed to satisfy constraint: Member must not be null"},
		{"short name and bad chars", "CreateTable", `{"TableName":"a!",` + defPK + `,` + ksPK + `,` + ppr + `}`, tValidation,
			"2 validation errors detected: Value 'a!' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 3; Value 'a!' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"},
		{"bad key type", "CreateTable", `{"TableName":"tbl",` + defPK + `,"KeySchema":[{"AttributeName":"pk","KeyType":"PRIMARY"}],` + ppr + `}`, tValidation,
			"1 validation error detected: Value 'PRIMARY' at 'keySchema.1.member.keyType' failed to satisfy constraint: Member must satisfy enum value set: [HASH, RANGE]"},
		{"first not hash", "CreateTable", `{"TableName":"tbl",` + defPKSK + `,"KeySchema":[{"AttributeName":"sk","KeyType":"RANGE"},{"AttributeName":"pk","KeyType":"HASH"}],` + ppr + `}`, tValidation,
			"Invalid KeySchema: The first KeySchemaElement is not a HASH key type"},
		{"same hash and range", "CreateTable", `{"TableName":"tbl",` + defPK + `,"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"pk","KeyType":"RANGE"}],` + ppr + `}`, tValidation,
			"Both the Hash Key and the Range Key element in the KeySchema have the same name"},
		{"undefined key", "CreateTable", `{"TableName":"tbl",` + defPK + `,` + ksPKSK + `,` + ppr + `}`, tValidation,
			"One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [pk, sk], AttributeDefinitions: [pk]"},
		{"extra definition", "CreateTable", `{"TableName":"tbl",` + defPKSK + `,` + ksPK + `,` + ppr + `}`, tValidation,
			"One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions"},
		{"provisioned without throughput", "CreateTable", `{"TableName":"tbl",` + defPK + `,` + ksPK + `}`, tValidation,
			"One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED"},
		{"on demand with throughput", "CreateTable", `{"TableName":"tbl",` + defPK + `,` + ksPK + `,` + ppr + `,"ProvisionedThroughput":{"ReadCapacityUnits":1,"WriteCapacityUnits":1}}`, tValidation,
			"One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST"},
		{"throughput zero", "CreateTable", `{"TableName":"tbl",` + defPK + `,` + ksPK + `,"ProvisionedThroughput":{"ReadCapacityUnits":0,"WriteCapacityUnits":1}}`, tValidation,
			"1 validation error detected: Value '0' at 'provisionedThroughput.readCapacityUnits' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{"lsi without table range", "CreateTable", `{"TableName":"tbl","AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"x","AttributeType":"S"}],` + ksPK + `,` + ppr +
			`,"LocalSecondaryIndexes":[{"IndexName":"lsi","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"x","KeyType":"RANGE"}],"Projection":{"ProjectionType":"ALL"}}]}`, tValidation,
			"One or more parameter values were invalid: Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex"},
		{"lsi other hash", "CreateTable", `{"TableName":"tbl","AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"sk","AttributeType":"S"},{"AttributeName":"x","AttributeType":"S"}],` + ksPKSK + `,` + ppr +
			`,"LocalSecondaryIndexes":[{"IndexName":"lsi","KeySchema":[{"AttributeName":"x","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],"Projection":{"ProjectionType":"ALL"}}]}`, tValidation,
			"One or more parameter values were invalid: Index KeySchema does not have the same leading hash key as table KeySchema for index: lsi. index hash key: x, table hash key: pk"},
		{"nonkey without include", "CreateTable", `{"TableName":"tbl","AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"g","AttributeType":"S"}],` + ksPK + `,` + ppr +
			`,"GlobalSecondaryIndexes":[{"IndexName":"gsi","KeySchema":[{"AttributeName":"g","KeyType":"HASH"}],"Projection":{"ProjectionType":"ALL","NonKeyAttributes":["a"]}}]}`, tValidation,
			"One or more parameter values were invalid: ProjectionType is ALL, but NonKeyAttributes is specified"},
		{"missing projection type", "CreateTable", `{"TableName":"tbl","AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"g","AttributeType":"S"}],` + ksPK + `,` + ppr +
			`,"GlobalSecondaryIndexes":[{"IndexName":"gsi","KeySchema":[{"AttributeName":"g","KeyType":"HASH"}],"Projection":{}}]}`, tValidation,
			"One or more parameter values were invalid: Unknown ProjectionType: null"},
		{"duplicate index", "CreateTable", `{"TableName":"tbl","AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"g","AttributeType":"S"}],` + ksPK + `,` + ppr +
			`,"GlobalSecondaryIndexes":[{"IndexName":"gsi","KeySchema":[{"AttributeName":"g","KeyType":"HASH"}],"Projection":{"ProjectionType":"ALL"}},{"IndexName":"gsi","KeySchema":[{"AttributeName":"g","KeyType":"HASH"}],"Projection":{"ProjectionType":"ALL"}}]}`, tValidation,
			"One or more parameter values were invalid: Duplicate index name: gsi"},
		{"empty gsi list", "CreateTable", `{"TableName":"tbl",` + defPK + `,` + ksPK + `,` + ppr + `,"GlobalSecondaryIndexes":[]}`, tValidation,
			"One or more parameter values were invalid: List of GlobalSecondaryIndexes is empty"},
		{"gsi throughput on demand", "CreateTable", `{"TableName":"tbl","AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"g","AttributeType":"S"}],` + ksPK + `,` + ppr +
			`,"GlobalSecondaryIndexes":[{"IndexName":"gsi","KeySchema":[{"AttributeName":"g","KeyType":"HASH"}],"Projection":{"ProjectionType":"ALL"},"ProvisionedThroughput":{"ReadCapacityUnits":1,"WriteCapacityUnits":1}}]}`, tValidation,
			"One or more parameter values were invalid: ProvisionedThroughput should not be specified for index: gsi when BillingMode is PAY_PER_REQUEST"},
		{"exists", "CreateTable", `{"TableName":"exists",` + defPK + `,` + ksPK + `,` + ppr + `}`, tInUse, "Table already exists: exists"},
		{"describe missing", "DescribeTable", `{"TableName":"nope"}`, tNotFound, "Requested resource not found: Table: nope not found"},
		{"delete missing", "DeleteTable", `{"TableName":"nope"}`, tNotFound, "Requested resource not found: Table: nope not found"},
		{"list limit", "ListTables", `{"Limit":0}`, tValidation,
			"1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{"update nothing", "UpdateTable", `{"TableName":"exists"}`, tValidation,
			"At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required"},
		{"two gsi creates", "UpdateTable", `{"TableName":"exists","AttributeDefinitions":[{"AttributeName":"a","AttributeType":"S"}],"GlobalSecondaryIndexUpdates":[{"Create":{"IndexName":"i1","KeySchema":[{"AttributeName":"a","KeyType":"HASH"}],"Projection":{"ProjectionType":"ALL"}}},{"Create":{"IndexName":"i2","KeySchema":[{"AttributeName":"a","KeyType":"HASH"}],"Projection":{"ProjectionType":"ALL"}}}]}`,
			"com.amazonaws.dynamodb.v20120810#LimitExceededException", "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table"},
		{"empty gsi update", "UpdateTable", `{"TableName":"exists","GlobalSecondaryIndexUpdates":[{}]}`, tValidation,
			"One or more parameter values were invalid: One of GlobalSecondaryIndexUpdate.Update, GlobalSecondaryIndexUpdate.Create, GlobalSecondaryIndexUpdate.Delete must not be null"},
		{"ttl disable when disabled", "UpdateTimeToLive", `{"TableName":"exists","TimeToLiveSpecification":{"Enabled":false,"AttributeName":"ttl"}}`, tValidation, "TimeToLive is already disabled"},
		{"tag bad arn", "TagResource", `{"ResourceArn":"nope","Tags":[{"Key":"a","Value":"b"}]}`, tValidation, "Invalid TableArn: Invalid ResourceArn provided as input nope"},
		{"tag missing table", "ListTagsOfResource", `{"ResourceArn":"arn:aws:dynamodb:us-east-1:000000000000:table/zzz"}`, tNotFound,
			"Requested resource not found: ResourcArn: arn:aws:dynamodb:us-east-1:000000000000:table/zzz not found"},
	})
}

func TestControlPlaneSDK(t *testing.T) {
	e := newEnv(t, Options{})
	out, err := e.db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName: aws.String("Orders"),
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("sk"), AttributeType: types.ScalarAttributeTypeN},
			{AttributeName: aws.String("g"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("l"), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}, {AttributeName: aws.String("sk"), KeyType: types.KeyTypeRange}},
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{IndexName: aws.String("byG"),
			KeySchema:  []types.KeySchemaElement{{AttributeName: aws.String("g"), KeyType: types.KeyTypeHash}},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly}}},
		LocalSecondaryIndexes: []types.LocalSecondaryIndex{{IndexName: aws.String("byL"),
			KeySchema:  []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}, {AttributeName: aws.String("l"), KeyType: types.KeyTypeRange}},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeInclude, NonKeyAttributes: []string{"x"}}}},
		BillingMode:         types.BillingModePayPerRequest,
		StreamSpecification: &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeNewAndOldImages},
		Tags:                []types.Tag{{Key: aws.String("env"), Value: aws.String("dev")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	d := out.TableDescription
	if d.TableStatus != types.TableStatusActive || *d.TableArn != "arn:aws:dynamodb:us-east-1:000000000000:table/Orders" ||
		len(d.GlobalSecondaryIndexes) != 1 || len(d.LocalSecondaryIndexes) != 1 || d.LatestStreamArn == nil ||
		d.BillingModeSummary.BillingMode != types.BillingModePayPerRequest || d.TableId == nil || d.CreationDateTime == nil {
		t.Fatalf("unexpected description: %+v", d)
	}
	if *d.GlobalSecondaryIndexes[0].IndexArn != "arn:aws:dynamodb:us-east-1:000000000000:table/Orders/index/byG" {
		t.Errorf("index arn %s", *d.GlobalSecondaryIndexes[0].IndexArn)
	}
	// Waiters poll DescribeTable until ACTIVE.
	w := dynamodb.NewTableExistsWaiter(e.db)
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("Orders")}, 5e9); err != nil {
		t.Fatal(err)
	}
	// ListTables paging.
	for i := 0; i < 5; i++ {
		e.createSimple(t, fmt.Sprintf("page%02d", i), false, "")
	}
	var names []string
	var start *string
	for {
		lt, err := e.db.ListTables(ctx, &dynamodb.ListTablesInput{Limit: aws.Int32(2), ExclusiveStartTableName: start})
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, lt.TableNames...)
		if lt.LastEvaluatedTableName == nil {
			break
		}
		start = lt.LastEvaluatedTableName
	}
	if fmt.Sprint(names) != "[Orders page00 page01 page02 page03 page04]" {
		t.Errorf("ListTables pages gave %v", names)
	}
	// Tags.
	arn := d.TableArn
	if _, err := e.db.TagResource(ctx, &dynamodb.TagResourceInput{ResourceArn: arn, Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("a")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.UntagResource(ctx, &dynamodb.UntagResourceInput{ResourceArn: arn, TagKeys: []string{"env"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := e.db.ListTagsOfResource(ctx, &dynamodb.ListTagsOfResourceInput{ResourceArn: arn})
	if err != nil || len(tags.Tags) != 1 || *tags.Tags[0].Key != "team" {
		t.Fatalf("tags %+v %v", tags, err)
	}
	// TTL.
	if _, err := e.db.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: aws.String("Orders"),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{Enabled: aws.Bool(true), AttributeName: aws.String("exp")}}); err != nil {
		t.Fatal(err)
	}
	ttl, err := e.db.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String("Orders")})
	if err != nil || ttl.TimeToLiveDescription.TimeToLiveStatus != types.TimeToLiveStatusEnabled || *ttl.TimeToLiveDescription.AttributeName != "exp" {
		t.Fatalf("ttl %+v %v", ttl, err)
	}
	// UpdateTable: new GSI (backfilled), stream off, billing.
	if _, err := e.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("Orders"), Item: map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: "a"}, "sk": &types.AttributeValueMemberN{Value: "1"}, "h": &types.AttributeValueMemberS{Value: "x"}}}); err != nil {
		t.Fatal(err)
	}
	ut, err := e.db.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("Orders"),
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("h"), AttributeType: types.ScalarAttributeTypeS}},
		GlobalSecondaryIndexUpdates: []types.GlobalSecondaryIndexUpdate{{Create: &types.CreateGlobalSecondaryIndexAction{IndexName: aws.String("byH"),
			KeySchema: []types.KeySchemaElement{{AttributeName: aws.String("h"), KeyType: types.KeyTypeHash}}, Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(ut.TableDescription.GlobalSecondaryIndexes) != 2 || ut.TableDescription.GlobalSecondaryIndexes[1].ItemCount == nil || *ut.TableDescription.GlobalSecondaryIndexes[1].ItemCount != 1 {
		t.Fatalf("new GSI not backfilled: %+v", ut.TableDescription.GlobalSecondaryIndexes)
	}
	q, err := e.db.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("Orders"), IndexName: aws.String("byH"), KeyConditionExpression: aws.String("h = :h"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":h": &types.AttributeValueMemberS{Value: "x"}}})
	if err != nil || q.Count != 1 {
		t.Fatalf("query on the new GSI: %v %v", q, err)
	}
	ut, err = e.db.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("Orders"),
		GlobalSecondaryIndexUpdates: []types.GlobalSecondaryIndexUpdate{{Delete: &types.DeleteGlobalSecondaryIndexAction{IndexName: aws.String("byH")}}}})
	if err != nil || len(ut.TableDescription.GlobalSecondaryIndexes) != 1 {
		t.Fatalf("GSI delete: %v", err)
	}
	if _, err := e.db.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("Orders"), StreamSpecification: &types.StreamSpecification{StreamEnabled: aws.Bool(false)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("Orders"), BillingMode: types.BillingModeProvisioned,
		ProvisionedThroughput: &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(5), WriteCapacityUnits: aws.Int64(5)}}); err == nil ||
		!strings.Contains(err.Error(), "ProvisionedThroughput must be specified for index: byG") {
		t.Fatalf("switching to PROVISIONED without GSI throughput: %v", err)
	}
	// DescribeLimits / DescribeEndpoints.
	lim, err := e.db.DescribeLimits(ctx, &dynamodb.DescribeLimitsInput{})
	if err != nil || *lim.TableMaxReadCapacityUnits != 40000 {
		t.Fatalf("limits %+v %v", lim, err)
	}
	ep, err := e.db.DescribeEndpoints(ctx, &dynamodb.DescribeEndpointsInput{})
	if err != nil || len(ep.Endpoints) != 1 || ep.Endpoints[0].CachePeriodInMinutes != 1440 {
		t.Fatalf("endpoints %+v %v", ep, err)
	}
	// DeleteTable.
	del, err := e.db.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String("Orders")})
	if err != nil || del.TableDescription.TableStatus != types.TableStatusDeleting {
		t.Fatalf("delete %+v %v", del, err)
	}
	_, err = e.db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("Orders")})
	var rnf *types.ResourceNotFoundException
	if !errors.As(err, &rnf) {
		t.Fatalf("describe after delete: %v", err)
	}
}
