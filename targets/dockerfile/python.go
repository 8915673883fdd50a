package dockerfile

import (
	"path"

	"github.com/pipec/pipec/schema"
)

// python writes the stages of a Python image: a build stage that installs
// the requirements into a virtualenv, and a final stage on the same slim
// base holding that virtualenv and the allow-listed files. It returns the
// context paths it copies.
func python(f *text, spec *schema.Spec, at string, img *schema.Image) []string {
	b := basesOf(spec, img)
	var copied []string

	f.line("")
	f.line("FROM " + b.build + " AS build")
	f.line("RUN python -m venv /opt/venv")
	if img.Requirements != "" {
		req := path.Clean(img.Requirements)
		copied = append(copied, req)
		f.line("# The requirements alone first, so dependencies are reinstalled only when they change.")
		// A fixed destination keeps every spec value out of the shell-form RUN.
		f.copy(at+".requirements", "", req, "/tmp/requirements.txt")
		f.line("RUN /opt/venv/bin/pip install --no-cache-dir --disable-pip-version-check -r /tmp/requirements.txt")
	}

	f.line("")
	f.line("FROM " + b.final)
	f.line("ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PATH=/opt/venv/bin:$PATH")
	f.env(at, img.Env)
	f.copy(at, "--from=build", "/opt/venv", "/opt/venv")
	f.line("WORKDIR /app")
	f.line("# Only the allow-listed files, owned by root: the runtime user can read them, not change them.")
	for _, p := range copies(img, nil) {
		copied = append(copied, p)
		f.copy(at+".copy", "", p, "/app/"+p)
	}
	f.user(img.User)
	if len(img.Command) > 0 {
		// ENTRYPOINT, not CMD, so that a service's args are appended to
		// the command instead of replacing it.
		f.exec("ENTRYPOINT", "", img.Command...)
	}
	return copied
}
