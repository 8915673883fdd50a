package gcp

import (
	"regexp"

	"github.com/pipec/pipec/schema"
)

// artifactRegistry matches a Docker repository in Artifact Registry:
// LOCATION-docker.pkg.dev/PROJECT/REPOSITORY.
var artifactRegistry = regexp.MustCompile(`^([a-z][a-z0-9-]*[a-z0-9])-docker\.pkg\.dev/([a-z][a-z0-9-]{4,28}[a-z0-9])/([a-z]([a-z0-9-]{0,61}[a-z0-9])?)$`)

// registry is the Artifact Registry repository the pipeline pushes to.
type registry struct {
	project, location, id, name, description string
}

// parseRegistry finds the repository behind the pipeline's registry. Any
// other registry (Docker Hub, GHCR, a repository in a project-scoped
// domain) is not pipec's to create, so it yields nil.
func parseRegistry(p *schema.Pipeline) *registry {
	m := artifactRegistry.FindStringSubmatch(p.Registry)
	if m == nil {
		return nil
	}
	return &registry{
		location: m[1], project: m[2], id: m[3], name: m[3],
		description: "Images of pipeline " + p.Name + ", pushed by pipec.",
	}
}

func (e *env) registryObjects() error {
	r := e.registry
	if r == nil {
		return nil
	}
	// The repository holds every image the pipeline ever pushed: deleting
	// the spec must not delete them, so it is abandoned like data.
	return e.add("ArtifactRegistryRepository", r.name, "registry "+e.p.Registry, map[string]any{
		"resourceID":  r.id,
		"location":    r.location,
		"format":      "DOCKER",
		"description": r.description,
	}, annotations(r.project, true), e.labels)
}
