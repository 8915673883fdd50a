package compiler

import (
	"context"
	"reflect"
	"sync"
	"testing"

	"cuelang.org/go/cue"
)

// decodeValid decodes every value of every spec the tests know, shared
// and whole, exactly as cue's Decode does: the same Go value, and an
// error where Decode has one.
func TestDecodeValidMatchesDecode(t *testing.T) {
	var mu sync.Mutex
	decoded := map[string]int{}
	decodeCheck = func(v cue.Value, got any, err error) {
		want := reflect.New(reflect.TypeOf(got).Elem())
		werr := v.Decode(want.Interface())
		mu.Lock()
		defer mu.Unlock()
		name := reflect.TypeOf(got).Elem().String()
		decoded[name]++
		switch {
		case (err == nil) != (werr == nil):
			t.Errorf("%s at %s: decodeValid's error %v, Decode's %v", name, v.Pos(), err, werr)
		case err == nil && !reflect.DeepEqual(got, want.Interface()):
			t.Errorf("%s at %s: decodeValid gave\n%#v\nDecode gives\n%#v", name, v.Pos(), reflect.ValueOf(got).Elem(), want.Elem())
		}
	}
	defer func() { decodeCheck = nil }()
	for _, s := range knownSpecs(t) {
		for _, whole := range []bool{false, true} {
			if _, err := Compile(context.Background(), []string{s.dir}, Options{Root: s.root, evalWhole: whole, Workers: 1}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Every kind of entry and every top-level struct went through it.
	for _, name := range []string{"schema.Image", "schema.Topic", "schema.Subscription", "schema.Dataset",
		"schema.Bucket", "schema.Service", "schema.DAG", "schema.Airflow", "schema.GitOps"} {
		if decoded[name] == 0 {
			t.Errorf("no %s was decoded; decoded: %v", name, decoded)
		}
	}
}
