package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestInitExitCodes pins what scripts can rely on: 0 on success, 1 when
// the directory is taken, 2 for a bad name or template; and that nothing
// is left behind when init refuses.
func TestInitExitCodes(t *testing.T) {
	root := t.TempDir()
	t.Chdir(root)
	taken := filepath.Join(root, "taken")
	if err := os.MkdirAll(taken, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(taken, "notes.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want int
	}{
		{[]string{"init", "clicks"}, ExitOK},
		{[]string{"init", "--template", "batch", "--dir", "etl", "nightly"}, ExitOK},
		{[]string{"init", "--dir", "taken", "clicks"}, ExitFindings},
		{[]string{"init", "clicks"}, ExitFindings},
		{[]string{"init", "Clicks"}, ExitError},
		{[]string{"init", "--template", "lambda", "orders"}, ExitError},
		{[]string{"init"}, ExitError},
	} {
		var out bytes.Buffer
		if got := Run(context.Background(), tc.args, &out, &out); got != tc.want {
			t.Errorf("pipec %s exited %d, want %d:\n%s", strings.Join(tc.args, " "), got, tc.want, out.String())
		}
	}
	// Refusals leave the taken directory alone and no temporary directory
	// anywhere.
	if entries, _ := os.ReadDir(taken); len(entries) != 1 {
		t.Errorf("taken/ holds %d entries, want only notes.txt", len(entries))
	}
	for _, dir := range []string{root, filepath.Join(root, "pipelines")} {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".pipec-init-") {
				t.Errorf("%s was left behind", filepath.Join(dir, e.Name()))
			}
		}
	}
	if info, err := os.Stat(filepath.Join(root, "pipelines", "clicks")); err != nil || info.Mode().Perm() != 0o755 {
		t.Errorf("pipelines/clicks: %v, %v", info, err)
	}
}
