package compiler

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/pipec/pipec/schema"
)

// A pipeline whose result the caller has already (Options.Reuse) is not
// compiled, and the others are; an error from Reuse stops the build.
func TestReuseLeavesPipelinesOut(t *testing.T) {
	examples, err := filepath.Abs("../pipelines")
	if err != nil {
		t.Fatal(err)
	}
	tweets, warehouse := filepath.Join(examples, "tweets"), filepath.Join(examples, "warehouse")
	var mu sync.Mutex
	var asked, compiled []string
	opts := Options{
		Workers: 2,
		Reuse: func(dir string) (bool, error) {
			mu.Lock()
			defer mu.Unlock()
			asked = append(asked, dir)
			return dir == tweets, nil
		},
		OnSpec: func(spec *schema.Spec, _ Diagnostics) error {
			mu.Lock()
			defer mu.Unlock()
			compiled = append(compiled, spec.SourceDir)
			return nil
		},
	}
	res, err := Compile(context.Background(), []string{examples + "/..."}, opts)
	if err != nil || res.Diagnostics.HasErrors() {
		t.Fatalf("Compile: %v\n%s", err, res.Diagnostics)
	}
	slices.Sort(asked)
	if want := []string{tweets, warehouse}; !slices.Equal(asked, want) {
		t.Errorf("Reuse asked about %q, want each pipeline once: %q", asked, want)
	}
	if want := []string{warehouse}; !slices.Equal(compiled, want) || res.Compiled != 1 {
		t.Errorf("compiled %q (Compiled %d), want only %q", compiled, res.Compiled, want)
	}

	stop := errors.New("the cache is unreadable")
	opts.Reuse = func(string) (bool, error) { return false, stop }
	if _, err := Compile(context.Background(), []string{examples + "/..."}, opts); !errors.Is(err, stop) {
		t.Errorf("Compile with a failing Reuse returned %v, want %v", err, stop)
	}
}
