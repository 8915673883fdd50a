// Package scaffold holds the pipelines `pipec init` starts from: a spec
// whose comments teach the fields it uses, the source of its images, and
// the schema vendored into a CUE module so that `cue vet` and the CUE
// language server check the spec as pipec does. It builds files in memory;
// the caller writes them.
package scaffold

import (
	"embed"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"regexp"
	"slices"
	"strings"

	"cuelang.org/go/cue/parser"

	"github.com/pipec/pipec/schema"
)

// The templates are stored with a .tmpl suffix so that nothing reads them
// as what they become: pipec's own `./...` would take a template's
// pipeline.cue for a pipeline of this repository.
//
//go:embed templates
var templates embed.FS

// Template describes a template for `pipec init -h`.
type Template struct {
	Name, Summary string
}

// Templates are the templates, the default first.
var Templates = []Template{
	{"streaming", "a Python service publishes to Pub/Sub; a BigQuery subscription lands each message in a table"},
	{"batch", "an Airflow DAG of two Python tasks, each in its own image, loading and aggregating BigQuery tables"},
}

// File is a file of a new pipeline.
type File struct {
	Path string // slash-separated, relative to the pipeline directory
	Data []byte
}

// MaxName is the longest pipeline name init accepts. The names pipec
// derives from it must fit their own limits: the namespace
// <name>-<environment> and a DAG's service account dag-<name>-daily are
// DNS labels of at most 63 characters. 40 leaves room for longer
// environment names than dev and prod.
const MaxName = 40

var dnsLabel = regexp.MustCompile(`^[a-z]([-a-z0-9]*[a-z0-9])?$`)

// CheckName says what is wrong with name as the name of a new pipeline,
// or returns nil.
func CheckName(name string) error {
	switch {
	case !dnsLabel.MatchString(name) || len(name) > MaxName:
		return fmt.Errorf("%q is not a valid pipeline name: it must be a DNS-1123 label of at most %d characters: lowercase letters, digits and '-', starting with a letter and ending with a letter or digit", name, MaxName)
	case strings.HasPrefix(name, "goog"):
		// The pipeline's topics are named after it, and Pub/Sub refuses
		// IDs that start with "goog".
		return fmt.Errorf("%q is not a valid pipeline name: Pub/Sub refuses topic names starting with \"goog\", and the pipeline's topics are named after it", name)
	}
	if _, err := parser.ParseFile("", "package "+schema.PackageName(name)); err != nil {
		return fmt.Errorf("%q is not a valid pipeline name: it is a CUE keyword, and the spec's package is named after it", name)
	}
	return nil
}

// Files returns the files of a new pipeline called name, made from the
// template tmpl. dir is how the user names the pipeline directory, for
// the commands the spec's comments suggest.
func Files(name, tmpl, dir string) ([]File, error) {
	if err := CheckName(name); err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(Templates, func(t Template) bool { return t.Name == tmpl }) {
		return nil, fmt.Errorf("no template %q; choose one of %s", tmpl, templateNames())
	}
	pkg := schema.PackageName(name)
	fill := strings.NewReplacer("__NAME__", name, "__PACKAGE__", pkg, "__DIR__", dir)
	files := map[string][]byte{}
	root := path.Join("templates", tmpl)
	err := fs.WalkDir(templates, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := templates.ReadFile(p)
		if err != nil {
			return err
		}
		rel := strings.TrimSuffix(strings.TrimPrefix(p, root+"/"), ".tmpl")
		files[rel] = []byte(fill.Replace(string(data)))
		return nil
	})
	if err != nil {
		return nil, err
	}
	module, err := schema.ModuleFile(schema.ModuleName(name))
	if err != nil {
		return nil, err
	}
	files[schema.ModulePath] = module
	files[schema.VendorPath] = schema.Vendored()
	files[schema.BindingFile] = schema.Binding(pkg)

	var out []File
	for _, p := range slices.Sorted(maps.Keys(files)) {
		out = append(out, File{Path: p, Data: files[p]})
	}
	return out, nil
}

func templateNames() string {
	var names []string
	for _, t := range Templates {
		names = append(names, t.Name)
	}
	return strings.Join(names, ", ")
}
