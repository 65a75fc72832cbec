package lambda

// HandlerDir gives the external test package (the lambdatest suite in
// suite_test.go) the handlers this package's TestMain builds and removes.
var HandlerDir = handlerDir
