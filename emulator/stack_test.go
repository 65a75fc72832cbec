package emulator

import (
	"errors"
	"net"
	"strconv"
	"testing"

	"github.com/slsx/slsx/emulator/config"
)

// TestListenPair: with a picked port (--aws-port 0) taken on the second
// address, another port is tried; with a chosen port the error names the
// second address.
func TestListenPair(t *testing.T) {
	// 127.0.0.2 stands for the bridge address: any 127/8 address is local
	// on Linux.
	const extra = "127.0.0.2"
	probe, err := net.Listen("tcp", extra+":0")
	if err != nil {
		t.Skipf("no second loopback address: %v", err)
	}
	probe.Close()

	var taken []int
	var held []net.Listener
	defer func() {
		for _, l := range held {
			l.Close()
		}
	}()
	// The first two picks are ports something else holds on extra.
	first := func() (net.Listener, error) {
		ln, err := listen("127.0.0.1", 0, "aws")
		if err != nil || len(taken) == 2 {
			return ln, err
		}
		port := ln.Addr().(*net.TCPAddr).Port
		other, err := net.Listen("tcp", net.JoinHostPort(extra, strconv.Itoa(port)))
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, other)
		taken = append(taken, port)
		return ln, nil
	}
	ln, xl, err := listenPair(first, extra, true)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	defer xl.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	if xl.Addr().String() != net.JoinHostPort(extra, strconv.Itoa(port)) || len(taken) != 2 || port == taken[0] || port == taken[1] {
		t.Errorf("listening on %s and %s after taken ports %v", ln.Addr(), xl.Addr(), taken)
	}

	// A port the user chose is not changed: the error says where it is busy.
	busyPort := taken[0]
	_, _, err = listenPair(func() (net.Listener, error) { return listen("127.0.0.1", busyPort, "aws") }, extra, false)
	var pe *PortInUseError
	if !errors.As(err, &pe) || pe.Which != "aws" || pe.Addr != net.JoinHostPort(extra, strconv.Itoa(busyPort)) {
		t.Errorf("chosen port busy on extra: %v", err)
	}
	// Nothing is left listening on the first address after that failure.
	again, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(busyPort)))
	if err != nil {
		t.Errorf("first address still held: %v", err)
	} else {
		again.Close()
	}
}

// TestNewReleasesPortsOnFailure: when the API port is taken, New fails
// with PortInUseError and leaves the AWS port it bound free again.
func TestNewReleasesPortsOnFailure(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	probe, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	awsPort := probe.Addr().(*net.TCPAddr).Port
	probe.Close()

	p := &config.Project{APIs: []*config.API{{Name: "default", Type: "http"}}}
	_, err = New(Options{Project: p, Host: "127.0.0.1", AWSPort: awsPort, APIPort: busy.Addr().(*net.TCPAddr).Port})
	var inUse *PortInUseError
	if !errors.As(err, &inUse) || inUse.Which != "api" {
		t.Fatalf("New with the API port taken: %v, want PortInUseError for api", err)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(awsPort)))
	if err != nil {
		t.Fatalf("the AWS port is still held after New failed: %v", err)
	}
	ln.Close()
}
