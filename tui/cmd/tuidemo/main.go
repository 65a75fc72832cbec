// Command tuidemo shows the slsx dashboard fed with synthetic telemetry, so
// the screens can be looked at (and tuned) without running a project:
//
//	go run ./tui/cmd/tuidemo -rate 50
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"github.com/slsx/slsx/emulator/telemetry"
	"github.com/slsx/slsx/tui"
)

func main() {
	rate := flag.Int("rate", 20, "requests per second to simulate")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	bus := telemetry.New()
	d := tui.New(ctx, bus, demoInfo())
	go generate(ctx, bus, *rate)
	if err := d.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "tuidemo:", err)
		os.Exit(1)
	}
}
