package main

import (
	"fmt"
	"testing"

	"github.com/slsx/slsx/emulator"
	"github.com/slsx/slsx/emulator/config"
	"github.com/slsx/slsx/emulator/dynamodb"
	"github.com/slsx/slsx/emulator/sns"
)

// BenchmarkDashSourceRound is what the dashboard asks the services once a
// second while its resources screen shows, with n tables and n topics:
// the list, every table's item count and every topic's subscriptions.
//
//	go test ./cmd/slsx -run x -bench DashSource
func BenchmarkDashSourceRound(b *testing.B) {
	for _, n := range []int{50, 500} {
		d, err := dynamodb.New(dynamodb.Options{})
		if err != nil {
			b.Fatal(err)
		}
		sn, err := sns.New(sns.Options{})
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; i < n; i++ {
			if err := d.EnsureTable(&config.Table{Name: fmt.Sprintf("t%04d", i), HashKey: config.KeyAttr{Name: "id", Type: "S"}}); err != nil {
				b.Fatal(err)
			}
			if _, err := sn.EnsureTopic(&config.Topic{Name: fmt.Sprintf("t%04d", i)}); err != nil {
				b.Fatal(err)
			}
		}
		src := &dashSource{stack: &emulator.Stack{DynamoDB: d, SNS: sn}}
		// round asks what one dashboard round asks, the snapshot
		// starting stale as it does a second after the last round;
		// perCall takes a snapshot for every call, as a baseline.
		round := func(b *testing.B, perCall bool) {
			src.snap = nil
			tables, topics, _ := src.Resources()
			for _, t := range tables {
				if perCall {
					src.snap = nil
				}
				if _, err := src.ItemCount(t); err != nil {
					b.Fatal(err)
				}
			}
			for _, t := range topics {
				if perCall {
					src.snap = nil
				}
				if _, err := src.TopicSubscriptions(t); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.Run(fmt.Sprintf("round/%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				round(b, false)
			}
		})
		b.Run(fmt.Sprintf("perCall/%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				round(b, true)
			}
		})
		d.Close()
		sn.Close()
	}
}
