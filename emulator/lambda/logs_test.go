package lambda

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"
)

func TestReportLine(t *testing.T) {
	tests := []struct {
		name string
		r    reportFields
		want string
	}{
		{"warm", reportFields{id: "r1", duration: 1234567 * time.Nanosecond, memoryMB: 128, maxMemoryMB: 19},
			"REPORT RequestId: r1\tDuration: 1.23 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 19 MB\t"},
		{"cold", reportFields{id: "r2", duration: 3 * time.Millisecond, memoryMB: 256, maxMemoryMB: 20, init: 45678 * time.Microsecond},
			"REPORT RequestId: r2\tDuration: 3.00 ms\tBilled Duration: 3 ms\tMemory Size: 256 MB\tMax Memory Used: 20 MB\tInit Duration: 45.68 ms\t"},
		{"timeout", reportFields{id: "r3", duration: 3000400 * time.Microsecond, memoryMB: 128, maxMemoryMB: 30, status: "timeout"},
			"REPORT RequestId: r3\tDuration: 3000.40 ms\tBilled Duration: 3001 ms\tMemory Size: 128 MB\tMax Memory Used: 30 MB\tStatus: timeout\t"},
		{"crash", reportFields{id: "r4", duration: 0, memoryMB: 128, maxMemoryMB: 128, status: "error", errorType: "Runtime.ExitError"},
			"REPORT RequestId: r4\tDuration: 0.00 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 128 MB\tStatus: error\tError Type: Runtime.ExitError\t"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.r.line(); got != tc.want {
				t.Errorf("\ngot  %q\nwant %q", got, tc.want)
			}
		})
	}
	at := time.Date(2020, 11, 10, 5, 46, 57, 874e6, time.UTC)
	if got := timeoutLine(at, "160788cd", 3*time.Second); got != "2020-11-10T05:46:57.874Z 160788cd Task timed out after 3.00 seconds" {
		t.Errorf("timeout line %q", got)
	}
}

func TestLogTail(t *testing.T) {
	tests := []struct {
		name  string
		lines []string
		want  string
	}{
		{"short", []string{"a", "b"}, "a\nb\n"},
		{"exactly 4096", []string{strings.Repeat("x", 4095)}, strings.Repeat("x", 4095) + "\n"},
		{"cut mid-line", []string{strings.Repeat("y", 5000), "END"}, strings.Repeat("y", 4096-4) + "\nEND\n"[0:0] + "END\n"},
	}
	tests[2].want = strings.Repeat("y", 4096-4-1) + "\nEND\n"
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := base64.StdEncoding.DecodeString(logTail(tc.lines))
			if err != nil || string(b) != tc.want || len(b) > tailBytes {
				t.Errorf("tail %d bytes %q, want %d bytes", len(b), b, len(tc.want))
			}
		})
	}
}
