package sns

import (
	"errors"
	"testing"

	"github.com/slsx/slsx/emulator/awsapi"
	"github.com/slsx/slsx/emulator/config"
)

func TestPublishInProcess(t *testing.T) {
	s, err := New(Options{Invoker: newFakeInvoker()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	arn, err := s.EnsureTopic(&config.Topic{Name: "inproc"})
	if err != nil {
		t.Fatal(err)
	}
	fifo, err := s.EnsureTopic(&config.Topic{Name: "inproc.fifo", Fifo: true})
	if err != nil {
		t.Fatal(err)
	}
	if id, err := s.Publish(arn, `{"a":1}`, ""); err != nil || id == "" {
		t.Fatalf("Publish = %q, %v", id, err)
	}
	for _, tc := range []struct{ arn, msg, code string }{
		{arn + "-missing", "x", "NotFound"},
		{"not-an-arn", "x", "InvalidParameter"},
		{arn, "", "InvalidParameter"},
		{fifo, "x", "InvalidParameter"}, // FIFO topics need a group id
	} {
		_, err := s.Publish(tc.arn, tc.msg, "")
		var ae *awsapi.Error
		if !errors.As(err, &ae) || ae.Code != tc.code {
			t.Errorf("Publish(%s, %q) = %v, want %s", tc.arn, tc.msg, err, tc.code)
		}
	}
}
