package manifest

import (
	"reflect"
	"testing"
)

// FuzzMarshalRoundTrip: whatever strings a spec puts into a manifest, as
// keys or values, the YAML pipec writes decodes back to exactly them: no
// value can end a line early, open a new key or document, or change type.
func FuzzMarshalRoundTrip(f *testing.F) {
	for _, s := range []string{"y", "no", "~", "1.0", "0777", "a: b", "- x", "---", "a\nkind: Secret", "#x", "{{ ds }}", "'\"", "\t", "\u2028", "", "null", "!!binary x"} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, key, value string) {
		in := map[string]any{"metadata": map[string]any{"name": value, "labels": map[string]any{key: value}}, "list": []any{value, key}}
		data, err := Marshal(in)
		if err != nil {
			return // not valid UTF-8: the encoder refuses rather than corrupts
		}
		docs, err := Decode(data)
		if err != nil {
			t.Fatalf("output does not decode: %v\n%s", err, data)
		}
		if len(docs) != 1 || !reflect.DeepEqual(docs[0], in) {
			t.Fatalf("round trip changed the object:\n in: %#v\nout: %#v\n%s", in, docs, data)
		}
	})
}
