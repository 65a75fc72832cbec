package dynamodb

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

// FuzzRequest sends arbitrary bodies to arbitrary operations: every answer
// must be a well-formed DynamoDB response (JSON, 200/400/413), never a
// panic or a 500.
func FuzzRequest(f *testing.F) {
	seeds := []struct{ op, body string }{
		{"PutItem", `{"TableName":"fz1","Item":{"pk":{"S":"a"},"l":{"L":[{"N":"1"},{"M":{"x":{"SS":["a"]}}}]}}}`},
		{"GetItem", `{"TableName":"fz1","Key":{"pk":{"S":"a"}},"ProjectionExpression":"l[0], #x","ExpressionAttributeNames":{"#x":"x"}}`},
		{"UpdateItem", `{"TableName":"fz1","Key":{"pk":{"S":"a"}},"UpdateExpression":"SET c = if_not_exists(c, :z) + :one","ExpressionAttributeValues":{":z":{"N":"0"},":one":{"N":"1"}}}`},
		{"Query", `{"TableName":"fz1","KeyConditionExpression":"pk = :p","ExpressionAttributeValues":{":p":{"S":"a"}},"Limit":1}`},
		{"Scan", `{"TableName":"fz1","Segment":0,"TotalSegments":2,"FilterExpression":"size(l) > :n","ExpressionAttributeValues":{":n":{"N":"1"}}}`},
		{"BatchWriteItem", `{"RequestItems":{"fz1":[{"PutRequest":{"Item":{"pk":{"S":"b"}}}}]}}`},
		{"TransactWriteItems", `{"TransactItems":[{"Delete":{"TableName":"fz1","Key":{"pk":{"S":"b"}}}}]}`},
		{"CreateTable", `{"TableName":"fz2","AttributeDefinitions":[{"AttributeName":"k","AttributeType":"N"}],"KeySchema":[{"AttributeName":"k","KeyType":"HASH"}],"BillingMode":"PAY_PER_REQUEST"}`},
		{"ExecuteStatement", `{"Statement":"SELECT * FROM \"fz1\" WHERE pk = ?","Parameters":[{"S":"a"}]}`},
		{"PutItem", `{"TableName":"fz1","Item":{"pk":{"N":"1e400"}}}`},
	}
	for _, s := range seeds {
		f.Add(s.op, []byte(s.body))
	}
	s, err := New(Options{})
	if err != nil {
		f.Fatal(err)
	}
	defer s.Close()
	h := s.Handler()
	create := httptest.NewRequest("POST", "/", bytes.NewBufferString(`{"TableName":"fz1","AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"BillingMode":"PAY_PER_REQUEST","StreamSpecification":{"StreamEnabled":true,"StreamViewType":"NEW_AND_OLD_IMAGES"}}`))
	create.Header.Set("X-Amz-Target", targetDynamo+"CreateTable")
	h.ServeHTTP(httptest.NewRecorder(), create)
	f.Fuzz(func(t *testing.T, op string, body []byte) {
		req := httptest.NewRequest("POST", "/", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/x-amz-json-1.0")
		req.Header.Set("X-Amz-Target", targetDynamo+op)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusRequestEntityTooLarge:
		default:
			t.Fatalf("%s %q: status %d: %s", op, body, rec.Code, rec.Body.Bytes())
		}
		if rec.Code != http.StatusRequestEntityTooLarge && !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("%s %q: invalid JSON answer %q", op, body, rec.Body.Bytes())
		}
	})
}
