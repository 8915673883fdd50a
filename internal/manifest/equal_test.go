package manifest

import (
	"reflect"
	"testing"
)

// Equal agrees with reflect.DeepEqual on normalized data, including the
// cases DeepEqual treats specially: nil against empty maps and lists,
// int64 against float64 of the same value, and NaN.
func TestEqualAgreesWithDeepEqual(t *testing.T) {
	nan := func() any { var z float64; return z / z }()
	values := []any{
		nil, true, false, int64(1), int64(2), float64(1), nan, "a", "b", "",
		map[string]any(nil), map[string]any{}, map[string]any{"a": int64(1)},
		map[string]any{"a": int64(2)}, map[string]any{"b": int64(1)},
		map[string]any{"a": int64(1), "b": nil}, map[string]any{"a": nil},
		[]any(nil), []any{}, []any{int64(1)}, []any{int64(1), "x"}, []any{"x", int64(1)},
		map[string]any{"spec": map[string]any{"replicas": int64(2), "ports": []any{map[string]any{"port": int64(80)}}}},
		map[string]any{"spec": map[string]any{"replicas": int64(2), "ports": []any{map[string]any{"port": int64(81)}}}},
		map[string]any{"spec": map[string]any{"replicas": int64(2), "ports": []any{}}},
		[]string{"a"}, map[string]string{"a": "b"},
	}
	for i, a := range values {
		for j, b := range values {
			if got, want := Equal(a, b), reflect.DeepEqual(a, b); got != want {
				t.Errorf("Equal(%#v, %#v) = %v, reflect.DeepEqual says %v (values %d, %d)", a, b, got, want, i, j)
			}
		}
		// A deep copy is equal, not only the same value.
		if c := deepCopy(a); !Equal(a, c) && reflect.DeepEqual(a, c) {
			t.Errorf("Equal(%#v, its copy) = false", a)
		}
	}
}

func deepCopy(v any) any {
	switch v := v.(type) {
	case map[string]any:
		if v == nil {
			return v
		}
		c := make(map[string]any, len(v))
		for k, e := range v {
			c[k] = deepCopy(e)
		}
		return c
	case []any:
		if v == nil {
			return v
		}
		c := make([]any, len(v))
		for i, e := range v {
			c[i] = deepCopy(e)
		}
		return c
	}
	return v
}
