package lambda

// The handlers in testdata/handlers are built inside this module and load
// their SDK configuration with aws-sdk-go-v2/config. go mod tidy does not
// look into testdata, so this import keeps the module required.
import _ "github.com/aws/aws-sdk-go-v2/config"
