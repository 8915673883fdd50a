package airflow

import (
	"context"
	"testing"

	"github.com/pipec/pipec/compiler"
)

// TestExamplesPassTheChecker compiles the repository's example pipelines
// with the real compiler and runs every DAG they define, in every
// environment, through check_dag.py.
func TestExamplesPassTheChecker(t *testing.T) {
	res, err := compiler.Compile(context.Background(), []string{"../../pipelines/..."}, compiler.Options{Root: "../.."})
	if err != nil {
		t.Fatal(err)
	}
	if res.Diagnostics.HasErrors() {
		t.Fatalf("the examples do not compile:\n%v", res.Diagnostics)
	}
	dags := 0
	for _, spec := range res.Specs {
		for _, p := range spec.Envs {
			dags += len(p.DAGs)
		}
	}
	if dags < 4 {
		t.Fatalf("the examples define %d DAGs across environments; expected the warehouse and tweets DAGs in dev and prod", dags)
	}
	check(t, res.Specs...)
}
