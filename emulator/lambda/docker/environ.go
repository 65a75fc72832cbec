package docker

import (
	"net"
	"net/url"
	"strings"
)

// containerPath is Lambda's PATH for provided runtimes; the host's PATH
// (which process mode keeps) means nothing inside the container.
const containerPath = "/usr/local/bin:/usr/bin/:/bin:/opt/bin"

// ContainerEnviron rewrites a process-mode environment for a container:
// AWS_LAMBDA_RUNTIME_API and AWS_ENDPOINT_URL(_*) pointing at the host's
// loopback (or the unspecified address) point at alias instead,
// LAMBDA_TASK_ROOT is /var/task and PATH is Lambda's.
func ContainerEnviron(environ []string, alias string) []string {
	out := make([]string, 0, len(environ)+1)
	seenRoot := false
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		switch {
		case k == "AWS_LAMBDA_RUNTIME_API":
			v = rewriteHostPort(v, alias)
		case k == "AWS_ENDPOINT_URL" || strings.HasPrefix(k, "AWS_ENDPOINT_URL_"):
			v = rewriteURL(v, alias)
		case k == "LAMBDA_TASK_ROOT":
			v, seenRoot = "/var/task", true
		case k == "PATH":
			v = containerPath
		}
		out = append(out, k+"="+v)
	}
	if !seenRoot {
		out = append(out, "LAMBDA_TASK_ROOT=/var/task")
	}
	return out
}

// isLocalHost reports whether host names the host itself from the host's
// point of view, which inside a container means the container.
func isLocalHost(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && (ip.IsLoopback() || ip.IsUnspecified())
}

func isIP(s string) bool { return net.ParseIP(strings.Trim(s, "[]")) != nil }

// joinHost puts alias in host position, bracketing an IPv6 literal.
func joinHost(alias, port string) string {
	if port == "" {
		if strings.Contains(alias, ":") {
			return "[" + alias + "]"
		}
		return alias
	}
	return net.JoinHostPort(alias, port)
}

// rewriteHostPort rewrites "host:port/path" (the Runtime API form).
func rewriteHostPort(v, alias string) string {
	hostport, rest := v, ""
	if i := strings.IndexByte(v, '/'); i >= 0 {
		hostport, rest = v[:i], v[i:]
	}
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		host, port = strings.Trim(hostport, "[]"), ""
	}
	if !isLocalHost(host) {
		return v
	}
	return joinHost(alias, port) + rest
}

// rewriteURL rewrites the host of an absolute URL.
func rewriteURL(v, alias string) string {
	u, err := url.Parse(v)
	if err != nil || u.Host == "" {
		return v
	}
	if !isLocalHost(u.Hostname()) {
		return v
	}
	u.Host = joinHost(alias, u.Port())
	return u.String()
}
