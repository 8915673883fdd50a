package compiler

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"
)

var update = flag.Bool("update", false, "rewrite the expected diagnostics of testdata/bad")

// TestBadInputs runs every spec of the bad-input corpus. Each archive holds
// a pipeline directory and, in its "want" file, the exact diagnostics vet
// must print for it, one per line, with paths relative to the pipeline.
func TestBadInputs(t *testing.T) {
	archives, err := filepath.Glob("../testdata/bad/*.txtar")
	if err != nil || len(archives) == 0 {
		t.Fatalf("no corpus found: %v", err)
	}
	for _, path := range archives {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txtar"), func(t *testing.T) {
			t.Parallel()
			ar, err := txtar.ParseFile(path)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			var want []byte
			for _, f := range ar.Files {
				if f.Name == "want" {
					want = f.Data
				}
			}
			extract(t, dir, ar)
			res, err := Compile(context.Background(), []string{dir}, Options{Root: dir})
			if err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			res.Diagnostics.Print(&got)
			gotText := strings.ReplaceAll(got.String(), dir+string(filepath.Separator), "")
			gotText = strings.ReplaceAll(gotText, dir, ".")
			if !res.Diagnostics.HasErrors() {
				t.Errorf("spec compiled without errors; a bad input must be rejected")
			}
			if len(res.Specs) != 0 {
				t.Errorf("a failed compile returned %d specs", len(res.Specs))
			}
			if *update {
				for i := range ar.Files {
					if ar.Files[i].Name == "want" {
						ar.Files[i].Data = []byte(gotText)
					}
				}
				if err := os.WriteFile(path, txtar.Format(ar), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if gotText != string(want) {
				t.Errorf("diagnostics differ\n--- got\n%s--- want\n%s", gotText, want)
			}
		})
	}
}
