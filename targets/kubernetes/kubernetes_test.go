package kubernetes

import (
	"bytes"
	"flag"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
	"sigs.k8s.io/kustomize/api/types"

	"github.com/pipec/pipec/internal/crdcheck"
	"github.com/pipec/pipec/internal/fixture"
	"github.com/pipec/pipec/internal/manifest"
	pipec "github.com/pipec/pipec/schema"
	"github.com/pipec/pipec/targets"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

var _ targets.Target = Target{}

// generate runs the target and returns its files by path.
func generate(t *testing.T, spec *pipec.Spec) map[string][]byte {
	t.Helper()
	files, err := Target{}.Generate(spec)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, f := range files {
		if _, dup := out[f.Path]; dup {
			t.Fatalf("%s generated twice", f.Path)
		}
		out[f.Path] = f.Data
	}
	return out
}

// doc decodes a generated file, which holds exactly one document.
func doc(t *testing.T, name string, data []byte) map[string]any {
	t.Helper()
	docs, err := manifest.Decode(data)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if len(docs) != 1 {
		t.Fatalf("%s: %d documents, want 1", name, len(docs))
	}
	return docs[0]
}

func sortedPaths(files map[string][]byte) []string {
	var paths []string
	for p := range files {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	return paths
}

// tweetsVaried is the tweets fixture with environments that differ in
// more ways than replicas, to exercise every way an overlay can differ
// from the base: an extra service in prod only, a port and a second
// secret in prod, different args and resources, and a locked image.
func tweetsVaried() *pipec.Spec {
	spec := fixture.Tweets()
	dev, prod := spec.Envs[0], spec.Envs[1]
	dev.Labels = map[string]string{"team": "data"}
	dev.Services["collector"].Args = []string{"--verbose"}

	c := prod.Services["collector"]
	c.Args = []string{"--batch", "100"}
	c.Port = 8080
	c.Resources = pipec.Resources{CPU: "1", Memory: "512Mi", MemoryLimit: "1Gi"}
	c.Env["API_KEY"] = pipec.EnvVar{Secret: "external-api-key"}
	c.Env["WORKERS"] = pipec.EnvVar{Value: "4"}
	delete(c.Env, "PUBSUB_TOPIC")
	img := prod.Images["collector"]
	img.Ref = img.Repository + "@sha256:" + strings.Repeat("ab", 32)
	for _, p := range spec.Envs {
		p.Airflow = pipec.Airflow{Namespace: "airflow", ServiceAccounts: []string{"airflow-worker", "airflow-scheduler"}}
		p.DAGs = map[string]*pipec.DAG{"tweet_stats": {
			ID: "tweet_stats", KubernetesServiceAccount: "dag-tweet-stats",
			GoogleServiceAccount: "tweets-dag-tweet-stats@" + p.Project + ".iam.gserviceaccount.com",
			Tasks: map[string]*pipec.Task{
				"count":  {ID: "count", Image: "collector", Env: map[string]pipec.EnvVar{"TOKEN": {Secret: "stats-token"}}},
				"export": {ID: "export", Image: "collector", Env: map[string]pipec.EnvVar{"API_TOKEN": {Secret: "stats-token"}}},
			},
		}}
	}
	prod.Services["archiver"] = &pipec.Service{
		Name: "archiver", Image: "collector", Replicas: 1,
		KubernetesServiceAccount: "archiver",
		GoogleServiceAccount:     "tweets-archiver@tweets-prod-4821.iam.gserviceaccount.com",
		Env:                      map[string]pipec.EnvVar{},
		Resources:                pipec.Resources{CPU: "100m", Memory: "128Mi", MemoryLimit: "128Mi"},
	}
	return spec
}

func specs() map[string]*pipec.Spec {
	return map[string]*pipec.Spec{"tweets": fixture.Tweets(), "varied": tweetsVaried()}
}

func TestName(t *testing.T) {
	if got := (Target{}).Name(); got != "kubernetes" {
		t.Errorf("Name() = %q", got)
	}
}

func TestLayout(t *testing.T) {
	files := generate(t, fixture.Tweets())
	want := []string{
		"tweets/k8s/base/deployment-collector.yaml",
		"tweets/k8s/base/externalsecret-collector.yaml",
		"tweets/k8s/base/kustomization.yaml",
		"tweets/k8s/base/namespace-tweets.yaml",
		"tweets/k8s/base/networkpolicy-allow-collector.yaml",
		"tweets/k8s/base/networkpolicy-default-deny.yaml",
		"tweets/k8s/base/secretstore-collector.yaml",
		"tweets/k8s/base/serviceaccount-collector.yaml",
		"tweets/k8s/overlays/dev/kustomization.yaml",
		"tweets/k8s/overlays/prod/kustomization.yaml",
		"tweets/k8s/overlays/prod/patch-deployment-collector.yaml",
		"tweets/k8s/overlays/prod/patch-secretstore-collector.yaml",
		"tweets/k8s/overlays/prod/patch-serviceaccount-collector.yaml",
		"tweets/k8s/overlays/prod/poddisruptionbudget-collector.yaml",
		"tweets/rendered/dev/deployment-collector.yaml",
		"tweets/rendered/dev/externalsecret-collector.yaml",
		"tweets/rendered/dev/namespace-tweets-dev.yaml",
		"tweets/rendered/dev/networkpolicy-allow-collector.yaml",
		"tweets/rendered/dev/networkpolicy-default-deny.yaml",
		"tweets/rendered/dev/secretstore-collector.yaml",
		"tweets/rendered/dev/serviceaccount-collector.yaml",
		"tweets/rendered/prod/deployment-collector.yaml",
		"tweets/rendered/prod/externalsecret-collector.yaml",
		"tweets/rendered/prod/namespace-tweets-prod.yaml",
		"tweets/rendered/prod/networkpolicy-allow-collector.yaml",
		"tweets/rendered/prod/networkpolicy-default-deny.yaml",
		"tweets/rendered/prod/poddisruptionbudget-collector.yaml",
		"tweets/rendered/prod/secretstore-collector.yaml",
		"tweets/rendered/prod/serviceaccount-collector.yaml",
	}
	if got := sortedPaths(files); !slices.Equal(got, want) {
		t.Errorf("files:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestEveryFileStartsWithTheMarker(t *testing.T) {
	spec := fixture.Tweets()
	header := targets.HashComment(spec)
	for p, data := range generate(t, spec) {
		if !bytes.HasPrefix(data, []byte(header)) {
			t.Errorf("%s does not start with %q", p, header)
		}
		if !bytes.HasSuffix(data, []byte("\n")) || bytes.Contains(data, []byte("\r")) {
			t.Errorf("%s: want LF line endings and a final newline", p)
		}
	}
}

func TestGenerateIsDeterministic(t *testing.T) {
	for name, spec := range specs() {
		first := generate(t, spec)
		for range 5 {
			again := generate(t, spec)
			if !reflect.DeepEqual(first, again) {
				t.Fatalf("%s: two runs differ", name)
			}
		}
	}
}

// TestObjectsDecodeStrictly reads every generated file back into its Go
// type with unknown fields rejected: objects into their k8s.io/api types
// (patches too, which are partial objects), kustomizations into kustomize's
// own type, and custom kinds against their CRDs.
func TestObjectsDecodeStrictly(t *testing.T) {
	crds := gitopsCRDs(t)
	for name, spec := range specs() {
		files := generate(t, spec)
		for _, p := range sortedPaths(files) {
			obj := doc(t, p, files[p])
			if path.Base(p) == "kustomization.yaml" {
				var k types.Kustomization
				if err := manifest.Strict(obj, &k); err != nil {
					t.Errorf("%s: %s: %v", name, p, err)
				}
				continue
			}
			gvk := schema.FromAPIVersionAndKind(obj["apiVersion"].(string), obj["kind"].(string))
			typed, err := scheme.Scheme.New(gvk)
			if err != nil {
				if crds == nil || strings.HasPrefix(path.Base(p), "patch-") {
					continue
				}
				if err := crds.Validate(obj); err != nil {
					t.Errorf("%s: %s:\n%v", name, p, err)
				}
				continue
			}
			if strings.HasPrefix(path.Base(p), "patch-") {
				obj = withoutDeletions(obj).(map[string]any)
			}
			if err := manifest.Strict(obj, typed); err != nil {
				t.Errorf("%s: %s: %v", name, p, err)
			}
		}
	}
}

// withoutDeletions drops the list elements of a strategic merge patch
// that delete an element ({name: X, $patch: delete}): they are directives,
// not fields of the type.
func withoutDeletions(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range v {
			out[k] = withoutDeletions(e)
		}
		return out
	case []any:
		var out []any
		for _, e := range v {
			if m, ok := e.(map[string]any); ok && m["$patch"] == "delete" {
				continue
			}
			out = append(out, withoutDeletions(e))
		}
		return out
	}
	return v
}

func gitopsCRDs(t *testing.T) crdcheck.Set {
	dir := filepath.Join("..", "..", "..", "shared", "gitops-crds")
	if _, err := os.Stat(dir); err != nil {
		t.Logf("../shared/gitops-crds not found, custom kinds not validated: %v", err)
		return nil
	}
	crds, err := crdcheck.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return crds
}

func TestExternalSecretsMatchTheirCRDs(t *testing.T) {
	crds := gitopsCRDs(t)
	if crds == nil {
		t.Skip("../shared/gitops-crds not found: cannot validate ExternalSecret and SecretStore")
	}
	seen := map[string]int{}
	for name, spec := range specs() {
		files := generate(t, spec)
		for _, p := range sortedPaths(files) {
			obj := doc(t, p, files[p])
			kind := obj["kind"].(string)
			if kind != "ExternalSecret" && kind != "SecretStore" || strings.HasPrefix(path.Base(p), "patch-") {
				continue
			}
			seen[kind]++
			if err := crds.Validate(obj); err != nil {
				t.Errorf("%s: %s:\n%v", name, p, err)
			}
		}
	}
	if seen["ExternalSecret"] == 0 || seen["SecretStore"] == 0 {
		t.Errorf("validated %v; want both kinds", seen)
	}
}

// TestPodsMeetRestrictedPodSecurity runs the Pod Security admission
// controller's own checks on every pod template, base and rendered.
func TestPodsMeetRestrictedPodSecurity(t *testing.T) {
	evaluator, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		t.Fatal(err)
	}
	restricted := api.LevelVersion{Level: api.LevelRestricted, Version: api.LatestVersion()}
	n := 0
	for name, spec := range specs() {
		files := generate(t, spec)
		for _, p := range sortedPaths(files) {
			obj := doc(t, p, files[p])
			if obj["kind"] != "Deployment" || strings.HasPrefix(path.Base(p), "patch-") {
				continue
			}
			var d appsv1.Deployment
			if err := manifest.Strict(obj, &d); err != nil {
				t.Fatal(err)
			}
			n++
			tmpl := d.Spec.Template
			for _, r := range evaluator.EvaluatePod(restricted, &tmpl.ObjectMeta, &tmpl.Spec) {
				if !r.Allowed {
					t.Errorf("%s: %s: %s: %s", name, p, r.ForbiddenReason, r.ForbiddenDetail)
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no Deployment checked")
	}
}

// rendered returns an environment's rendered objects keyed by kind/name.
func rendered(t *testing.T, files map[string][]byte, pipeline, env string) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	prefix := pipeline + "/rendered/" + env + "/"
	for p, data := range files {
		if !strings.HasPrefix(p, prefix) {
			continue
		}
		obj := doc(t, p, data)
		meta := obj["metadata"].(map[string]any)
		id := obj["kind"].(string) + "/" + meta["name"].(string)
		if want := prefix + strings.ToLower(obj["kind"].(string)) + "-" + meta["name"].(string) + ".yaml"; p != want {
			t.Errorf("%s holds %s; want it in %s", p, id, want)
		}
		out[id] = obj
	}
	if len(out) == 0 {
		t.Fatalf("nothing rendered for %s", env)
	}
	return out
}

// TestKubectlKustomizeAgrees checks that a user running `kubectl
// kustomize` on a generated overlay gets exactly the rendered files.
func TestKubectlKustomizeAgrees(t *testing.T) {
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skipf("kubectl not found, cannot compare with kubectl kustomize: %v", err)
	}
	all := specs()
	all["airflow-subjects"] = airflowSubjects()
	for name, spec := range all {
		files := generate(t, spec)
		dir := t.TempDir()
		for p, data := range files {
			f := filepath.Join(dir, filepath.FromSlash(p))
			if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(f, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		for _, p := range spec.Envs {
			overlay := filepath.Join(dir, spec.Name, "k8s", "overlays", p.Env)
			out, err := exec.Command(kubectl, "kustomize", overlay).Output()
			if err != nil {
				t.Fatalf("%s: kubectl kustomize %s: %v\n%s", name, p.Env, err, stderr(err))
			}
			docs, err := manifest.Decode(out)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]map[string]any{}
			for _, d := range docs {
				got[d["kind"].(string)+"/"+d["metadata"].(map[string]any)["name"].(string)] = d
			}
			want := rendered(t, files, spec.Name, p.Env)
			if !reflect.DeepEqual(got, want) {
				for id := range want {
					if !reflect.DeepEqual(got[id], want[id]) {
						g, _ := manifest.Marshal(got[id])
						w, _ := manifest.Marshal(want[id])
						t.Errorf("%s/%s: %s: kubectl kustomize gives\n%s\nrendered file holds\n%s", name, p.Env, id, g, w)
					}
				}
				for id := range got {
					if _, ok := want[id]; !ok {
						t.Errorf("%s/%s: kubectl kustomize also gives %s", name, p.Env, id)
					}
				}
			}
		}
	}
}

func stderr(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}

// TestOverlaysReproduceEachEnvironment checks the base/overlay split loses
// nothing: rendering an environment's overlay gives the objects built for
// that environment directly, with only what the overlay's transformers add
// (namespace, environment labels, image references).
func TestOverlaysReproduceEachEnvironment(t *testing.T) {
	for name, spec := range specs() {
		files := generate(t, spec)
		for _, p := range spec.Envs {
			objs, err := objects(spec, p)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]map[string]any{}
			for _, o := range objs {
				want[o.id()] = expectedRendered(t, p, o)
			}
			got := rendered(t, files, spec.Name, p.Env)
			// The Namespace is renamed by the overlay.
			if ns, ok := got["Namespace/"+p.Namespace]; ok {
				delete(got, "Namespace/"+p.Namespace)
				got["Namespace/"+spec.Name] = ns
			}
			for id := range want {
				if !reflect.DeepEqual(got[id], want[id]) {
					g, _ := manifest.Marshal(got[id])
					w, _ := manifest.Marshal(want[id])
					t.Errorf("%s/%s: %s renders as\n%s\nwant\n%s", name, p.Env, id, g, w)
				}
			}
			for id := range got {
				if _, ok := want[id]; !ok {
					t.Errorf("%s/%s: unexpected %s", name, p.Env, id)
				}
			}
		}
	}
}

// expectedRendered applies to o what the environment's overlay
// transformers should: namespace, labels, images.
func expectedRendered(t *testing.T, p *pipec.Pipeline, o *object) map[string]any {
	t.Helper()
	b, err := manifest.Marshal(o.data)
	if err != nil {
		t.Fatal(err)
	}
	obj := doc(t, o.id(), b)
	meta := obj["metadata"].(map[string]any)
	if o.kind == "Namespace" {
		meta["name"] = p.Namespace
	} else {
		meta["namespace"] = p.Namespace
	}
	addLabels := func(m map[string]any) {
		labels, _ := m["labels"].(map[string]any)
		if labels == nil {
			labels = map[string]any{}
			m["labels"] = labels
		}
		for k, v := range envLabels(p) {
			labels[k] = v
		}
	}
	addLabels(meta)
	if o.kind == "Deployment" {
		tmpl := obj["spec"].(map[string]any)["template"].(map[string]any)
		addLabels(tmpl["metadata"].(map[string]any))
		for _, c := range tmpl["spec"].(map[string]any)["containers"].([]any) {
			c := c.(map[string]any)
			c["image"] = p.Images[c["image"].(string)].Ref
		}
	}
	return obj
}

func renderedDeployment(t *testing.T, files map[string][]byte, env string) *appsv1.Deployment {
	t.Helper()
	var d appsv1.Deployment
	obj := rendered(t, files, "tweets", env)["Deployment/collector"]
	if err := manifest.Strict(obj, &d); err != nil {
		t.Fatal(err)
	}
	return &d
}

func TestReplicasAndDisruptionBudgets(t *testing.T) {
	files := generate(t, fixture.Tweets())
	for env, want := range map[string]int32{"dev": 1, "prod": 3} {
		d := renderedDeployment(t, files, env)
		if *d.Spec.Replicas != want {
			t.Errorf("%s: %d replicas, want %d", env, *d.Spec.Replicas, want)
		}
		_, hasPDB := rendered(t, files, "tweets", env)["PodDisruptionBudget/collector"]
		if hasPDB != (want >= 2) {
			t.Errorf("%s: PodDisruptionBudget present = %v with %d replicas", env, hasPDB, want)
		}
	}
}

func TestEnvironmentSpecificValues(t *testing.T) {
	spec := fixture.Tweets()
	files := generate(t, spec)
	for _, p := range spec.Envs {
		objs := rendered(t, files, "tweets", p.Env)
		if _, ok := objs["Namespace/"+p.Namespace]; !ok {
			t.Errorf("%s: no Namespace %s", p.Env, p.Namespace)
		}
		for id, obj := range objs {
			meta := obj["metadata"].(map[string]any)
			if obj["kind"] != "Namespace" && meta["namespace"] != p.Namespace {
				t.Errorf("%s: %s in namespace %v, want %s", p.Env, id, meta["namespace"], p.Namespace)
			}
			if labels := meta["labels"].(map[string]any); labels["environment"] != p.Env {
				t.Errorf("%s: %s labelled environment=%v", p.Env, id, labels["environment"])
			}
		}
		var sa corev1.ServiceAccount
		if err := manifest.Strict(objs["ServiceAccount/collector"], &sa); err != nil {
			t.Fatal(err)
		}
		gsa := sa.Annotations["iam.gke.io/gcp-service-account"]
		if gsa != p.Services["collector"].GoogleServiceAccount || !strings.HasSuffix(gsa, "@"+p.Project+".iam.gserviceaccount.com") {
			t.Errorf("%s: ServiceAccount impersonates %q, want the service's account in %s", p.Env, gsa, p.Project)
		}
		if *sa.AutomountServiceAccountToken {
			t.Errorf("%s: ServiceAccount token automounted", p.Env)
		}
		d := renderedDeployment(t, files, p.Env)
		c := d.Spec.Template.Spec.Containers[0]
		if c.Image != p.Images["collector"].Ref {
			t.Errorf("%s: image %s, want %s", p.Env, c.Image, p.Images["collector"].Ref)
		}
		if !slices.Contains(c.Env, corev1.EnvVar{Name: "GOOGLE_CLOUD_PROJECT", Value: p.Project}) {
			t.Errorf("%s: env %v lacks GOOGLE_CLOUD_PROJECT=%s", p.Env, c.Env, p.Project)
		}
		if d.Spec.Selector.MatchLabels["environment"] != "" {
			t.Errorf("%s: environment label in the immutable selector", p.Env)
		}
		store := objs["SecretStore/collector"]["spec"].(map[string]any)["provider"].(map[string]any)["gcpsm"].(map[string]any)
		if store["projectID"] != p.Project {
			t.Errorf("%s: SecretStore reads project %v", p.Env, store["projectID"])
		}
	}
}

// TestImageDigest pins the seam `pipec lock` uses: a Ref with a digest
// deploys by digest, never by tag.
func TestImageDigest(t *testing.T) {
	spec := tweetsVaried()
	files := generate(t, spec)
	k := doc(t, "prod kustomization", files["tweets/k8s/overlays/prod/kustomization.yaml"])
	img := k["images"].([]any)[0].(map[string]any)
	if img["digest"] != "sha256:"+strings.Repeat("ab", 32) || img["newTag"] != nil {
		t.Errorf("prod images entry %v, want the digest and no tag", img)
	}
	d := renderedDeployment(t, files, "prod")
	if want := spec.Envs[1].Images["collector"].Ref; d.Spec.Template.Spec.Containers[0].Image != want {
		t.Errorf("prod runs %s, want %s", d.Spec.Template.Spec.Containers[0].Image, want)
	}
}

// TestSecretNamesOnlyInRemoteRefs: a secret env var's Secret Manager name
// is written only where External Secrets reads it, and pods read the value
// from the synced Secret; pipec never writes a Secret object.
func TestSecretNamesOnlyInRemoteRefs(t *testing.T) {
	spec := tweetsVaried()
	files := generate(t, spec)
	secrets := []string{"twitter-bearer-token", "external-api-key"}
	found := map[string]int{}
	for _, p := range sortedPaths(files) {
		obj := doc(t, p, files[p])
		if obj["kind"] == "Secret" {
			t.Errorf("%s: pipec must not write Secrets", p)
		}
		walk(obj, "", func(at string, v string) {
			for _, s := range secrets {
				if strings.Contains(v, s) {
					found[s]++
					if obj["kind"] != "ExternalSecret" || !strings.HasSuffix(at, ".remoteRef.key") {
						t.Errorf("%s: secret name %s at %s", p, s, at)
					}
				}
			}
		})
	}
	for _, s := range secrets {
		if found[s] == 0 {
			t.Errorf("secret %s referenced nowhere", s)
		}
	}
	d := renderedDeployment(t, files, "prod")
	for _, e := range d.Spec.Template.Spec.Containers[0].Env {
		if e.Name == "TWITTER_BEARER_TOKEN" || e.Name == "API_KEY" {
			if e.Value != "" || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil ||
				e.ValueFrom.SecretKeyRef.Name != "collector-secrets" || e.ValueFrom.SecretKeyRef.Key != e.Name {
				t.Errorf("env %s = %+v, want a secretKeyRef into collector-secrets", e.Name, e)
			}
		}
	}
}

// walk calls fn with the path and value of every string in v, map keys
// included.
func walk(v any, at string, fn func(at, v string)) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			fn(at+"."+k, k)
			walk(e, at+"."+k, fn)
		}
	case []any:
		for _, e := range v {
			walk(e, at+"[]", fn)
		}
	case string:
		fn(at, v)
	}
}

func TestNetworkPolicies(t *testing.T) {
	files := generate(t, tweetsVaried())
	objs := rendered(t, files, "tweets", "prod")
	deny := objs["NetworkPolicy/default-deny"]["spec"].(map[string]any)
	if len(deny["podSelector"].(map[string]any)) != 0 || !reflect.DeepEqual(deny["policyTypes"], []any{"Ingress", "Egress"}) {
		t.Errorf("default-deny spec %v", deny)
	}
	// archiver listens on nothing: egress only. collector has port 8080
	// in prod: ingress on that port only.
	archiver := objs["NetworkPolicy/allow-archiver"]["spec"].(map[string]any)
	if archiver["ingress"] != nil || !reflect.DeepEqual(archiver["policyTypes"], []any{"Egress"}) {
		t.Errorf("archiver policy allows ingress: %v", archiver)
	}
	collector := objs["NetworkPolicy/allow-collector"]["spec"].(map[string]any)
	ingress, _ := manifest.Marshal(map[string]any{"ingress": collector["ingress"]})
	if want := "ingress:\n- ports:\n  - port: 8080\n    protocol: TCP\n"; string(ingress) != want {
		t.Errorf("collector ingress\n%s\nwant\n%s", ingress, want)
	}
}

// TestGolden keeps a few files under review in testdata/: go test -update
// rewrites them.
// TestDAGWorkloads checks what a DAG's task pods get: their own
// ServiceAccount mapped to the DAG's Google service account, their own
// egress policy, one Secret keyed by Secret Manager name (what the Airflow
// target mounts), and a Role that lets only Airflow's service accounts
// start pods in the namespace.
func TestDAGWorkloads(t *testing.T) {
	files := generate(t, tweetsVaried())
	r := rendered(t, files, "tweets", "prod")
	sa := r["ServiceAccount/dag-tweet-stats"]
	if sa == nil {
		t.Fatalf("no ServiceAccount for the DAG; rendered: %v", sortedKeys(r))
	}
	annotations := sa["metadata"].(map[string]any)["annotations"].(map[string]any)
	if got := annotations["iam.gke.io/gcp-service-account"]; got != "tweets-dag-tweet-stats@tweets-prod-4821.iam.gserviceaccount.com" {
		t.Errorf("DAG ServiceAccount maps to %v", got)
	}
	es := r["ExternalSecret/dag-tweet-stats"]
	if es == nil {
		t.Fatal("no ExternalSecret for the DAG")
	}
	spec := es["spec"].(map[string]any)
	if got := spec["target"].(map[string]any)["name"]; got != "dag-tweet-stats-secrets" {
		t.Errorf("DAG secrets land in %v, the Airflow target reads dag-tweet-stats-secrets", got)
	}
	data := spec["data"].([]any)
	if len(data) != 1 || data[0].(map[string]any)["secretKey"] != "stats-token" {
		t.Errorf("DAG secret data = %v, want one entry keyed by the Secret Manager name", data)
	}
	if r["NetworkPolicy/allow-dag-tweet-stats"] == nil {
		t.Error("no NetworkPolicy lets the DAG's pods reach DNS, the metadata server and HTTPS")
	}
	rb := r["RoleBinding/airflow-pod-launcher"]
	if rb == nil || r["Role/airflow-pod-launcher"] == nil {
		t.Fatal("no Role and RoleBinding let Airflow start task pods")
	}
	var subjects []string
	for _, s := range rb["subjects"].([]any) {
		m := s.(map[string]any)
		subjects = append(subjects, m["namespace"].(string)+"/"+m["name"].(string))
	}
	if want := []string{"airflow/airflow-worker", "airflow/airflow-scheduler"}; !slices.Equal(subjects, want) {
		t.Errorf("RoleBinding subjects = %v, want %v", subjects, want)
	}
	if _, ok := rendered(t, generate(t, fixture.Tweets()), "tweets", "prod")["Role/airflow-pod-launcher"]; ok {
		t.Error("a pipeline without DAGs got an Airflow Role")
	}
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

func TestGolden(t *testing.T) {
	files := generate(t, fixture.Tweets())
	for golden, p := range map[string]string{
		"prod-kustomization.yaml":                 "tweets/k8s/overlays/prod/kustomization.yaml",
		"prod-patch-deployment-collector.yaml":    "tweets/k8s/overlays/prod/patch-deployment-collector.yaml",
		"rendered-prod-deployment-collector.yaml": "tweets/rendered/prod/deployment-collector.yaml",
	} {
		file := filepath.Join("testdata", golden)
		if *update {
			if err := os.WriteFile(file, files[p], 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(file)
		if err != nil {
			t.Fatalf("%v (go test -update writes it)", err)
		}
		if !bytes.Equal(files[p], want) {
			t.Errorf("%s differs from %s (go test -update rewrites it):\n%s", p, file, files[p])
		}
	}
}

func TestNoEnvironmentsNoFiles(t *testing.T) {
	files, err := Target{}.Generate(&pipec.Spec{Name: "empty", Dir: "pipelines/empty"})
	if err != nil || len(files) != 0 {
		t.Errorf("got %d files, %v", len(files), err)
	}
}
