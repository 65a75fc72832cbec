package lambda

import (
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/slsx/slsx/emulator/awsapi"
)

// Handler serves the Lambda API on the AWS edge (REST-JSON): Invoke,
// GetFunction, GetFunctionConfiguration, ListFunctions and
// GetAccountSettings.
func (s *Service) Handler() http.Handler { return http.HandlerFunc(s.serveAPI) }

func (s *Service) serveAPI(w http.ResponseWriter, r *http.Request) {
	reqID := awsapi.RequestID()
	segs := strings.Split(strings.Trim(r.URL.EscapedPath(), "/"), "/")
	switch {
	case len(segs) == 4 && segs[0] == "2015-03-31" && segs[1] == "functions" && segs[3] == "invocations" && r.Method == http.MethodPost:
		s.serveInvoke(w, r, reqID, segs[2])
	case len(segs) == 3 && segs[0] == "2015-03-31" && segs[1] == "functions" && r.Method == http.MethodGet:
		s.serveGetFunction(w, r, reqID, segs[2], false)
	case len(segs) == 4 && segs[0] == "2015-03-31" && segs[1] == "functions" && segs[3] == "configuration" && r.Method == http.MethodGet:
		s.serveGetFunction(w, r, reqID, segs[2], true)
	case len(segs) == 2 && segs[0] == "2015-03-31" && segs[1] == "functions" && r.Method == http.MethodGet:
		s.serveListFunctions(w, r, reqID)
	case len(segs) == 2 && segs[0] == "2016-08-19" && segs[1] == "account-settings" && r.Method == http.MethodGet:
		s.serveAccountSettings(w, reqID)
	default:
		writeError(w, reqID, awsapi.Errorf(http.StatusNotFound, "UnknownOperationException", "Unknown operation %s %s", r.Method, r.URL.Path))
	}
}

func (s *Service) serveInvoke(w http.ResponseWriter, r *http.Request, reqID, rawName string) {
	name, err := url.PathUnescape(rawName)
	if err != nil {
		writeError(w, reqID, awsapi.ValidationError("1 validation error detected: Value '%s' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", rawName, namePattern))
		return
	}
	typ := InvocationType(r.Header.Get("X-Amz-Invocation-Type"))
	logType := r.Header.Get("X-Amz-Log-Type")
	switch logType {
	case "", "None", "Tail":
	default:
		writeError(w, reqID, errInvalidParam("Unsupported log type %s", logType))
		return
	}
	body, tooBig, err := readLimited(r.Body, MaxSyncPayload)
	if err != nil {
		writeError(w, reqID, errInvalidContent("Could not read request body: %v", err))
		return
	}
	if tooBig {
		if typ == Event {
			n := int(r.ContentLength)
			if n <= 0 {
				n = MaxSyncPayload + 1
			}
			writeError(w, reqID, errAsyncTooLarge(n))
		} else {
			writeError(w, reqID, errSyncTooLarge())
		}
		return
	}
	req := Request{
		Function:      name,
		Qualifier:     r.URL.Query().Get("Qualifier"),
		Payload:       body,
		Type:          typ,
		Trigger:       "invoke",
		TraceID:       r.Header.Get("X-Amzn-Trace-Id"),
		ClientContext: r.Header.Get("X-Amz-Client-Context"),
		LogTail:       logType == "Tail" && (typ == "" || typ == RequestResponse),
	}
	if req.TraceID == "" {
		req.TraceID = newTraceIDNow()
	}
	res, err := s.invoke(r.Context(), req, reqID)
	if err != nil {
		var ae *awsapi.Error
		if !errors.As(err, &ae) {
			ae = errService("%v", err)
		}
		writeError(w, reqID, ae)
		return
	}
	h := w.Header()
	h["X-Amzn-Requestid"] = []string{reqID}
	h["X-Amzn-Trace-Id"] = []string{req.TraceID}
	if res.StatusCode == http.StatusNoContent {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	h["X-Amz-Executed-Version"] = []string{res.ExecutedVersion}
	h["Content-Type"] = jsonCT
	if res.FunctionError != "" {
		h["X-Amz-Function-Error"] = []string{res.FunctionError}
	}
	if res.LogTail != "" {
		h["X-Amz-Log-Result"] = []string{res.LogTail}
	}
	h["Content-Length"] = []string{strconv.Itoa(len(res.Payload))}
	w.WriteHeader(res.StatusCode)
	_, _ = w.Write(res.Payload)
}

// FunctionConfiguration is the API's description of a function, in the
// shape GetFunction, GetFunctionConfiguration and ListFunctions return.
type FunctionConfiguration struct {
	FunctionName     string
	FunctionArn      string
	Runtime          string
	Role             string
	Handler          string
	CodeSize         int64
	Description      string
	Timeout          int
	MemorySize       int
	LastModified     string
	CodeSha256       string
	Version          string
	Environment      *environmentResponse `json:",omitempty"`
	TracingConfig    map[string]string
	RevisionId       string
	State            string
	LastUpdateStatus string
	PackageType      string
	Architectures    []string
	EphemeralStorage map[string]int
	SnapStart        map[string]string
	LoggingConfig    map[string]string
}

type environmentResponse struct {
	Variables map[string]string
}

func (s *Service) configuration(d *deployment) FunctionConfiguration {
	arch := d.fn.Architecture
	if arch == "" {
		arch = "x86_64"
	}
	c := FunctionConfiguration{
		FunctionName:     d.name,
		FunctionArn:      s.functionARN(d.name, ""),
		Runtime:          "provided.al2023",
		Role:             "arn:aws:iam::" + s.opts.Identity.Account + ":role/slsx-" + d.name,
		Handler:          "bootstrap",
		CodeSize:         d.codeSize,
		Timeout:          int(math.Ceil(d.timeout.Seconds())),
		MemorySize:       d.memoryMB,
		LastModified:     lastModified(d.modified),
		CodeSha256:       d.codeSHA,
		Version:          "$LATEST",
		TracingConfig:    map[string]string{"Mode": "PassThrough"},
		RevisionId:       d.revision,
		State:            "Active",
		LastUpdateStatus: "Successful",
		PackageType:      "Zip",
		Architectures:    []string{arch},
		EphemeralStorage: map[string]int{"Size": 512},
		SnapStart:        map[string]string{"ApplyOn": "None", "OptimizationStatus": "Off"},
		LoggingConfig:    map[string]string{"LogFormat": "Text", "LogGroup": "/aws/lambda/" + d.name},
	}
	if len(d.fn.Environment) > 0 {
		c.Environment = &environmentResponse{Variables: d.fn.Environment}
	}
	return c
}

func (s *Service) lookup(rawName, qualParam string) (*deployment, *awsapi.Error) {
	name, err := url.PathUnescape(rawName)
	if err != nil {
		name = rawName
	}
	ref, aerr := parseFunctionName(name)
	if aerr != nil {
		return nil, aerr
	}
	qual, aerr := resolveQualifier(ref.Qualifier, qualParam)
	if aerr != nil {
		return nil, aerr
	}
	p := s.pool(ref.Name)
	var d *deployment
	if p != nil {
		p.mu.Lock()
		d = p.dep
		p.mu.Unlock()
	}
	if d == nil || qual != "" && qual != "$LATEST" {
		return nil, errNotFound(s.opts.Identity, ref.Name, qual)
	}
	return d, nil
}

func (s *Service) serveGetFunction(w http.ResponseWriter, r *http.Request, reqID, rawName string, configOnly bool) {
	d, aerr := s.lookup(rawName, r.URL.Query().Get("Qualifier"))
	if aerr != nil {
		writeError(w, reqID, aerr)
		return
	}
	c := s.configuration(d)
	if configOnly {
		writeJSON(w, reqID, c)
		return
	}
	out := map[string]any{
		"Configuration": c,
		"Code":          map[string]string{"RepositoryType": "S3", "Location": "file://" + d.dir + "/bootstrap"},
	}
	if d.fn.Concurrency != 0 { // an explicit reservation
		out["Concurrency"] = map[string]int{"ReservedConcurrentExecutions": d.limit}
	}
	writeJSON(w, reqID, out)
}

func (s *Service) serveListFunctions(w http.ResponseWriter, r *http.Request, reqID string) {
	q := r.URL.Query()
	max := 50
	if v := q.Get("MaxItems"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			writeError(w, reqID, awsapi.ValidationError("1 validation error detected: Value '%s' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 10000", v))
			return
		}
		max = n
	}
	marker := q.Get("Marker")
	s.mu.RLock()
	deps := make([]*deployment, 0, len(s.pools))
	for _, p := range s.pools {
		p.mu.Lock()
		if p.dep != nil {
			deps = append(deps, p.dep)
		}
		p.mu.Unlock()
	}
	s.mu.RUnlock()
	sort.Slice(deps, func(i, j int) bool { return deps[i].name < deps[j].name })
	start := 0
	if marker != "" {
		start = sort.Search(len(deps), func(i int) bool { return deps[i].name > marker })
	}
	fns := make([]FunctionConfiguration, 0, max)
	next := ""
	for i := start; i < len(deps); i++ {
		if len(fns) == max {
			next = fns[len(fns)-1].FunctionName
			break
		}
		fns = append(fns, s.configuration(deps[i]))
	}
	out := map[string]any{"Functions": fns}
	if next != "" {
		out["NextMarker"] = next
	}
	writeJSON(w, reqID, out)
}

func (s *Service) serveAccountSettings(w http.ResponseWriter, reqID string) {
	s.mu.RLock()
	var total int64
	count, reserved := 0, 0
	for _, p := range s.pools {
		p.mu.Lock()
		if d := p.dep; d != nil {
			count++
			total += d.codeSize
			if d.fn.Concurrency != 0 {
				reserved += d.limit
			}
		}
		p.mu.Unlock()
	}
	s.mu.RUnlock()
	writeJSON(w, reqID, map[string]any{
		"AccountLimit": map[string]int64{
			"TotalCodeSize":                  80530636800,
			"CodeSizeUnzipped":               262144000,
			"CodeSizeZipped":                 52428800,
			"ConcurrentExecutions":           int64(s.opts.AccountConcurrency),
			"UnreservedConcurrentExecutions": int64(s.opts.AccountConcurrency - reserved),
		},
		"AccountUsage": map[string]int64{"TotalCodeSize": total, "FunctionCount": int64(count)},
	})
}

func writeJSON(w http.ResponseWriter, reqID string, v any) {
	h := w.Header()
	h["Content-Type"] = jsonCT
	h["X-Amzn-Requestid"] = []string{reqID}
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(v)
}
