package compiler

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/pipec/pipec/schema"
)

var (
	pythonVersion = regexp.MustCompile(`^3\.[0-9]{1,2}$`)
	goVersion     = regexp.MustCompile(`^1\.[0-9]{1,2}$`)

	// secretName matches environment variable names whose value is a
	// credential by convention.
	secretName = regexp.MustCompile(`(?i)(^|_)(TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIALS?)$`)
	pemKey     = regexp.MustCompile(`-----BEGIN [A-Z ]*PRIVATE KEY-----`)
)

const workloadIdentity = "pipec runs every workload as its own Google service account through Workload Identity, so no key file is needed anywhere"

// looksLikeCredential reports what kind of credential a value or file holds.
func looksLikeCredential(b []byte) string {
	switch {
	case bytes.Contains(b, []byte(`"private_key"`)) && (bytes.Contains(b, []byte(`"service_account"`)) || bytes.Contains(b, []byte(`"client_email"`))):
		return "a service-account key (JSON)"
	case pemKey.Match(b):
		return "a PEM private key"
	}
	return ""
}

// envVar refuses credentials in environment variables: a key file path, a
// key itself, or a literal value under a name that conventionally holds one.
func (c *checker) envVar(e schema.EnvVar, name string, inImage bool, elems ...any) {
	c.name(envVarName, "environment variable", name, elems...)
	if name == "GOOGLE_APPLICATION_CREDENTIALS" {
		c.errorf(CodeCredential, elems, "GOOGLE_APPLICATION_CREDENTIALS points client libraries at a key file; remove it: %s", workloadIdentity)
		return
	}
	if e.Secret != "" {
		c.name(secretID, "secret", e.Secret, append(slices.Clone(elems), "secret")...)
		return
	}
	if inImage && strings.ContainsAny(e.Value, "\n\r\x00") {
		c.errorf(CodeUnsafeChars, elems, "an image's env value cannot hold a line break or NUL (a Dockerfile ENV is one line); set it on the service instead")
		return
	}
	if kind := looksLikeCredential([]byte(e.Value)); kind != "" {
		c.errorf(CodeCredential, elems, "the value is %s; never put credentials in a spec: %s", kind, workloadIdentity)
		return
	}
	if secretName.MatchString(name) && e.Value != "" {
		if inImage {
			c.errorf(CodeCredential, elems, "%s looks like a credential and would be baked into the image; move it to the service that needs it as env: %s: secret: \"<secret-manager-name>\"", name, name)
		} else {
			c.errorf(CodeCredential, elems, "%s looks like a credential but has a literal value; store it in Secret Manager and write env: %s: secret: \"<secret-manager-name>\"", name, name)
		}
	}
}

// imageFiles checks that an image's context, requirements and copied paths
// exist and stay inside the spec directory (symlinks included), and that no
// copied file is a credential.
func (c *checker) imageFiles(name string, img *schema.Image) {
	ctx, ok := c.inside(c.dir, img.Context, true, "images", name, "context")
	if !ok {
		return
	}
	if img.Requirements != "" {
		if bad := unsafePathChars(img.Requirements); bad != "" {
			c.errorf(CodeUnsafeChars, field("images", name, "requirements"), "%q holds %s; rename the file", img.Requirements, bad)
		} else {
			c.inside(ctx, img.Requirements, false, "images", name, "requirements")
		}
	}
	if img.Go != "" {
		if bad := unsafePathChars(img.Package); bad != "" || strings.HasPrefix(img.Package, "-") {
			c.errorf(CodeInvalidValue, field("images", name, "package"), "package %q must be a directory relative to the context, such as \"./cmd/app\"", img.Package)
		} else {
			c.inside(ctx, img.Package, true, "images", name, "package")
		}
	}
	if len(img.Copy) == 0 {
		c.errorf(CodeNotAllowList, field("images", name, "copy"), "image %q copies nothing; list the files it needs, e.g. copy: [\"main.py\"]", name)
	}
	for i, cp := range img.Copy {
		if bad := unsafePathChars(cp); bad != "" {
			c.errorf(CodeUnsafeChars, field("images", name, "copy", i), "%q holds %s, which Dockerfiles and .dockerignore cannot express safely; rename the file", cp, bad)
			continue
		}
		if cp == "." || cp == "./" || strings.ContainsAny(cp, "*?[") {
			c.errorf(CodeNotAllowList, field("images", name, "copy", i), "%q copies more than an allow-list: name each file or directory the image needs", cp)
			continue
		}
		abs, ok := c.inside(ctx, cp, false, "images", name, "copy", i)
		if !ok {
			continue
		}
		if kind := c.files.credentialIn(abs); kind[0] != "" {
			c.errorf(CodeCredential, field("images", name, "copy", i), "%s is %s and would be baked into the image; delete it from the copy list: %s", kind[0], kind[1], workloadIdentity)
		}
	}
}

// unsafePathChars names what in a path no Dockerfile COPY or .dockerignore
// line can carry as plain data: line breaks and other control characters,
// backslashes (an escape there), and edge spaces (.dockerignore trims them).
func unsafePathChars(p string) string {
	switch {
	case strings.ContainsAny(p, "\n\r"):
		return "a line break"
	case strings.ContainsFunc(p, unicode.IsControl):
		return "a control character"
	case strings.Contains(p, `\`):
		return "a backslash"
	case strings.TrimSpace(p) != p:
		return "leading or trailing spaces"
	}
	return ""
}

// inside resolves rel against base and checks that the result exists and,
// after following symlinks, stays inside c.dir.
func (c *checker) inside(base, rel string, wantDir bool, elems ...any) (string, bool) {
	if rel == "" || filepath.IsAbs(rel) || strings.HasPrefix(rel, "/") {
		c.errorf(CodePathOutside, elems, "%q must be a path relative to the spec directory", rel)
		return "", false
	}
	clean := filepath.Clean(filepath.FromSlash(rel))
	if clean == ".." || strings.HasPrefix(clean, ".."+string(filepath.Separator)) {
		c.errorf(CodePathOutside, elems, "%q leaves the spec directory; keep image sources inside it", rel)
		return "", false
	}
	abs := filepath.Join(base, clean)
	real, err := c.files.evalSymlinks(abs)
	if err != nil {
		c.errorf(CodePathMissing, elems, "%q does not exist in %s", rel, c.r.relFile(base))
		return "", false
	}
	root, err := c.files.evalSymlinks(c.dir)
	if err != nil {
		root = c.dir
	}
	if real != root && !strings.HasPrefix(real, root+string(filepath.Separator)) {
		c.errorf(CodePathOutside, elems, "%q is a symlink that leaves the spec directory; keep image sources inside it", rel)
		return "", false
	}
	info, err := c.files.statOf(real)
	if err != nil {
		c.errorf(CodePathMissing, elems, "%q cannot be read: %v", rel, err)
		return "", false
	}
	if wantDir && !info.IsDir() {
		c.errorf(CodePathMissing, elems, "%q is not a directory", rel)
		return "", false
	}
	return abs, true
}

// credentialIn scans a copied file, or the files of a copied directory, for
// key material. Large files are skipped: keys are small.
func credentialIn(path string) [2]string {
	var found [2]string
	n := 0
	_ = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil || found[0] != "" || n > 10000 {
			return filepath.SkipAll
		}
		if d.IsDir() {
			return nil
		}
		n++
		if info, err := d.Info(); err != nil || !info.Mode().IsRegular() || info.Size() > 1<<20 {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return nil
		}
		if kind := looksLikeCredential(b); kind != "" {
			rel, _ := filepath.Rel(filepath.Dir(path), p)
			found = [2]string{filepath.ToSlash(rel), kind}
		}
		return nil
	})
	return found
}
