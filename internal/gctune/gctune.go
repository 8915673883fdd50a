// Package gctune keeps the garbage collector from running on a small heap
// more often than its work is worth.
//
// With the default GOGC=100 the collector runs each time the heap has grown
// by as much as survived the last collection. A build's live heap is small
// (about 10 MB at 100 pipelines) while it allocates gigabytes, so it
// collected some 130 times in two seconds, 13% of its CPU, most of each
// cycle's cost being fixed. Go has no minimum heap size: Headroom keeps
// GOGC such that the next collection waits for at least a given growth,
// and never sets it below 100, so a large live heap is collected exactly
// as before and memory still scales with it, never more than the headroom
// above what GOGC=100 would use.
package gctune

import (
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// every is how often the live heap is read. A collection's result is known
// only when it ends; a cleanup or finalizer would run even later, when the
// sweeper reaches its object, which under load was a second after.
const every = 5 * time.Millisecond

// minHeap is the runtime's own least heap goal: a live heap read as
// smaller counts as this.
const minHeap = 4 << 20

// Headroom makes the collector let the heap grow by at least min bytes
// between collections, for the rest of the process, unless the GOGC
// environment variable is set: the user's choice wins.
func Headroom(min uint64, getenv func(string) string) {
	if getenv("GOGC") != "" {
		return
	}
	t := &tuner{min: min, sample: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}, percent: 100}
	t.adjust()
	go func() {
		for range time.Tick(every) {
			t.adjust()
		}
	}()
}

type tuner struct {
	min     uint64
	sample  []metrics.Sample
	percent int
}

// adjust sets GOGC from the heap the last collection left live.
func (t *tuner) adjust() {
	metrics.Read(t.sample)
	live := uint64(minHeap)
	if t.sample[0].Value.Kind() == metrics.KindUint64 {
		live = max(t.sample[0].Value.Uint64(), minHeap)
	}
	if percent := percentFor(live, t.min); percent != t.percent {
		debug.SetGCPercent(percent)
		t.percent = percent
	}
}

// percentFor is the GOGC that lets a heap of live bytes grow by at least
// min, rounded down to a multiple of 10 so that small changes of the live
// heap do not reset it at every reading.
func percentFor(live, min uint64) int {
	p := int(min * 100 / live)
	if p <= 100 {
		return 100
	}
	return p - p%10
}
