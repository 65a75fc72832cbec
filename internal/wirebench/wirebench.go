// Package wirebench measures a server with the exact bytes an AWS SDK
// sends: a request captured once from the real client is replayed over
// raw keep-alive connections, so the figure is the server's cost without
// the SDK's.
package wirebench

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"runtime"
	"testing"
)

// Connections is how many connections Replay keeps busy.
const Connections = 8

// Capture is an http.RoundTripper that hands each outgoing request, in
// wire form, to the function before sending it.
type Capture func(req []byte)

// RoundTrip implements http.RoundTripper.
func (c Capture) RoundTrip(r *http.Request) (*http.Response, error) {
	dump, err := httputil.DumpRequestOut(r, true)
	if err != nil {
		return nil, err
	}
	c(dump)
	return http.DefaultTransport.RoundTrip(r)
}

// Replay sends req over Connections connections to addr until b.N
// requests are answered, failing on any answer but a 200 whose body
// contains want ("" accepts any body).
func Replay(b *testing.B, addr string, req []byte, want string) {
	procs := runtime.GOMAXPROCS(0)
	b.SetParallelism((Connections + procs - 1) / procs)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			b.Error(err)
			return
		}
		defer conn.Close()
		br := bufio.NewReader(conn)
		buf := make([]byte, 64<<10)
		for pb.Next() {
			if _, err := conn.Write(req); err != nil {
				b.Error(err)
				return
			}
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				b.Error(err)
				return
			}
			n, _ := io.ReadFull(resp.Body, buf)
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !bytes.Contains(buf[:n], []byte(want)) {
				b.Errorf("status %d: %s", resp.StatusCode, buf[:n])
				return
			}
		}
	})
}
