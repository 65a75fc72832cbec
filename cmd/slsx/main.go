// Command slsx emulates AWS serverless (API Gateway, Lambda, SNS, DynamoDB)
// on a laptop for Go handlers.
package main

import "os"

func main() { os.Exit(Main(os.Args[1:])) }
