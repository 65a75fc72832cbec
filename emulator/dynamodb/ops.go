package dynamodb

// dynamoOps is the DynamoDB_20120810 dispatch table.
var dynamoOps = map[string]opFunc{
	"CreateTable":        opCreateTable,
	"DescribeTable":      opDescribeTable,
	"DeleteTable":        opDeleteTable,
	"ListTables":         opListTables,
	"UpdateTable":        opUpdateTable,
	"DescribeTimeToLive": opDescribeTimeToLive,
	"UpdateTimeToLive":   opUpdateTimeToLive,
	"TagResource":        opTagResource,
	"UntagResource":      opUntagResource,
	"ListTagsOfResource": opListTagsOfResource,
	"DescribeLimits":     opDescribeLimits,
	"DescribeEndpoints":  opDescribeEndpoints,
	"PutItem":            opPutItem,
	"GetItem":            opGetItem,
	"UpdateItem":         opUpdateItem,
	"DeleteItem":         opDeleteItem,
	"Query":              opQuery,
	"Scan":               opScan,
	"BatchGetItem":       opBatchGetItem,
	"BatchWriteItem":     opBatchWriteItem,
	"TransactWriteItems": opTransactWriteItems,
	"TransactGetItems":   opTransactGetItems,

	// PartiQL (partiql_exec.go).
	"ExecuteStatement":      opExecuteStatement,
	"BatchExecuteStatement": opBatchExecuteStatement,
	"ExecuteTransaction":    opExecuteTransaction,
}

// streamOps is the DynamoDBStreams_20120810 dispatch table.
var streamOps = map[string]opFunc{
	"ListStreams":      opListStreams,
	"DescribeStream":   opDescribeStream,
	"GetShardIterator": opGetShardIterator,
	"GetRecords":       opGetRecords,
}
