package compiler

import (
	"path"
	"regexp"
	"strings"

	"github.com/pipec/pipec/schema"
)

var (
	// httpsGitURL and sshGitURL are the repository URLs both controllers
	// clone. Flux's GitRepository accepts only the URL forms
	// (^(http|https|ssh)://), so the scp-like "git@host:org/repo" form is
	// allowed for Argo CD alone. Plain http is refused: it would fetch
	// what the cluster runs over an unauthenticated channel.
	httpsGitURL = regexp.MustCompile(`^https://[A-Za-z0-9.-]+(:[0-9]+)?/[^\s]+$`)
	sshGitURL   = regexp.MustCompile(`^ssh://([A-Za-z0-9._-]+@)?[A-Za-z0-9.-]+(:[0-9]+)?/[^\s]+$`)
	scpGitURL   = regexp.MustCompile(`^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^\s/][^\s]*$`)
	// fluxInterval is the duration pattern of Flux's CRDs, so a value the
	// API server would refuse is reported here, at the spec.
	fluxInterval = regexp.MustCompile(`^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$`)
)

// gitops checks where the GitOps controller finds the rendered manifests.
// Its values end up in objects a cluster applies long after the build, so
// a mistake here would otherwise surface as a controller stuck on a sync.
func (c *checker) gitops() {
	g := c.p.GitOps
	if c.skip("gitops") || g.Tool == schema.GitOpsNone {
		return
	}
	switch {
	case g.RepoURL == "":
		c.errorf(CodeMissingValue, field("gitops"), "tool is %q but repoURL is not set; set it to the git repository that holds the output, e.g. gitops: repoURL: \"https://github.com/example/data-pipelines.git\"", g.Tool)
	case httpsGitURL.MatchString(g.RepoURL) || sshGitURL.MatchString(g.RepoURL):
	case scpGitURL.MatchString(g.RepoURL) && g.Tool == schema.GitOpsArgoCD:
	case scpGitURL.MatchString(g.RepoURL):
		c.errorf(CodeInvalidValue, field("gitops", "repoURL"), "repoURL %q is not a URL Flux accepts: write it as ssh://%s", g.RepoURL, strings.Replace(g.RepoURL, ":", "/", 1))
	case strings.HasPrefix(g.RepoURL, "http://"):
		c.errorf(CodeInvalidValue, field("gitops", "repoURL"), "repoURL %q uses plain http, which would let anyone on the way change what the cluster runs: use https:// or ssh://", g.RepoURL)
	default:
		c.errorf(CodeInvalidValue, field("gitops", "repoURL"), "repoURL %q is not a git URL: write https://host/org/repo.git or ssh://git@host/org/repo.git", g.RepoURL)
	}
	if g.Branch == "" || strings.ContainsAny(g.Branch, " \t\r\n~^:?*[\\") || strings.Contains(g.Branch, "..") {
		c.errorf(CodeInvalidValue, field("gitops", "branch"), "branch %q is not a git branch name: it must be non-empty, without spaces, '..' or any of ~^:?*[\\", g.Branch)
	}
	if g.Path == "" || path.IsAbs(g.Path) || path.Clean(g.Path) != g.Path || g.Path == ".." || strings.HasPrefix(g.Path, "../") || strings.ContainsAny(g.Path, " \t\r\n\\") {
		c.errorf(CodeInvalidValue, field("gitops", "path"), "path %q is not a clean relative path from the repository's root, e.g. \"deploy\"", g.Path)
	}
	switch g.Tool {
	case schema.GitOpsArgoCD:
		c.name(dnsSubdomain, "Argo CD project", g.ArgoCD.Project, "gitops", "argocd", "project")
		c.name(dnsLabel, "Argo CD namespace", g.ArgoCD.Namespace, "gitops", "argocd", "namespace")
	case schema.GitOpsFlux:
		c.name(dnsLabel, "Flux namespace", g.Flux.Namespace, "gitops", "flux", "namespace")
		if !fluxInterval.MatchString(g.Flux.Interval) {
			c.errorf(CodeInvalidValue, field("gitops", "flux", "interval"), "interval %q is not a duration Flux accepts: write e.g. \"5m\", \"1h\" or \"1h30m\"", g.Flux.Interval)
		}
	}
}
