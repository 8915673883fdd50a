// Package all lists every output kind pipec generates. Adding a kind means
// adding its package and one line here.
package all

import (
	"github.com/pipec/pipec/targets"
	"github.com/pipec/pipec/targets/airflow"
	"github.com/pipec/pipec/targets/cloudbuild"
	"github.com/pipec/pipec/targets/dockerfile"
	"github.com/pipec/pipec/targets/gcp"
	"github.com/pipec/pipec/targets/gitops"
	"github.com/pipec/pipec/targets/kubernetes"
)

// Targets returns the output kinds in the order they run.
func Targets() []targets.Target {
	return []targets.Target{
		dockerfile.Target{},
		cloudbuild.Target{},
		kubernetes.Target{},
		gcp.Target{},
		airflow.Target{},
		gitops.Target{},
	}
}
