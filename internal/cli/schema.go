package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"cuelang.org/go/cue/parser"
	"github.com/spf13/cobra"

	"github.com/pipec/pipec/schema"
)

func newSchemaCmd() *cobra.Command {
	var format, vendor string
	cmd := &cobra.Command{
		Use:   "schema [--format cue|openapi|markdown] [--vendor DIR]",
		Short: "Print the schema every pipeline is checked against, or vendor it into a CUE module",
		Long: `schema prints the schema pipec applies to every spec:

  cue       the CUE source, with a comment on every field (the default)
  openapi   an OpenAPI 3.0 document (JSON), one component schema per definition
  markdown  the reference: every field's type, default, meaning and an example

--vendor DIR writes the schema into a CUE module at DIR instead, so that
cue vet and the CUE language server check specs as pipec does: the schema
goes to DIR/` + schema.VendorPath + `, DIR/` + schema.ModulePath + ` is
created if DIR is not a module yet, and if DIR is a pipeline directory
without a ` + schema.BindingFile + `, one is written that applies the schema to the
spec (pipec itself leaves that file out). Run it again after upgrading pipec.
pipec init does all of this for new pipelines.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if vendor != "" {
				if cmd.Flags().Changed("format") {
					return usageError(cmd, errors.New("--vendor writes the CUE schema; it takes no --format"))
				}
				return vendorSchema(cmd, vendor)
			}
			var out []byte
			var err error
			switch format {
			case "cue":
				out = schema.Source
			case "openapi":
				out, err = schema.OpenAPI(version())
			case "markdown":
				out, err = schema.Reference()
			default:
				return usageError(cmd, fmt.Errorf("--format %q is not one of cue, openapi, markdown", format))
			}
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(out)
			return err
		},
	}
	cmd.Flags().StringVar(&format, "format", "cue", "what to print: cue, openapi or markdown")
	cmd.Flags().StringVar(&vendor, "vendor", "", "write the schema into the CUE module at `DIR` instead of printing it")
	return cmd
}

// vendorSchema writes the schema into the CUE module at dir, makes dir a
// module if it is not one, and binds the schema to the spec in dir if
// there is one. It never changes a module.cue or a schema.cue that exists.
func vendorSchema(cmd *cobra.Command, dir string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	files := map[string][]byte{schema.VendorPath: schema.Vendored()}
	if _, err := os.Stat(filepath.Join(abs, schema.ModulePath)); errors.Is(err, fs.ErrNotExist) {
		if files[schema.ModulePath], err = schema.ModuleFile(schema.ModuleName(filepath.Base(abs))); err != nil {
			return err
		}
	}
	pkg, err := specPackage(abs)
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(abs, schema.BindingFile)); pkg != "" && errors.Is(err, fs.ErrNotExist) {
		files[schema.BindingFile] = schema.Binding(pkg)
	}
	for _, rel := range slices.Sorted(maps.Keys(files)) {
		if err := writeFileAtomic(filepath.Join(abs, filepath.FromSlash(rel)), files[rel]); err != nil {
			return err
		}
		if verbose, _ := cmd.Flags().GetBool("verbose"); verbose {
			fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s\n", filepath.Join(dir, filepath.FromSlash(rel)))
		}
	}
	return nil
}

// specPackage is the CUE package the .cue files directly in dir declare,
// or "" when there are none. Two packages in one directory is not a spec
// pipec can load, so it is an error here too.
func specPackage(dir string) (string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	pkg := ""
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".cue") || e.Name() == schema.BindingFile {
			continue
		}
		p := filepath.Join(dir, e.Name())
		f, err := parser.ParseFile(p, nil, parser.PackageClauseOnly)
		if err != nil {
			return "", err
		}
		switch name := f.PackageName(); {
		case name == "":
		case pkg == "":
			pkg = name
		case name != pkg:
			return "", fmt.Errorf("%s holds packages %s and %s; a pipeline directory holds one", dir, pkg, name)
		}
	}
	return pkg, nil
}

// writeFileAtomic replaces path with data in one rename, so an interrupted
// write never leaves half a schema behind.
func writeFileAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".pipec-")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
