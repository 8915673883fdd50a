package dockerfile

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/pipec/pipec/schema"
	"github.com/pipec/pipec/targets"
)

// ignoreFile writes the Dockerfile.dockerignore of an image: exclude
// everything, then re-include each path the Dockerfile copies. Whatever
// else sits in the source directory (a .env, a key file, a virtualenv)
// never reaches the builder, even if a later edit copied it by mistake.
func ignoreFile(spec *schema.Spec, name, context string, copied []string) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(targets.HashComment(spec))
	fmt.Fprintf(&b, "# The build context of image %s holds only what its Dockerfile copies:\n", name)
	fmt.Fprintf(&b, "# nothing else in %s reaches the builder.\n", context)
	b.WriteString("*\n")
	paths := slices.Clone(copied)
	slices.Sort(paths)
	for _, p := range slices.Compact(paths) {
		// Each pattern is a line: a newline in a path would add a pattern.
		if err := oneLine(p); err != nil {
			return nil, fmt.Errorf("images.%s: cannot admit %q in .dockerignore: %w", name, p, err)
		}
		b.WriteString("!" + p + "\n")
	}
	return b.Bytes(), nil
}
