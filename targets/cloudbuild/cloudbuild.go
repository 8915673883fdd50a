// Package cloudbuild writes, for each environment of a pipeline, the Google
// Cloud Build config that builds every image of the pipeline from its
// generated Dockerfile and pushes it to that environment's Artifact
// Registry: <pipeline>/images/cloudbuild-<env>.yaml.
//
// There is one file per environment rather than one file with a registry
// substitution because the registry names the environment's project: a
// default would push to one project whenever the caller forgot to name
// another, and a file per environment says in review where its images go.
// The images are the same in every environment (the compiler checks it),
// so the files differ only in where they push.
//
// Each image is tagged with the commit ($COMMIT_SHA) and with the image's
// own tag, and listed under images, so Cloud Build pushes it and records
// its digest: the digest `pipec lock --set` pins.
package cloudbuild

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/pipec/pipec/internal/manifest"
	"github.com/pipec/pipec/schema"
	"github.com/pipec/pipec/targets"
)

// outputRoot is where the writer puts generated files, relative to the
// repository root, which is where Cloud Build runs: the Dockerfiles are
// named from there.
const outputRoot = "deploy"

// builder is Cloud Build's Docker step image.
const builder = "gcr.io/cloud-builders/docker"

// Target writes the Cloud Build configs.
type Target struct{}

var _ targets.Target = Target{}

// Name is "cloudbuild".
func (Target) Name() string { return "cloudbuild" }

// config is the part of Cloud Build's build config pipec writes.
type config struct {
	Steps  []step   `json:"steps"`
	Images []string `json:"images"`
}

type step struct {
	ID   string   `json:"id"`
	Name string   `json:"name"`
	Env  []string `json:"env"`
	Args []string `json:"args"`
	// WaitFor "-" starts the step at once: images build in parallel.
	WaitFor []string `json:"waitFor"`
}

// Generate writes one config per environment, for pipelines with images.
func (Target) Generate(spec *schema.Spec) ([]targets.File, error) {
	if strings.ContainsAny(spec.Dir, "\r\n") {
		// The header's comments name the spec directory, the one value
		// in them the compiler does not check; a line break would end
		// the comment.
		return nil, fmt.Errorf("cannot write the spec directory %q into a comment", spec.Dir)
	}
	var files []targets.File
	for _, env := range spec.Envs {
		if len(env.Images) == 0 {
			continue
		}
		file := path.Join(spec.Name, "images", "cloudbuild-"+env.Env+".yaml")
		var c config
		var pins []string
		for _, n := range slices.Sorted(maps.Keys(env.Images)) {
			img := env.Images[n]
			commit := img.Repository + ":$COMMIT_SHA"
			tagged := img.Repository + ":" + img.Tag
			c.Steps = append(c.Steps, step{
				ID:   n,
				Name: builder,
				// The Dockerfiles use BuildKit features (# syntax, cache
				// mounts, Dockerfile.dockerignore beside the Dockerfile).
				Env: []string{"DOCKER_BUILDKIT=1"},
				Args: []string{"build",
					"--file", path.Join(outputRoot, spec.Name, "images", n, "Dockerfile"),
					"--tag", commit, "--tag", tagged,
					path.Join(spec.Dir, img.Context)},
				WaitFor: []string{"-"},
			})
			c.Images = append(c.Images, commit, tagged)
			pins = append(pins, fmt.Sprintf("#   pipec lock --set %s=%s:$(git rev-parse HEAD) %s", n, img.Repository, spec.Dir))
		}
		header := targets.HashComment(spec) +
			fmt.Sprintf("# Builds every image of pipeline %s and pushes it to the registry of environment %s.\n", spec.Name, env.Env) +
			"# From the repository root (a build started by a trigger sets COMMIT_SHA itself):\n" +
			fmt.Sprintf("#   gcloud builds submit --project %s --config %s --substitutions=COMMIT_SHA=$(git rev-parse HEAD) .\n", env.Project, path.Join(outputRoot, file)) +
			"# Then pin what it pushed, so that pipec build deploys exactly that:\n"
		for _, p := range pins {
			header += p + "\n"
		}
		data, err := manifest.File(header, c)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		files = append(files, targets.File{Path: file, Data: data, Env: env.Env})
	}
	return files, nil
}
