package cli

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pipec/pipec/compiler"
	"github.com/pipec/pipec/diff"
	"github.com/pipec/pipec/targets"
)

type diffFlags struct {
	base   string
	format string
}

func newDiffCmd() *cobra.Command {
	f := &diffFlags{}
	cmd := &cobra.Command{
		Use:   "diff [--base REF] [PATH...]",
		Short: "Show what a change does to the generated objects, per pipeline and environment",
		Long: `diff compiles the specs as they are in the working tree and as they were at
REF (read from git, nothing is checked out), and compares what they generate
object by object: added, removed, and changed with the fields that changed.
Changes that recreate a resource (an immutable field of a subscription or
table) or remove one that holds data are marked with "!!".

REF defaults to the merge base with the default branch (origin/HEAD, else
main or master), else HEAD.

Exit codes, as kubectl diff: 0 no changes, 1 changes, 2 error.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDiff(cmd, f, args)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.base, "base", "", "git revision to compare against (default: the merge base with the default branch)")
	fl.StringVar(&f.format, "format", "text", "text, or markdown for a pull-request comment")
	cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"text", "markdown"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func runDiff(cmd *cobra.Command, f *diffFlags, args []string) error {
	if f.format != "text" && f.format != "markdown" {
		return usageError(cmd, fmt.Errorf("--format %q is not one of text, markdown", f.format))
	}
	ctx := cmd.Context()
	stderr := cmd.ErrOrStderr()
	top, err := git(ctx, "", "rev-parse", "--show-toplevel")
	if err != nil {
		return fmt.Errorf("diff compares against git history: %w", err)
	}
	base, rev := diff.Code(f.base), f.base
	if rev == "" {
		base, rev = defaultBase(ctx)
	}
	commit, err := git(ctx, top, "rev-parse", "--verify", "--quiet", rev+"^{commit}")
	if err != nil {
		return fmt.Errorf("--base %s: not a commit in this repository", rev)
	}
	if len(args) == 0 {
		args = []string{"./..."}
	}

	tmp, err := os.MkdirTemp("", "pipec-diff-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	baseArgs, err := checkoutSpecs(ctx, top, commit, tmp, args)
	if err != nil {
		return err
	}

	head, ds, err := specFiles(ctx, args, top)
	if err != nil {
		return err
	}
	if ds.HasErrors() {
		printErrors(stderr, ds, "")
		return exitError{ExitError}
	}
	var old []targets.File
	if len(baseArgs) > 0 {
		if old, ds, err = specFiles(ctx, baseArgs, tmp); err != nil {
			return err
		}
		if ds.HasErrors() {
			fmt.Fprintf(stderr, "the spec at %s does not compile:\n", rev)
			printErrors(stderr, ds, tmp)
			return exitError{ExitError}
		}
	}
	changes, err := diff.Compare(old, head)
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	if f.format == "markdown" {
		diff.WriteMarkdown(out, changes, base)
	} else if len(changes) > 0 {
		diff.WriteText(out, changes)
	}
	if len(changes) > 0 {
		return exitError{ExitFindings}
	}
	return nil
}

// defaultBase is the revision a pull request is reviewed against, and how
// to name it to a reader (a commit hash tells a reviewer little).
func defaultBase(ctx context.Context) (name, rev string) {
	for _, branch := range []string{"origin/HEAD", "main", "master"} {
		if mb, err := git(ctx, "", "merge-base", "HEAD", branch); err == nil {
			return "the merge base with " + diff.Code(branch), mb
		}
	}
	return "HEAD", "HEAD"
}

// specFiles compiles the pipelines at paths with headers relative to root,
// so both sides of a diff name their spec the same way, and returns every
// target's files, or the findings that keep the specs from compiling.
func specFiles(ctx context.Context, paths []string, root string) ([]targets.File, compiler.Diagnostics, error) {
	gen, ds, err := generate(ctx, paths, compiler.Options{Root: root}, nil, nil, nil)
	if err != nil || ds.HasErrors() {
		return nil, ds, err
	}
	var files []targets.File
	for _, g := range gen {
		files = append(files, g.Files...)
	}
	return files, nil, nil
}

// printErrors prints the errors among ds; the base side's files lie in a
// temporary copy, whose directory is cut so the paths read as in the
// repository.
func printErrors(w io.Writer, ds compiler.Diagnostics, tmp string) {
	for _, d := range ds {
		if d.Severity == compiler.Error {
			if tmp != "" {
				d.File = strings.TrimPrefix(strings.TrimPrefix(d.File, tmp), "/")
			}
			fmt.Fprintln(w, d)
		}
	}
}

// checkoutSpecs writes the spec directories named by args, as they are at
// commit, below dir, and returns the same arguments pointing there. An
// argument that did not exist at commit (a new pipeline) is left out.
func checkoutSpecs(ctx context.Context, top, commit, dir string, args []string) ([]string, error) {
	var pathspecs, baseArgs []string
	for _, arg := range args {
		p, suffix := arg, ""
		if a, ok := strings.CutSuffix(arg, "..."); ok {
			p, suffix = strings.TrimSuffix(a, "/"), "/..."
			if p == "" {
				p = "."
			}
		}
		abs, err := filepath.Abs(p)
		if err != nil {
			return nil, err
		}
		rel, err := filepath.Rel(top, abs)
		if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
			return nil, fmt.Errorf("%s is outside the git repository %s", arg, top)
		}
		if rel != "." {
			if _, err := git(ctx, top, "cat-file", "-e", commit+":"+filepath.ToSlash(rel)); err != nil {
				continue
			}
		}
		pathspecs = append(pathspecs, filepath.ToSlash(rel))
		baseArgs = append(baseArgs, filepath.Join(dir, rel)+suffix)
	}
	if len(pathspecs) == 0 {
		return nil, nil
	}
	cmd := exec.CommandContext(ctx, "git", append([]string{"archive", "--format=tar", commit, "--"}, pathspecs...)...)
	cmd.Dir = top
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	extractErr := extract(out, dir)
	if err := cmd.Wait(); err != nil {
		return nil, fmt.Errorf("git archive %s: %v: %s", commit, err, strings.TrimSpace(stderr.String()))
	}
	return baseArgs, extractErr
}

// extract unpacks what git archive wrote: directories, regular files and
// symlinks, refusing any name that would land outside dir.
func extract(r io.Reader, dir string) error {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		name := filepath.Join(dir, filepath.FromSlash(h.Name))
		if !strings.HasPrefix(name, dir+string(filepath.Separator)) {
			return fmt.Errorf("git archive: %s lies outside the repository", h.Name)
		}
		switch h.Typeflag {
		case tar.TypeDir:
			err = os.MkdirAll(name, 0o755)
		case tar.TypeReg:
			if err = os.MkdirAll(filepath.Dir(name), 0o755); err == nil {
				var data []byte
				if data, err = io.ReadAll(tr); err == nil {
					err = os.WriteFile(name, data, os.FileMode(h.Mode)&0o777|0o600)
				}
			}
		case tar.TypeSymlink:
			if err = os.MkdirAll(filepath.Dir(name), 0o755); err == nil {
				err = os.Symlink(h.Linkname, name)
			}
		}
		if err != nil {
			return err
		}
	}
}

// git runs a git command in dir (the working directory when empty) and
// returns its trimmed output.
func git(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return "", fmt.Errorf("git %s: %s", args[0], msg)
		}
		return "", fmt.Errorf("git %s: %w", args[0], err)
	}
	return strings.TrimSpace(string(out)), nil
}
