package diff

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/pipec/pipec/targets"
)

func file(path, env, data string) targets.File {
	return targets.File{Path: path, Env: env, Data: []byte(data)}
}

const table = `apiVersion: bigquery.cnrm.cloud.google.com/v1beta1
kind: BigQueryTable
metadata:
  annotations:
    cnrm.cloud.google.com/deletion-policy: abandon
  name: sales.orders
spec:
  schema: '%s'
`

// TestTableSchema: a table's schema is compared column by column; an
// added column changes in place, a removed one or a new type recreates.
func TestTableSchema(t *testing.T) {
	old := []targets.File{file("shop/gcp/dev/t.yaml", "dev", fmt.Sprintf(table, `[{"name":"id","type":"STRING"},{"name":"n","type":"INT64"}]`))}
	cur := []targets.File{file("shop/gcp/dev/t.yaml", "dev", fmt.Sprintf(table, `[{"name":"id","type":"BYTES"},{"name":"at","type":"TIMESTAMP"}]`))}
	changes, err := Compare(old, cur)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	WriteText(&b, changes)
	want := `shop/dev
  ~ BigQueryTable sales.orders  !! RECREATE
      spec.schema[id].type: "STRING" -> "BYTES"
      spec.schema[n]: {"name":"n","type":"INT64"} -> (none)
      spec.schema[at]: (none) -> {"name":"at","type":"TIMESTAMP"}
      !! RECREATE: the type of column "id" cannot change in place: applying it means deleting the table and creating it again, which loses its rows
      !! RECREATE: removing column "n" cannot change in place: applying it means deleting the table and creating it again, which loses its rows
0 added, 1 changed, 0 removed; 1 need attention (!!)
`
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}
}

// TestKustomizeSourcesIgnored: the rendered manifests stand for the
// kustomize base and overlays, which would repeat every change.
func TestKustomizeSourcesIgnored(t *testing.T) {
	changes, err := Compare(
		[]targets.File{file("shop/k8s/base/a.yaml", "", "kind: A\nmetadata: {name: a}\n")},
		[]targets.File{file("shop/k8s/base/a.yaml", "", "kind: A\nmetadata: {name: b}\n")})
	if err != nil || len(changes) != 0 {
		t.Errorf("got %v, %v; want no changes", changes, err)
	}
}
