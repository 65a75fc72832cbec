package dynamodb

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// queryEnv has table "q": pk S, sk N, GSI byG (g S, sk N, KEYS_ONLY),
// LSI byL (pk, l S, INCLUDE x). Partition "p" holds sk 1..20 with
// g = "g<sk%2>", l = "l<20-sk>" and x/y attributes; "other" holds 3 items.
func queryEnv(t *testing.T) *env {
	e := newEnv(t, Options{})
	e.mustRaw(t, "CreateTable", `{"TableName":"qq1","AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"sk","AttributeType":"N"},
		{"AttributeName":"g","AttributeType":"S"},{"AttributeName":"l","AttributeType":"S"}],
		"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],"BillingMode":"PAY_PER_REQUEST",
		"GlobalSecondaryIndexes":[{"IndexName":"byG","KeySchema":[{"AttributeName":"g","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],"Projection":{"ProjectionType":"KEYS_ONLY"}}],
		"LocalSecondaryIndexes":[{"IndexName":"byL","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"l","KeyType":"RANGE"}],"Projection":{"ProjectionType":"INCLUDE","NonKeyAttributes":["x"]}}]}`)
	for i := 1; i <= 20; i++ {
		e.mustRaw(t, "PutItem", fmt.Sprintf(`{"TableName":"qq1","Item":{"pk":{"S":"p"},"sk":{"N":"%d"},"g":{"S":"g%d"},"l":{"S":"l%02d"},"x":{"N":"%d"},"y":{"S":"y"}}}`, i, i%2, 20-i, i))
	}
	for i := 1; i <= 3; i++ {
		e.mustRaw(t, "PutItem", fmt.Sprintf(`{"TableName":"qq1","Item":{"pk":{"S":"other"},"sk":{"N":"%d"}}}`, i))
	}
	e.mustRaw(t, "PutItem", `{"TableName":"qq1","Item":{"pk":{"S":"sparse"},"sk":{"N":"-1.5"}}}`)
	return e
}

func sks(items []map[string]types.AttributeValue) string {
	var out []string
	for _, it := range items {
		out = append(out, it["sk"].(*types.AttributeValueMemberN).Value)
	}
	return strings.Join(out, ",")
}

func TestQuery(t *testing.T) {
	e := queryEnv(t)
	vals := func(kv ...string) map[string]types.AttributeValue {
		m := map[string]types.AttributeValue{}
		for i := 0; i < len(kv); i += 2 {
			if strings.HasPrefix(kv[i], ":n") {
				m[kv[i]] = nv(kv[i+1])
			} else {
				m[kv[i]] = sv(kv[i+1])
			}
		}
		return m
	}
	cases := []struct {
		name     string
		in       dynamodb.QueryInput
		want     string // sk values of Items
		count    int32
		scanned  int32
		lek      bool
		keyNames string // attribute names of the first item
	}{
		{"partition", dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :p"), ExpressionAttributeValues: vals(":p", "other")}, "1,2,3", 3, 3, false, ""},
		{"between", dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :p AND sk BETWEEN :n1 AND :n2"), ExpressionAttributeValues: vals(":p", "p", ":n1", "5", ":n2", "8")}, "5,6,7,8", 4, 4, false, ""},
		{"greater reverse", dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :p AND sk > :n1"), ScanIndexForward: aws.Bool(false), ExpressionAttributeValues: vals(":p", "p", ":n1", "17")}, "20,19,18", 3, 3, false, ""},
		{"less", dynamodb.QueryInput{KeyConditionExpression: aws.String("sk < :n1 AND pk = :p"), ExpressionAttributeValues: vals(":p", "p", ":n1", "3")}, "1,2", 2, 2, false, ""},
		{"limit before filter", dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :p"), FilterExpression: aws.String("x > :n1"), Limit: aws.Int32(5), ExpressionAttributeValues: vals(":p", "p", ":n1", "3")}, "4,5", 2, 5, true, ""},
		{"limit exactly all", dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :p"), Limit: aws.Int32(3), ExpressionAttributeValues: vals(":p", "other")}, "1,2,3", 3, 3, true, ""},
		{"count", dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :p"), Select: types.SelectCount, ExpressionAttributeValues: vals(":p", "p")}, "", 20, 20, false, ""},
		{"projection", dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :p AND sk = :n1"), ProjectionExpression: aws.String("sk, y"), ExpressionAttributeValues: vals(":p", "p", ":n1", "7")}, "7", 1, 1, false, "sk y"},
		{"gsi keys only", dynamodb.QueryInput{IndexName: aws.String("byG"), KeyConditionExpression: aws.String("g = :g AND sk <= :n1"), ExpressionAttributeValues: vals(":g", "g1", ":n1", "5")}, "1,3,5", 3, 3, false, "g pk sk"},
		{"lsi include order", dynamodb.QueryInput{IndexName: aws.String("byL"), KeyConditionExpression: aws.String("pk = :p AND begins_with(l, :l)"), ExpressionAttributeValues: vals(":p", "p", ":l", "l0")}, "20,19,18,17,16,15,14,13,12,11", 10, 10, false, "l pk sk x"},
		{"lsi all attributes", dynamodb.QueryInput{IndexName: aws.String("byL"), Select: types.SelectAllAttributes, KeyConditionExpression: aws.String("pk = :p AND l = :l"), ExpressionAttributeValues: vals(":p", "p", ":l", "l00")}, "20", 1, 1, false, "g l pk sk x y"},
		{"negative decimal key", dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :p AND sk < :n1"), ExpressionAttributeValues: vals(":p", "sparse", ":n1", "-1")}, "-1.5", 1, 1, false, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			in.TableName = aws.String("qq1")
			out, err := e.db.Query(ctx, &in)
			if err != nil {
				t.Fatal(err)
			}
			if got := sks(out.Items); got != tc.want {
				t.Errorf("items %q, want %q", got, tc.want)
			}
			if out.Count != tc.count || out.ScannedCount != tc.scanned {
				t.Errorf("Count/ScannedCount %d/%d, want %d/%d", out.Count, out.ScannedCount, tc.count, tc.scanned)
			}
			if (out.LastEvaluatedKey != nil) != tc.lek {
				t.Errorf("LastEvaluatedKey %v, want present=%v", out.LastEvaluatedKey, tc.lek)
			}
			if tc.keyNames != "" && sortedKeys(out.Items[0]) != tc.keyNames {
				t.Errorf("attributes %q, want %q", sortedKeys(out.Items[0]), tc.keyNames)
			}
			if tc.count == 20 && out.Items != nil {
				t.Error("Select COUNT returned Items")
			}
		})
	}
	// Paging through an index returns every item once, and the
	// LastEvaluatedKey carries the table and index keys.
	var all []string
	var start map[string]types.AttributeValue
	pages := 0
	for {
		out, err := e.db.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("qq1"), IndexName: aws.String("byG"), KeyConditionExpression: aws.String("g = :g"),
			ExpressionAttributeValues: vals(":g", "g0"), Limit: aws.Int32(3), ExclusiveStartKey: start, ScanIndexForward: aws.Bool(false)})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		all = append(all, sks(out.Items))
		if out.LastEvaluatedKey == nil {
			break
		}
		if sortedKeys(out.LastEvaluatedKey) != "g pk sk" {
			t.Fatalf("index LastEvaluatedKey %v", out.LastEvaluatedKey)
		}
		start = out.LastEvaluatedKey
	}
	if strings.Join(all, ",") != "20,18,16,14,12,10,8,6,4,2" || pages != 4 {
		t.Errorf("paged %v in %d pages", all, pages)
	}
	runErrorCases(t, e, []errorCase{
		{"no key condition", "Query", `{"TableName":"qq1"}`, tValidation, "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request."},
		{"consistent gsi", "Query", `{"TableName":"qq1","IndexName":"byG","ConsistentRead":true,"KeyConditionExpression":"g = :g","ExpressionAttributeValues":{":g":{"S":"g1"}}}`, tValidation,
			"Consistent reads are not supported on global secondary indexes"},
		{"no index", "Query", `{"TableName":"qq1","IndexName":"nope","KeyConditionExpression":"pk = :g","ExpressionAttributeValues":{":g":{"S":"g1"}}}`, tValidation,
			"The table does not have the specified index: nope"},
		{"filter on key", "Query", `{"TableName":"qq1","KeyConditionExpression":"pk = :p","FilterExpression":"sk > :n","ExpressionAttributeValues":{":p":{"S":"p"},":n":{"N":"1"}}}`, tValidation,
			"Filter Expression can only contain non-primary key attributes: Primary key attribute: sk"},
		{"wrong key type", "Query", `{"TableName":"qq1","KeyConditionExpression":"pk = :p","ExpressionAttributeValues":{":p":{"N":"1"}}}`, tValidation,
			"One or more parameter values were invalid: Condition parameter type does not match schema type"},
		{"all attributes on keys-only gsi", "Query", `{"TableName":"qq1","IndexName":"byG","Select":"ALL_ATTRIBUTES","KeyConditionExpression":"g = :g","ExpressionAttributeValues":{":g":{"S":"g1"}}}`, tValidation,
			"One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index byG because its projection type is not ALL"},
		{"start key outside", "Query", `{"TableName":"qq1","KeyConditionExpression":"pk = :p","ExpressionAttributeValues":{":p":{"S":"p"}},"ExclusiveStartKey":{"pk":{"S":"other"},"sk":{"N":"1"}}}`, tValidation,
			"The provided starting key is outside query boundaries based on provided conditions"},
		{"start key bad", "Query", `{"TableName":"qq1","KeyConditionExpression":"pk = :p","ExpressionAttributeValues":{":p":{"S":"p"}},"ExclusiveStartKey":{"pk":{"S":"p"}}}`, tValidation,
			"The provided starting key is invalid: The provided key element does not match the schema"},
		{"start key range predicate", "Query", `{"TableName":"qq1","KeyConditionExpression":"pk = :p AND sk > :n","ExpressionAttributeValues":{":p":{"S":"p"},":n":{"N":"5"}},"ExclusiveStartKey":{"pk":{"S":"p"},"sk":{"N":"1"}}}`, tValidation,
			"The provided starting key does not match the range key predicate"},
		{"limit zero", "Query", `{"TableName":"qq1","Limit":0,"KeyConditionExpression":"pk = :p","ExpressionAttributeValues":{":p":{"S":"p"}}}`, tValidation,
			"1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{"segment without total", "Scan", `{"TableName":"qq1","Segment":1}`, tValidation,
			"The TotalSegments parameter is required but was not present in the request when Segment parameter is present"},
		{"segment too big", "Scan", `{"TableName":"qq1","Segment":3,"TotalSegments":3}`, tValidation,
			"The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: 3 is not less than TotalSegments: 3"},
		{"scan missing table", "Scan", `{"TableName":"nope"}`, tNotFound, "Requested resource not found"},
	})
}

func TestScan(t *testing.T) {
	e := queryEnv(t)
	// Plain paging returns each item exactly once, in a stable order.
	collect := func(in dynamodb.ScanInput) ([]string, int) {
		var got []string
		pages := 0
		for {
			out, err := e.db.Scan(ctx, &in)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			for _, it := range out.Items {
				got = append(got, it["pk"].(*types.AttributeValueMemberS).Value+"/"+it["sk"].(*types.AttributeValueMemberN).Value)
			}
			if out.LastEvaluatedKey == nil {
				return got, pages
			}
			in.ExclusiveStartKey = out.LastEvaluatedKey
		}
	}
	full, _ := collect(dynamodb.ScanInput{TableName: aws.String("qq1")})
	if len(full) != 24 {
		t.Fatalf("scan found %d items", len(full))
	}
	paged, pages := collect(dynamodb.ScanInput{TableName: aws.String("qq1"), Limit: aws.Int32(7)})
	if strings.Join(paged, " ") != strings.Join(full, " ") || pages != 4 {
		t.Errorf("paged scan differs or %d pages:\n%v\n%v", pages, paged, full)
	}
	// Parallel segments are disjoint and cover the table.
	var union []string
	for seg := int32(0); seg < 4; seg++ {
		part, _ := collect(dynamodb.ScanInput{TableName: aws.String("qq1"), Segment: aws.Int32(seg), TotalSegments: aws.Int32(4), Limit: aws.Int32(2)})
		union = append(union, part...)
	}
	sort.Strings(union)
	sorted := append([]string(nil), full...)
	sort.Strings(sorted)
	if strings.Join(union, " ") != strings.Join(sorted, " ") {
		t.Errorf("segments union %v", union)
	}
	// Index scan: only items that have the index keys (sparse).
	out, err := e.db.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("qq1"), IndexName: aws.String("byG")})
	if err != nil || out.Count != 20 {
		t.Fatalf("index scan %v %v", out.Count, err)
	}
	// Filter and count.
	out, err = e.db.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("qq1"), FilterExpression: aws.String("attribute_exists(y) AND x >= :n"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":n": nv("15")}, Select: types.SelectCount})
	if err != nil || out.Count != 6 || out.ScannedCount != 24 || out.Items != nil {
		t.Fatalf("filtered count %d/%d %v", out.Count, out.ScannedCount, err)
	}
	// The 1 MB page rule: 12 items of 100 KB need two pages.
	e.createSimple(t, "big", false, "")
	pad := strings.Repeat("z", 100*1024)
	for i := 0; i < 12; i++ {
		e.mustRaw(t, "PutItem", fmt.Sprintf(`{"TableName":"big","Item":{"pk":{"S":"k%d"},"pad":{"S":"%s"}}}`, i, pad))
	}
	first, err := e.db.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("big")})
	if err != nil || first.LastEvaluatedKey == nil || first.Count >= 12 || first.Count < 10 {
		t.Fatalf("1 MB page: count %d, LEK %v, %v", first.Count, first.LastEvaluatedKey, err)
	}
}
