package kubernetes

import (
	"cmp"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/pipec/pipec/internal/manifest"
	"github.com/pipec/pipec/schema"
	"github.com/pipec/pipec/targets"
)

// render returns what ov's overlay renders to, as
// rendered/<env>/<kind>-<name>.yaml, in the order `kubectl kustomize`
// prints the objects.
//
// It does not run kustomize. The overlay's patches turn the base into the
// environment's objects, which ov already holds, so render applies to
// them what the overlay's transformers add, as kustomize does. Running
// kustomize cost a third of a build's CPU, and its process-wide state kept
// the builds of all pipelines on one core. TestRenderMatchesKustomize
// holds the two together: it renders every test spec both ways.
func render(spec *schema.Spec, ov *overlay) ([]targets.File, error) {
	images := imageRules(ov.images)
	serviceAccounts := map[string]bool{}
	for _, o := range ov.objects {
		if o.kind == "ServiceAccount" {
			serviceAccounts[o.name] = true
		}
	}
	objs := make([]*object, 0, len(ov.objects))
	for _, o := range ov.objects {
		k, known := kinds[o.kind]
		if !known {
			return nil, fmt.Errorf("kubernetes: cannot render %s: add its kind to kinds in render.go, saying what kustomize does with it", o.id())
		}
		r := o
		r.setNamespace(k, ov.namespace, serviceAccounts)
		r.addLabels(k, ov.labels)
		setImages(r.data, images)
		objs = append(objs, r)
	}
	slices.SortFunc(objs, legacyOrder)

	header := targets.HashComment(spec)
	out := make([]targets.File, 0, len(objs))
	for _, o := range objs {
		data, err := manifest.File(header, o.data)
		if err != nil {
			return nil, fmt.Errorf("kubernetes: rendered %s: %w", o.id(), err)
		}
		out = append(out, targets.File{Path: path.Join(spec.Name, "rendered", ov.env, o.file()), Data: data, Env: ov.env})
	}
	return out, nil
}

// kindRules are what kustomize's transformers do differently with one kind
// of object. kinds lists every kind pipec writes, and render refuses any
// other: what kustomize does with a kind (is it cluster-scoped, where is its
// pod template) has to be looked up, not guessed.
type kindRules struct {
	// clusterScoped objects get no namespace.
	clusterScoped bool
	// podTemplate is where the kind's pod template is: with
	// includeTemplates, kustomize labels it (its templateLabels fieldspecs).
	podTemplate []string
	// subjects says the kind binds RBAC subjects, some of which
	// kustomize moves into the overlay's namespace.
	subjects bool
}

var kinds = map[string]kindRules{
	// The namespace transformer renames a Namespace (of apiVersion v1, as
	// pipec writes it) to the overlay's namespace.
	"Namespace":           {clusterScoped: true},
	"Deployment":          {podTemplate: []string{"spec", "template"}},
	"RoleBinding":         {subjects: true},
	"Role":                {},
	"ServiceAccount":      {},
	"Service":             {},
	"PodDisruptionBudget": {},
	"NetworkPolicy":       {},
	"SecretStore":         {},
	"ExternalSecret":      {},
}

// setNamespace does what the overlay's `namespace:` does: a Namespace takes
// its name, every namespaced object is put in it, and so are some RoleBinding
// subjects (see bindSubjects).
func (o *object) setNamespace(k kindRules, namespace string, serviceAccounts map[string]bool) {
	meta := mapAt(o.data, "metadata")
	switch {
	case o.kind == "Namespace":
		meta["name"] = namespace
		o.name = namespace
	case !k.clusterScoped:
		meta["namespace"] = namespace
	}
	if k.subjects {
		bindSubjects(o.data, namespace, serviceAccounts)
	}
}

// bindSubjects moves into namespace, whatever its kind, an RBAC subject
// named after one of the environment's own ServiceAccounts that has no
// namespace or "default", as kustomize does: fixing name references, it
// points such a subject at that ServiceAccount, which is now in namespace.
// (The overlay's namespace transformer leaves subjects alone, a subject
// named "default" included: see namespaceTransformer.) pipec's subjects
// are Airflow's ServiceAccounts, which stay in Airflow's namespace unless
// they are so named.
func bindSubjects(obj map[string]any, namespace string, serviceAccounts map[string]bool) {
	subjects, _ := obj["subjects"].([]any)
	for _, s := range subjects {
		subject, ok := s.(map[string]any)
		if !ok {
			continue
		}
		name, _ := subject["name"].(string)
		ns, hasNamespace := subject["namespace"]
		if serviceAccounts[name] && (!hasNamespace || ns == "default") {
			subject["namespace"] = namespace
		}
	}
}

// addLabels does what the overlay's `labels:` does with includeTemplates
// and without includeSelectors: it sets the labels on the object and on
// its pod template, and leaves selectors alone.
func (o *object) addLabels(k kindRules, labels map[string]string) {
	set := func(m map[string]any) {
		l := mapAt(m, "labels")
		for key, value := range labels {
			l[key] = value
		}
	}
	set(mapAt(o.data, "metadata"))
	if k.podTemplate != nil {
		set(mapAt(o.data, append(slices.Clone(k.podTemplate), "metadata")...))
	}
}

// mapAt returns the map at path in m, adding the maps that are missing on
// the way, as kustomize creates the fields it sets.
func mapAt(m map[string]any, path ...string) map[string]any {
	for _, key := range path {
		next, ok := m[key].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[key] = next
		}
		m = next
	}
	return m
}

// imageRule is an `images:` entry as kustomize applies it.
type imageRule struct {
	image
	// matches is nil when the name is no regular expression: kustomize
	// then changes no image. It is left nil, and literal used, when the
	// name has no special character.
	matches *regexp.Regexp
	literal bool
}

// imageTag is what kustomize's pattern allows after an image's name: a
// tag, a digest, both or neither.
const imageTag = `(:[a-zA-Z0-9_.{}-]*)?(@[a-zA-Z0-9]+([.+_-][a-zA-Z0-9]+)*:[a-zA-Z0-9_.{}-]*)?`

// tagOnly matches imageTag alone, for literal names: compiling the
// pattern for every name of every environment was a twentieth of the
// target's time.
var tagOnly = regexp.MustCompile("^" + imageTag + "$")

func imageRules(images []image) []imageRule {
	rules := make([]imageRule, len(images))
	for i, img := range images {
		rules[i].image = img
		// kustomize's own pattern, the name unquoted. pipec's image names
		// are DNS labels, which match only themselves.
		if regexp.QuoteMeta(img.Name) == img.Name {
			rules[i].literal = true
			continue
		}
		rules[i].matches, _ = regexp.Compile("^" + img.Name + imageTag + "$")
	}
	return rules
}

// match reports whether the rule applies to ref.
func (r imageRule) match(ref string) bool {
	if r.literal {
		rest, ok := strings.CutPrefix(ref, r.Name)
		return ok && tagOnly.MatchString(rest)
	}
	return r.matches != nil && r.matches.MatchString(ref)
}

// apply returns ref with the rule applied: the new name, and the new tag
// or digest in place of both the old tag and digest.
func (r imageRule) apply(ref string) string {
	if !r.match(ref) {
		return ref
	}
	name, tag, digest := splitImage(ref)
	if r.NewName != "" {
		name = r.NewName
	}
	switch {
	case r.NewTag != "" && r.Digest != "":
		tag, digest = r.NewTag, r.Digest
	case r.NewTag != "":
		tag, digest = r.NewTag, ""
	case r.Digest != "":
		tag, digest = "", r.Digest
	}
	if tag != "" {
		name += ":" + tag
	}
	if digest != "" {
		name += "@" + digest
	}
	return name
}

// splitImage splits [host[:port]/]path[:tag][@digest] as kustomize does.
func splitImage(ref string) (name, tag, digest string) {
	// A ':' before the first '/' separates a registry's port.
	start := max(strings.Index(ref, "/"), 0)
	at := strings.Index(ref[start:], "@")
	colon := strings.Index(ref[start:], ":")
	switch {
	case at < 0 && colon < 0:
		return ref, "", ""
	case at >= 0 && (colon < 0 || at < colon):
		return ref[:start+at], "", ref[start+at+1:]
	case at >= 0:
		return ref[:start+colon], ref[start+colon+1 : start+at], ref[start+at+1:]
	}
	return ref[:start+colon], ref[start+colon+1:], ""
}

// setImages does what the overlay's `images:` does, entry after entry, to
// every image field kustomize knows: a container's or init container's,
// wherever the object has one (kustomize's legacy image filter looks for
// them at any depth, in any kind), and an image volume's reference in a
// pod spec.
func setImages(obj map[string]any, rules []imageRule) {
	if len(rules) == 0 {
		return
	}
	set := func(m map[string]any, key string) {
		ref, ok := m[key].(string)
		if !ok {
			return
		}
		for _, r := range rules {
			ref = r.apply(ref)
		}
		m[key] = ref
	}
	forEachContainer(obj, func(c map[string]any) { set(c, "image") })
	for _, podSpec := range [][]string{{"spec"}, {"spec", "template", "spec"}, {"spec", "jobTemplate", "spec", "template", "spec"}} {
		if volumes, ok := lookup(obj, podSpec...)["volumes"].([]any); ok {
			for _, v := range volumes {
				if volume, ok := v.(map[string]any); ok {
					if img, ok := volume["image"].(map[string]any); ok {
						set(img, "reference")
					}
				}
			}
		}
	}
}

// forEachContainer calls fn with each element of every list called
// containers or initContainers in v, at any depth.
func forEachContainer(v any, fn func(map[string]any)) {
	switch v := v.(type) {
	case map[string]any:
		for key, e := range v {
			forEachContainer(e, fn)
			if list, ok := e.([]any); ok && (key == "containers" || key == "initContainers") {
				for _, c := range list {
					if c, ok := c.(map[string]any); ok {
						fn(c)
					}
				}
			}
		}
	case []any:
		for _, e := range v {
			forEachContainer(e, fn)
		}
	}
}

// lookup returns the map at path in m, or nil.
func lookup(m map[string]any, path ...string) map[string]any {
	for _, key := range path {
		m, _ = m[key].(map[string]any)
	}
	return m
}

// kindOrder ranks kinds as kustomize's legacy order does (the order
// `kubectl kustomize` prints objects in): these first, in this order, then
// every other kind, then the webhook configurations.
var kindOrder = func() map[string]int {
	first := []string{
		"Namespace", "ResourceQuota", "StorageClass", "CustomResourceDefinition",
		"ServiceAccount", "PodSecurityPolicy", "Role", "ClusterRole", "RoleBinding",
		"ClusterRoleBinding", "ConfigMap", "Secret", "Endpoints", "Service",
		"LimitRange", "PriorityClass", "PersistentVolume", "PersistentVolumeClaim",
		"Deployment", "StatefulSet", "CronJob", "PodDisruptionBudget",
	}
	last := []string{"MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"}
	rank := map[string]int{}
	for i, k := range first {
		rank[k] = i - len(first)
	}
	for i, k := range last {
		rank[k] = i + 1
	}
	return rank
}()

// legacyOrder orders objects as kustomize's legacy order does: by kind
// rank, then by group, version and kind, then by namespace and name; an
// overlay's namespaced objects all have the same namespace.
func legacyOrder(a, b *object) int {
	return cmp.Or(
		cmp.Compare(kindOrder[a.kind], kindOrder[b.kind]),
		strings.Compare(a.gvkSortKey(), b.gvkSortKey()),
		strings.Compare(a.name, b.name),
	)
}

// gvkSortKey is kustomize's sort key for an object's group, version and
// kind, where '~' puts the core group after the others.
func (o *object) gvkSortKey() string {
	apiVersion, _ := o.data["apiVersion"].(string)
	group, version, found := strings.Cut(apiVersion, "/")
	if !found {
		group, version = "", apiVersion
	}
	return cmp.Or(group, "~G") + "_" + cmp.Or(version, "~V") + "_" + cmp.Or(o.kind, "~K")
}
