package dockerfile

import (
	"path"
	"slices"

	"github.com/pipec/pipec/schema"
)

// golang writes the stages of a Go image: a build stage that downloads the
// modules in their own layer and builds a static binary, and a distroless
// final stage holding only that binary. mod lists the module files to
// copy before the download. It returns the context paths it copies.
func golang(f *text, spec *schema.Spec, at, name string, img *schema.Image, mod []string) []string {
	b := basesOf(spec, img)
	bin := "/usr/local/bin/" + name
	copied := append([]string(nil), mod...)

	f.line("")
	f.line("FROM " + b.build + " AS build")
	f.line("# The image's own toolchain, never one that go.mod's toolchain line would download.")
	f.line("ENV CGO_ENABLED=0 GOTOOLCHAIN=local")
	f.line("WORKDIR /src")
	if len(mod) > 0 {
		f.line("# The module files alone first, so modules are downloaded again only when they change.")
		f.copy(at+".copy", "", slices.Concat(mod, []string{"/src/"})...)
		f.line("RUN go mod download")
	}
	for _, p := range copies(img, mod) {
		copied = append(copied, p)
		f.copy(at+".copy", "", p, "/src/"+p)
	}
	// Exec form: the package path comes from the spec and never meets a shell.
	f.exec("RUN", "--mount=type=cache,target=/root/.cache/go-build",
		"go", "build", "-trimpath", "-ldflags=-s -w", "-o", "/out/"+name, goPackage(img.Package))

	f.line("")
	f.line("FROM " + b.final)
	f.env(at, img.Env)
	f.copy(at, "--from=build", "/out/"+name, bin)
	f.user(img.User)
	// The command's words are the binary's arguments. They go into
	// ENTRYPOINT rather than CMD so that a service's args are appended to
	// them instead of replacing them.
	f.exec("ENTRYPOINT", "", append([]string{bin}, img.Command...)...)
	return copied
}

// goPackage makes pkg, relative to the context, a path `go build` reads
// as a directory: "./" keeps it from being taken for an import path or,
// starting with "-", for a flag.
func goPackage(pkg string) string {
	pkg = path.Clean(pkg)
	if pkg == "." {
		return pkg
	}
	return "./" + pkg
}
