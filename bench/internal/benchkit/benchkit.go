// Package benchkit is what the throughput benchmarks under bench/ share:
// servers in child processes, moto_server, concurrent callers that take
// turns across targets in short rounds, and the figures they report.
//
// Servers run in a child process (the benchmark's own binary with a flag
// that makes it serve) because a server inside the client's process
// shares its heap: the server's live data would change how often the
// client's garbage collector runs and skew the comparison between targets.
// Targets take turns in short rounds so that load from other work on the
// machine falls on all of them alike.
package benchkit

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// StartChild runs exe (this binary when exe is empty) with args and
// returns the first line it prints, trimmed: the address of what it
// serves. stop closes the child's stdin, which tells it to exit, and waits
// for it, so it can finish writing a profile.
func StartChild(exe string, args ...string) (line string, stop func(), err error) {
	if exe == "" {
		if exe, err = os.Executable(); err != nil {
			return "", nil, err
		}
	}
	cmd := exec.Command(exe, args...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return "", nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop = func() { _ = stdin.Close(); _ = cmd.Wait() }
	line, err = bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		stop()
		return "", nil, fmt.Errorf("child server %v: %w", args, err)
	}
	return strings.TrimSpace(line), stop, nil
}

// ServeChild is the child side of StartChild: it profiles the process
// when profile names a file, calls start, prints the line start returns
// and serves until stdin closes. It returns the process exit code.
func ServeChild(profile string, start func() (line string, stop func(), err error)) int {
	stopProfile, err := StartProfile(profile)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer stopProfile()
	line, stop, err := start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer stop()
	fmt.Println(line)
	_, _ = io.Copy(io.Discard, os.Stdin)
	return 0
}

// StartProfile writes a CPU profile of this process to path until stop;
// with no path it does nothing.
func StartProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// motoStart bounds how long moto_server may take to listen; a cold
// Python start on a loaded machine takes a few seconds.
const motoStart = 30 * time.Second

// StartMoto starts moto_server on a free loopback port and returns its URL
// once it accepts connections.
func StartMoto() (url string, stop func(), err error) {
	path, err := exec.LookPath("moto_server")
	if err != nil {
		return "", nil, errors.New("moto_server not on PATH")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	addr := ln.Addr().String()
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	cmd := exec.Command(path, "-H", "127.0.0.1", "-p", port)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop = func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }
	for deadline := time.Now().Add(motoStart); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return "http://" + addr, stop, nil
		}
	}
	stop()
	return "", nil, fmt.Errorf("moto_server did not listen within %v", motoStart)
}

// Sample is what concurrent callers did in a run.
type Sample struct {
	Calls, Errs int
	// FirstErr is the first error a call returned.
	FirstErr error
	Dur      time.Duration
	Lat      []time.Duration
}

// Add merges o into s.
func (s *Sample) Add(o Sample) {
	s.Calls += o.Calls
	s.Errs += o.Errs
	if s.FirstErr == nil {
		s.FirstErr = o.FirstErr
	}
	s.Dur += o.Dur
	s.Lat = append(s.Lat, o.Lat...)
}

// Rate is calls per second.
func (s Sample) Rate() float64 {
	if s.Dur <= 0 {
		return 0
	}
	return float64(s.Calls) / s.Dur.Seconds()
}

// Percentile is the latency below which the fraction p of calls fall
// (nearest rank); zero with no calls. It sorts s.Lat.
func (s Sample) Percentile(p float64) time.Duration {
	if len(s.Lat) == 0 {
		return 0
	}
	sort.Slice(s.Lat, func(i, j int) bool { return s.Lat[i] < s.Lat[j] })
	return s.Lat[int(p*float64(len(s.Lat)-1))]
}

// Run has conc callers call op back to back for d; op gets the caller's
// number and the count of its calls so far. Every call counts, failed
// ones too, with its latency.
func Run(conc int, d time.Duration, op func(caller, i int) error) Sample {
	var mu sync.Mutex
	var s Sample
	var wg sync.WaitGroup
	start := time.Now()
	end := start.Add(d)
	for c := 0; c < conc; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			var errs int
			var first error
			for i := 0; time.Now().Before(end); i++ {
				t0 := time.Now()
				err := op(c, i)
				lat = append(lat, time.Since(t0))
				if err != nil {
					if errs++; first == nil {
						first = err
					}
				}
			}
			mu.Lock()
			s.Add(Sample{Calls: len(lat), Errs: errs, FirstErr: first, Lat: lat})
			mu.Unlock()
		}()
	}
	wg.Wait()
	s.Dur = time.Since(start)
	return s
}

// Interleave gives n targets d each, in rounds turns of d/rounds (at
// least one turn), and sums what each did. run measures target t for
// one turn; an error stops it.
func Interleave(n, rounds int, d time.Duration, run func(t, round int, turn time.Duration) (Sample, error)) ([]Sample, error) {
	rounds = max(rounds, 1)
	out := make([]Sample, n)
	for r := 0; r < rounds; r++ {
		for t := range out {
			s, err := run(t, r, d/time.Duration(rounds))
			if err != nil {
				return nil, err
			}
			out[t].Add(s)
		}
	}
	return out, nil
}

// Loadavg is the first three fields of /proc/loadavg, or "unknown".
func Loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
