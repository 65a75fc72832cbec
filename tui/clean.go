package tui

import "github.com/slsx/slsx/emulator/telemetry"

// clean defuses control characters in every text field of an event before
// it is stored: names, triggers and errors come from user code and config,
// and a stray escape sequence must not move the cursor or clear the
// dashboard. Payloads and log lines are cleaned when shown instead.
func clean(e telemetry.Event) telemetry.Event {
	c := sanitize
	switch e := e.(type) {
	case telemetry.InvocationStarted:
		e.Function, e.RequestID, e.TraceID, e.Trigger, e.EnvID = c(e.Function), c(e.RequestID), c(e.TraceID), c(e.Trigger), c(e.EnvID)
		return e
	case telemetry.InvocationFinished:
		e.Function, e.RequestID, e.TraceID, e.Trigger, e.EnvID = c(e.Function), c(e.RequestID), c(e.TraceID), c(e.Trigger), c(e.EnvID)
		e.Status, e.ErrorType = c(e.Status), c(e.ErrorType)
		return e
	case telemetry.LogLine:
		e.Function, e.EnvID, e.RequestID = c(e.Function), c(e.EnvID), c(e.RequestID)
		return e
	case telemetry.Log:
		e.Level = c(e.Level)
		return e
	case telemetry.EnvStarted:
		e.Function, e.EnvID, e.Executor = c(e.Function), c(e.EnvID), c(e.Executor)
		return e
	case telemetry.EnvStopped:
		e.Function, e.EnvID, e.Reason = c(e.Function), c(e.EnvID), c(e.Reason)
		return e
	case telemetry.Throttled:
		e.Function, e.RequestID, e.Trigger = c(e.Function), c(e.RequestID), c(e.Trigger)
		return e
	case telemetry.PoolState:
		e.Function = c(e.Function)
		return e
	case telemetry.BuildStarted:
		e.Function, e.Reason = c(e.Function), c(e.Reason)
		return e
	case telemetry.BuildFinished:
		e.Function, e.Err = c(e.Function), c(e.Err)
		return e
	case telemetry.Swapped:
		e.Function = c(e.Function)
		return e
	case telemetry.ChangeDetected:
		e.Paths, e.Functions = cleanAll(e.Paths), cleanAll(e.Functions)
		return e
	case telemetry.ConfigReloaded:
		e.Err = c(e.Err)
		return e
	case telemetry.HTTPRequest:
		e.API, e.Method, e.Path, e.RouteKey, e.Function = c(e.API), c(e.Method), c(e.Path), c(e.RouteKey), c(e.Function)
		e.RequestID, e.TraceID = c(e.RequestID), c(e.TraceID)
		return e
	case telemetry.SNSPublished:
		e.Topic, e.MessageID, e.TraceID = c(e.Topic), c(e.MessageID), c(e.TraceID)
		return e
	case telemetry.SNSDelivered:
		e.Topic, e.Subscription, e.Protocol, e.Endpoint = c(e.Topic), c(e.Subscription), c(e.Protocol), c(e.Endpoint)
		e.MessageID, e.TraceID, e.Err = c(e.MessageID), c(e.TraceID), c(e.Err)
		return e
	case telemetry.DynamoWrite:
		e.Table, e.Op, e.Keys, e.TraceID = c(e.Table), c(e.Op), c(e.Keys), c(e.TraceID)
		return e
	case telemetry.StreamBatch:
		e.Table, e.Function, e.TraceID, e.Err = c(e.Table), c(e.Function), c(e.TraceID), c(e.Err)
		return e
	}
	return e
}

func cleanAll(v []string) []string {
	out := make([]string, len(v))
	for i, s := range v {
		out[i] = sanitize(s)
	}
	return out
}

// cleanInfo does the same for the project description.
func cleanInfo(info Info) Info {
	c := sanitize
	info.Project, info.AWSURL, info.Executor = c(info.Project), c(info.AWSURL), c(info.Executor)
	info.APIURLs, info.Topics, info.Tables = cleanAll(info.APIURLs), cleanAll(info.Topics), cleanAll(info.Tables)
	fns := make([]FunctionInfo, len(info.Functions))
	for i, f := range info.Functions {
		f.Name, f.Handler = c(f.Name), c(f.Handler)
		f.Routes, f.Triggers = cleanAll(f.Routes), cleanAll(f.Triggers)
		fns[i] = f
	}
	info.Functions = fns
	return info
}
