package manifest

import (
	"encoding/json"
	"reflect"
	"testing"

	sigsjson "sigs.k8s.io/json"
)

// FuzzDecodeObject holds decodeObject to the decoder it stands in for:
// what it accepts, sigs.k8s.io/json decodes to the same data, and it
// accepts every object that decoder does.
func FuzzDecodeObject(f *testing.F) {
	deployment, err := json.Marshal(deploymentForBench())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(deployment)
	for _, s := range []string{
		`{}`, `{"a":[]}`, `{"a":{}}`, ` { "a" : [ 1 , -2 , 3.5 , 1e3 , -0 , 0.0 ] } `,
		`{"big":9223372036854775807,"bigger":9223372036854775808,"neg":-9223372036854775808,"int32":2147483648}`, `{"huge":1e999}`,
		`{"s":"tab\tquote\"back\\slash\/ \b\f\n\r \u003c\u00e9\u2028"}`,
		`{"emoji":"\ud83d\ude00","lone":"\ud800","then":"\ud800\u0041","low":"\udc00x"}`, `{"bad":"\ud800\u"}`,
		"{\"raw\":\"\xff\xfeé\"}", "{\"ctl\":\"\x01\"}", `{"t":true,"f":false,"n":null}`, `{"a":1,"a":2}`,
		`{"a":01}`, `{"a":1.}`, `{"a":.5}`, `{"a":+1}`, `{"a":1e}`, `{"a":tru}`, `{"a":1,}`, `{"a" 1}`, `{"a":1}x`,
		`[1]`, `null`, `"x"`, `{"a":[[[[{"b":[]}]]]]}`, `{"a":"\x"}`, `{"a":"\u12"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, ok := decodeObject(data)
		var want map[string]any
		err := sigsjson.UnmarshalCaseSensitivePreserveInts(data, &want)
		switch {
		case ok && err != nil:
			t.Fatalf("decodeObject accepted %q, which sigs.k8s.io/json refuses: %v", data, err)
		case ok && !reflect.DeepEqual(got, want):
			t.Fatalf("decodeObject(%q)\n got %#v\nwant %#v", data, got, want)
		case !ok && err == nil && want != nil:
			t.Fatalf("decodeObject refused %q, which sigs.k8s.io/json decodes to %#v", data, want)
		}
	})
}

func BenchmarkNormalize(b *testing.B) {
	d := deploymentForBench()
	for b.Loop() {
		if _, err := Normalize(d); err != nil {
			b.Fatal(err)
		}
	}
}
