package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"go.yaml.in/yaml/v3"
	sigsjson "sigs.k8s.io/json"
)

// Decode reads a YAML stream of one or more documents, as tests and tools
// read generated files back. It is strict where silent acceptance would
// hide a generator bug: a duplicate key or a document that is not a
// mapping is an error. Documents holding only comments are skipped.
// Documents come back as JSON data (numbers are int64 or float64), the
// form the API machinery works on.
func Decode(data []byte) ([]map[string]any, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []map[string]any
	for i := 1; ; i++ {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		if len(n.Content) == 0 || n.Content[0].Tag == "!!null" && n.Content[0].Value == "" {
			continue
		}
		if n.Content[0].Kind != yaml.MappingNode {
			return nil, fmt.Errorf("document %d (line %d) is not a mapping", i, n.Content[0].Line)
		}
		var m map[string]any
		if err := n.Decode(&m); err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		if m, _, err = toJSON(m); err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		docs = append(docs, m)
	}
}

// Strict decodes doc into v the way the Kubernetes API server does with
// fieldValidation=Strict: field names are case-sensitive and a field v has
// no place for is an error, so a typo or a misplaced field cannot pass as
// valid just because the decoder ignored it.
func Strict(doc map[string]any, v any) error {
	b, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	strictErrs, err := sigsjson.UnmarshalStrict(b, v)
	if err != nil {
		return err
	}
	return errors.Join(strictErrs...)
}
