package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pipec/pipec/compiler"
	"github.com/pipec/pipec/internal/scaffold"
)

func newInitCmd(g *globals) *cobra.Command {
	var tmpl, dir string
	var help strings.Builder
	for _, t := range scaffold.Templates {
		fmt.Fprintf(&help, "  %-10s %s\n", t.Name, t.Summary)
	}
	cmd := &cobra.Command{
		Use:   "init NAME",
		Short: "Create a pipeline that passes vet and build as it is",
		Long: `init writes a new pipeline called NAME into ./pipelines/NAME (or --dir): a
spec whose comments explain what each field does and what to change, the
source of its images, and pipec's schema vendored into cue.mod with a
schema.cue that applies it, so that cue vet and the CUE language server
check the spec too. Replace the values marked PLACEHOLDER.

Templates:
` + help.String() + `
NAME is a DNS-1123 label of at most 40 characters. init never overwrites:
it fails if the directory exists and is not empty.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError(cmd, errors.New("name the pipeline: pipec init NAME"))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			if dir == "" {
				dir = filepath.Join("pipelines", name)
			}
			files, err := scaffold.Files(name, tmpl, displayDir(dir))
			if err != nil {
				return usageError(cmd, err)
			}
			if err := create(cmd, dir, files); err != nil {
				return err
			}
			if g.verbose {
				fmt.Fprintf(cmd.ErrOrStderr(), "created %s (%d files); next: pipec vet %s\n", dir, len(files), displayDir(dir))
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&tmpl, "template", "t", scaffold.Templates[0].Name, "what the pipeline starts as: "+templateList())
	cmd.Flags().StringVar(&dir, "dir", "", "directory to create (default ./pipelines/NAME)")
	return cmd
}

func templateList() string {
	var names []string
	for _, t := range scaffold.Templates {
		names = append(names, t.Name)
	}
	return strings.Join(names, " or ")
}

// displayDir is how the spec's comments name its directory: as the user
// wrote it, in the ./dir form pipec's commands take.
func displayDir(dir string) string {
	d := filepath.ToSlash(filepath.Clean(dir))
	if filepath.IsAbs(dir) || d == "." || strings.HasPrefix(d, "../") {
		return d
	}
	return "./" + d
}

// create writes the pipeline into a hidden directory next to dir, checks
// that it compiles, and only then renames it into place: an interrupted
// or failed init leaves nothing half-written, and a scaffold that pipec
// itself rejects is never handed out.
func create(cmd *cobra.Command, dir string, files []scaffold.File) error {
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		fmt.Fprintf(cmd.ErrOrStderr(), "pipec init: %s already exists and is not empty; choose another NAME or --dir\n", dir)
		return exitError{ExitFindings}
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		if info, serr := os.Stat(dir); serr == nil && !info.IsDir() {
			fmt.Fprintf(cmd.ErrOrStderr(), "pipec init: %s already exists and is a file; choose another NAME or --dir\n", dir)
			return exitError{ExitFindings}
		}
		return err
	}
	parent := filepath.Dir(filepath.Clean(dir))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, ".pipec-init-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	for _, f := range files {
		p := filepath.Join(tmp, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			return err
		}
	}
	res, err := compiler.Compile(cmd.Context(), []string{tmp}, compiler.Options{Root: parent})
	if err != nil {
		return err
	}
	if len(res.Diagnostics) > 0 {
		var b strings.Builder
		res.Diagnostics.Print(&b)
		return fmt.Errorf("internal error: the scaffold does not vet cleanly:\n%s", b.String())
	}
	// An empty directory the user made for the pipeline is replaced;
	// os.Remove refuses one that is not empty.
	if err := os.Remove(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		return err
	}
	return os.Chmod(dir, 0o755)
}
