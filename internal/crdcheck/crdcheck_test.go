package crdcheck

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipec/pipec/internal/manifest"
)

// The CRDs are kept beside the repository, not in it (they are large and
// belong to their projects); a fresh clone without them skips these tests.
func sharedDir(t *testing.T, name string) string {
	t.Helper()
	dir := filepath.Join("..", "..", "..", "shared", name)
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("../shared/%s not found: %v", name, err)
	}
	return dir
}

func loadCRD(t *testing.T, dir, file string) *CRD {
	t.Helper()
	crd, err := Load(filepath.Join(sharedDir(t, dir), file))
	if err != nil {
		t.Fatal(err)
	}
	return crd
}

func decode(t *testing.T, y string) map[string]any {
	t.Helper()
	docs, err := manifest.Decode([]byte(y))
	if err != nil || len(docs) != 1 {
		t.Fatalf("bad test YAML (%d docs): %v", len(docs), err)
	}
	return docs[0]
}

const secretStore = `
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata:
  name: collector
  namespace: tweets-dev
spec:
  provider:
    gcpsm:
      projectID: tweets-dev-4821
      auth:
        workloadIdentity:
          serviceAccountRef:
            name: collector
`

func TestValidSecretStore(t *testing.T) {
	crd := loadCRD(t, "gitops-crds", "external-secrets.io_secretstores.yaml")
	if err := crd.Validate(decode(t, secretStore)); err != nil {
		t.Fatal(err)
	}
}

func TestValidateDoesNotModifyTheObject(t *testing.T) {
	crd := loadCRD(t, "gitops-crds", "external-secrets.io_secretstores.yaml")
	obj := decode(t, secretStore+"  extra: 1\n")
	before, _ := manifest.Marshal(obj)
	_ = crd.Validate(obj)
	after, _ := manifest.Marshal(obj)
	if string(before) != string(after) {
		t.Errorf("object changed by validation:\n%s\n---\n%s", before, after)
	}
}

func TestInvalidSecretStores(t *testing.T) {
	crd := loadCRD(t, "gitops-crds", "external-secrets.io_secretstores.yaml")
	for _, tc := range []struct {
		name, old, new, want string
	}{
		{"unknown field", "projectID:", "projectId:", "spec.provider.gcpsm.projectId: Forbidden: unknown field"},
		{"unknown metadata field", "  namespace: tweets-dev\n", "  namespace: tweets-dev\n  labelz: {}\n", "metadata.labelz: Forbidden: unknown field"},
		{"required", "            name: collector\n", "            audiences: [x]\n", "spec.provider.gcpsm.auth.workloadIdentity.serviceAccountRef.name: Required value"},
		{"pattern", "            name: collector", "            name: Collector_1", "spec.provider.gcpsm.auth.workloadIdentity.serviceAccountRef.name: Invalid value"},
		{"type", "projectID: tweets-dev-4821", "projectID: 4821", "spec.provider.gcpsm.projectID: Invalid value: \"integer\""},
		{"maxProperties", "    gcpsm:", "    fake: {data: []}\n    gcpsm:", "spec.provider: Too many"},
		{"CEL rule", "    gcpsm:\n      projectID: tweets-dev-4821\n      auth:\n        workloadIdentity:\n          serviceAccountRef:\n            name: collector\n",
			"    crd:\n      resource: {group: g, version: v1, kind: K}\n", "one of auth or authRef is required"},
		{"metadata name", "  name: collector", "  name: Collector", "metadata.name: Invalid value: \"Collector\""},
		{"served version", "external-secrets.io/v1", "external-secrets.io/v1beta1", "apiVersion: Unsupported value"},
		{"kind", "kind: SecretStore", "kind: ClusterSecretStore", "kind: Invalid value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(secretStore, tc.old) {
				t.Fatalf("test YAML lacks %q", tc.old)
			}
			y := strings.Replace(secretStore, tc.old, tc.new, 1)
			err := crd.Validate(decode(t, y))
			if err == nil {
				t.Fatalf("accepted:\n%s", y)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error\n%v\ndoes not mention %q", err, tc.want)
			}
		})
	}
}

func TestNamespaceMayComeFromKustomize(t *testing.T) {
	crd := loadCRD(t, "gitops-crds", "external-secrets.io_secretstores.yaml")
	if err := crd.Validate(decode(t, strings.Replace(secretStore, "  namespace: tweets-dev\n", "", 1))); err != nil {
		t.Fatal(err)
	}
}

func TestOneOf(t *testing.T) {
	// Config Connector expresses "exactly one of" with oneOf rather than CEL.
	crd := loadCRD(t, "kcc-crds", "apiextensions.k8s.io_v1_customresourcedefinition_iampolicymembers.iam.cnrm.cloud.google.com.yaml")
	const member = `
apiVersion: iam.cnrm.cloud.google.com/v1beta1
kind: IAMPolicyMember
metadata:
  name: collector-publisher
spec:
  member: serviceAccount:tweets-collector@tweets-dev-4821.iam.gserviceaccount.com
  role: roles/pubsub.publisher
  resourceRef:
    kind: PubSubTopic
    name: tweets
`
	if err := crd.Validate(decode(t, member)); err != nil {
		t.Fatal(err)
	}
	both := strings.Replace(member, "  role:", "  memberFrom:\n    serviceAccountRef:\n      name: collector\n  role:", 1)
	err := crd.Validate(decode(t, both))
	if err == nil || !strings.Contains(err.Error(), "oneOf") {
		t.Errorf("member and memberFrom together: got %v, want a oneOf error", err)
	}
}

func TestLoadDirAndSet(t *testing.T) {
	set, err := LoadDir(sharedDir(t, "gitops-crds"))
	if err != nil {
		t.Fatal(err)
	}
	if err := set.Validate(decode(t, secretStore)); err != nil {
		t.Fatal(err)
	}
	err = set.Validate(map[string]any{"apiVersion": "v1", "kind": "ConfigMap"})
	if err == nil || !strings.Contains(err.Error(), "no CustomResourceDefinition for v1 ConfigMap") {
		t.Errorf("got %v", err)
	}
}

func TestParseRejectsNonCRDs(t *testing.T) {
	for _, y := range []string{
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
		"apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nspec:\n  grop: x\n",
	} {
		if _, err := Parse([]byte(y)); err == nil {
			t.Errorf("accepted %q", y)
		}
	}
}

func TestExternalSecretEnumsAndRequiredFields(t *testing.T) {
	crd := loadCRD(t, "gitops-crds", "external-secrets.io_externalsecrets.yaml")
	const es = `
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata:
  name: collector
spec:
  secretStoreRef: {kind: SecretStore, name: collector}
  target: {name: collector-secrets, creationPolicy: Owner}
  data:
  - secretKey: TWITTER_BEARER_TOKEN
    remoteRef: {key: twitter-bearer-token}
`
	if err := crd.Validate(decode(t, es)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ old, new, want string }{
		{"kind: SecretStore", "kind: Secretstore", `spec.secretStoreRef.kind: Unsupported value: "Secretstore"`},
		{"creationPolicy: Owner", "creationPolicy: Owned", `spec.target.creationPolicy: Unsupported value: "Owned"`},
		{"{key: twitter-bearer-token}", "{property: x}", "spec.data[0].remoteRef.key: Required value"},
		{"secretKey: TWITTER_BEARER_TOKEN", "secretKey: TWITTER BEARER TOKEN", "spec.data[0].secretKey: Invalid value"},
	} {
		err := crd.Validate(decode(t, strings.Replace(es, tc.old, tc.new, 1)))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.new, err, tc.want)
		}
	}
}
