package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipec/pipec/e2e/tools/internal/kubeapiserver"
)

// startFlags returns the flags that point the driver at testdata/bad with the
// cached kube-apiserver, and skips the test when something it needs is absent.
func startFlags(t *testing.T) []string {
	t.Helper()
	if testing.Short() {
		t.Skip("starts etcd and kube-apiserver")
	}
	var f flags
	if err := f.flagSet().Parse(nil); err != nil {
		t.Fatal(err)
	}
	if err := f.complete(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(f.etcd); err != nil {
		t.Skipf("no etcd (%v): apt-get install -y etcd-server", err)
	}
	bin, ok, err := kubeapiserver.Lookup(context.Background(), kubeapiserver.Options{ModuleDir: f.tools, CacheDir: f.cache})
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		t.Skip("kube-apiserver is not built yet: make e2e builds it")
	}
	return []string{"-root", filepath.Join("testdata", "bad"), "-kube-apiserver", bin.Path, "-shared", f.shared}
}

// TestRejections pins that the dry-run reports what a cluster refuses: a
// checker that accepts everything would keep make e2e green forever.
func TestRejections(t *testing.T) {
	args := startFlags(t)
	shared := args[len(args)-1]
	for _, dir := range []string{"kcc-crds", "gitops-crds"} {
		if _, err := os.Stat(filepath.Join(shared, dir)); err != nil {
			t.Skipf("%s absent: the CRD rejections cannot be checked", dir)
		}
	}
	var out bytes.Buffer
	err := run(context.Background(), args, &out)
	if !errors.Is(err, errRejected) {
		t.Fatalf("run: %v, want the rejections\n%s", err, &out)
	}
	for _, want := range []string{
		`rejected deploy/bad/rendered/dev/configmap-two-documents.yaml (document 2): not a full object: no kind`,
		`rejected deploy/bad/rendered/dev/deployment-privileged.yaml: Deployment bad-dev/privileged: Deployment.apps "privileged" is invalid: spec.template.spec.containers[0].securityContext.privileged: Forbidden`,
		`rejected deploy/bad/rendered/dev/deployment-unknown-field.yaml: Deployment bad-dev/unknown-field: Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.template.spec.containers[0].resorces"`,
		`rejected deploy/bad/rendered/dev/externalsecret-bad-enum.yaml: ExternalSecret bad-dev/bad-enum: ExternalSecret.external-secrets.io "bad-enum" is invalid: spec.target.creationPolicy: Unsupported value: "Sometimes"`,
		`rejected deploy/bad/rendered/dev/serviceaccount-duplicate-field.yaml: ServiceAccount bad-dev/duplicate-field: ServiceAccount in version "v1" cannot be handled as a ServiceAccount: strict decoding error: yaml: unmarshal errors:` + "\n" + `      line 7: key "automountServiceAccountToken" already set in map`,
		`rejected deploy/bad/rendered/dev/widget-unserved.yaml: Widget unserved: the server does not serve kind Widget in example.com/v1`,
		`rejected deploy/bad/gcp/dev/pubsubtopic-unknown-field.yaml: PubSubTopic unknown-field: PubSubTopic in version "v1beta1" cannot be handled as a PubSubTopic: strict decoding error: unknown field "spec.messageRetention"`,
		`rejected targets/kubernetes/testdata/service-bad-port.yaml: Service bad-port: Service "bad-port" is invalid: [spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive`,
		`warning deploy/bad/rendered/dev/deployment-not-restricted.yaml: Deployment bad-dev/not-restricted: would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != false`,
		"e2e: namespaces created: bad-dev\n",
		"e2e: objects found: rendered 9, krm 1, gitops 0, golden 1; golden documents that are not full objects: 2\n",
		"objects dry-run: 11, rejected: 8, with warnings: 1\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks\n  %s\n--- output:\n%s", want, &out)
		}
	}
}

// TestWithoutCRDs pins that a fresh clone, without ../shared, skips the
// custom kinds with a reason instead of failing on them.
func TestWithoutCRDs(t *testing.T) {
	args := startFlags(t)
	args[len(args)-1] = t.TempDir()
	var out bytes.Buffer
	err := run(context.Background(), args, &out)
	if !errors.Is(err, errRejected) {
		t.Fatalf("run: %v, want the rejections of the built-in kinds\n%s", err, &out)
	}
	for _, want := range []string{
		"e2e: skip: no CRDs in ",
		"skipped deploy/bad/gcp/dev/pubsubtopic-unknown-field.yaml: PubSubTopic unknown-field: the server does not serve kind PubSubTopic in pubsub.cnrm.cloud.google.com/v1beta1: its CRD may be in ",
		"skipped deploy/bad/rendered/dev/externalsecret-bad-enum.yaml: ExternalSecret bad-dev/bad-enum: the server does not serve kind ExternalSecret",
		"objects dry-run: 8, rejected: 5, skipped: 3, with warnings: 1\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks\n  %s\n--- output:\n%s", want, &out)
		}
	}
}
