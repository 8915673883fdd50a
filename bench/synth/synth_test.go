package synth_test

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/pipec/pipec/bench/synth"
	"github.com/pipec/pipec/internal/cli"
)

// The benchmarks measure pipec on valid pipelines: when a new rule makes
// the synthetic ones fail or warn, this says so before a benchmark does.
func TestPipelinesVetClean(t *testing.T) {
	dir := t.TempDir()
	if err := synth.Write(dir, 3); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := cli.Run(context.Background(), []string{"vet", filepath.Join(dir, "pipelines") + "/..."}, &stdout, &stderr)
	if code != cli.ExitOK || stderr.Len() > 0 {
		t.Errorf("pipec vet of the synthetic pipelines: exit %d, want a clean pass; update bench/synth:\n%s", code, stderr.String())
	}
}

func TestDeterministic(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	for _, dir := range []string{a, b} {
		if err := synth.Write(dir, 2); err != nil {
			t.Fatal(err)
		}
	}
	count := 0
	err := filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		count++
		rel, _ := filepath.Rel(a, p)
		x, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		y, err := os.ReadFile(filepath.Join(b, rel))
		if err != nil {
			return err
		}
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between two runs", rel)
		}
		return nil
	})
	if err != nil || count == 0 {
		t.Fatalf("walked %d files: %v", count, err)
	}
}
