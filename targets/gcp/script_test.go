package gcp

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pipec/pipec/schema"
)

// stub is a fake gcloud and bq on PATH that record every call, argument by
// argument, so a test sees exactly what bash passed after quoting. A
// describe or show fails (the resource does not exist) unless exists is
// set; every other command succeeds.
const stub = `#!/usr/bin/env bash
{
  printf '%s\0' "$(basename "$0")" "$@"
  for a in "$@"; do
    case $a in --schema=* | --lifecycle-file=*) printf 'FILE:%s\0' "$(cat "${a#*=}")" ;; esac
  done
  printf '\036'
} >>"$STUB_LOG"
case " $* " in
  *" describe "* | *" show "*) [[ -n ${STUB_EXISTS-} ]] ;;
esac
`

type call []string

func (c call) String() string { return strings.Join(c, " ") }

// has reports whether the call holds all these arguments in this order.
func (c call) has(args ...string) bool {
	i := 0
	for _, a := range c {
		if i < len(args) && a == args[i] {
			i++
		}
	}
	return i == len(args)
}

// runScript writes apply.sh for spec's first environment and runs it with
// bash and the stubs, returning what it printed and the calls it made.
func runScript(t *testing.T, spec *schema.Spec, env []string, args ...string) (stdout, stderr string, calls []call, err error) {
	t.Helper()
	bash, lookErr := exec.LookPath("bash")
	if lookErr != nil {
		t.Skip("bash not found")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"gcloud", "bq"} {
		if err := os.WriteFile(filepath.Join(bin, name), []byte(stub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	var sh []byte
	for _, f := range generate(t, spec) {
		if f.Env == spec.Envs[0].Env && filepath.Base(f.Path) == "apply.sh" {
			sh = f.Data
		}
	}
	script := filepath.Join(dir, "apply.sh")
	// Written 0644, as the writer creates it: run with bash, not ./apply.sh.
	if err := os.WriteFile(script, sh, 0o644); err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(dir, "calls")
	cmd := exec.Command(bash, append([]string{script}, args...)...)
	cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "STUB_LOG="+log)
	cmd.Env = append(cmd.Env, env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	data, readErr := os.ReadFile(log)
	if readErr != nil && !errors.Is(readErr, os.ErrNotExist) {
		t.Fatal(readErr)
	}
	for _, rec := range strings.Split(string(data), "\x1e") {
		if rec != "" {
			calls = append(calls, strings.Split(strings.TrimSuffix(rec, "\x00"), "\x00"))
		}
	}
	return out.String(), errOut.String(), calls, err
}

func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

func TestScriptArguments(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--help"}, 0, "Usage: bash apply.sh [--dry-run] [--only GROUP]..."},
		{[]string{"--only", "dns"}, 2, "apply.sh: unknown group: dns"},
		{[]string{"--only=*"}, 2, "apply.sh: unknown group: *"},
		{[]string{"--only"}, 2, "apply.sh: --only needs a group"},
		{[]string{"--force"}, 2, "apply.sh: unknown argument: --force"},
	} {
		stdout, stderr, calls, err := runScript(t, clicks(), nil, c.args...)
		if exitCode(err) != c.code || !strings.Contains(stdout+stderr, c.want) || len(calls) > 0 {
			t.Errorf("apply.sh %q: exit %d, %d calls, output:\n%s%s\nwant exit %d and %q", c.args, exitCode(err), len(calls), stdout, stderr, c.code, c.want)
		}
	}
}

// TestScriptDryRun: a dry run reads (describe, show) and changes nothing,
// and prints every command it would run.
func TestScriptDryRun(t *testing.T) {
	stdout, stderr, calls, err := runScript(t, clicks(), nil, "--dry-run")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	for _, c := range calls {
		if !c.has("describe") && !c.has("show") {
			t.Errorf("dry run ran %s", c)
		}
	}
	for _, want := range []string{
		// printf %q, which also escapes commas: what is printed can be
		// pasted back into bash.
		"+ gcloud pubsub topics create Audit_Log.v2 --project=clicks-prod-7731 --labels=managed-by=pipec\\,team=growth\n",
		`+ gcloud pubsub subscriptions create clicks-worker --project=clicks-prod-7731 --topic=clicks --message-filter=attributes.kind\ =\ \"click\"\ AND\ NOT\ attributes:note_\'x\'`,
		"+ gcloud storage buckets create gs://clicks-archive-7731 ",
		"+ bq --project_id=clicks-prod-7731 --location=EU mk --dataset --description=Clicks\\,\\ as\\ they\\ \\'arrive\\'. ",
		"+ gcloud iam service-accounts create clicks-dag-daily-rollup ",
		"+ gcloud secrets add-iam-policy-binding warehouse-password --project=clicks-prod-7731 --member=serviceAccount:clicks-dag-daily-rollup@clicks-prod-7731.iam.gserviceaccount.com --role=roles/secretmanager.secretAccessor --format=none\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("dry run does not print %q:\n%s", want, stdout)
		}
	}
}

// TestScriptCalls runs apply.sh against the stubs as if nothing existed
// yet, and checks the exact arguments each tool received: values arrive
// byte for byte, whatever they hold, and the project is always explicit.
func TestScriptCalls(t *testing.T) {
	spec := clicks()
	_, stderr, calls, err := runScript(t, spec, nil)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	find := func(args ...string) call {
		t.Helper()
		for _, c := range calls {
			if c.has(args...) {
				return c
			}
		}
		t.Fatalf("no call with %q among:\n%s", args, calls)
		return nil
	}
	for _, c := range calls {
		explicit := slices.Contains(c, "--project=clicks-prod-7731")
		if c[0] == "bq" {
			explicit = slices.Contains(c, "--project_id=clicks-prod-7731")
		}
		if !explicit {
			t.Errorf("no explicit project: %s", c)
		}
	}
	find("gcloud", "pubsub", "subscriptions", "create", "clicks-worker",
		"--topic=clicks", "--message-filter="+spec.Envs[0].Subscriptions["clicks-worker"].Filter,
		"--ack-deadline=60", "--message-retention-duration=2d", "--expiration-period=never",
		"--min-retry-delay=5s", "--max-retry-delay=2m", "--dead-letter-topic=clicks-failed", "--max-delivery-attempts=7")
	find("gcloud", "pubsub", "subscriptions", "create", "clicks-ordered", "--enable-message-ordering",
		"--retain-acked-messages", "--enable-exactly-once-delivery", "--expiration-period=2d")
	find("gcloud", "pubsub", "subscriptions", "create", "clicks-push", "--push-endpoint=https://hooks.example.com/clicks?x=1&y=2")
	find("gcloud", "pubsub", "subscriptions", "create", "clicks-to-bq", "--bigquery-table=clicks-prod-7731:web_events.Raw_Clicks", "--write-metadata")
	find("gcloud", "pubsub", "subscriptions", "create", "clicks-to-gcs", "--cloud-storage-bucket=clicks-archive-7731",
		"--cloud-storage-max-duration=5m", "--cloud-storage-file-prefix=raw/")
	find("gcloud", "pubsub", "topics", "create", "clicks", "--labels=managed-by=pipec,team=growth,tier=gold", "--message-retention-duration=1d")
	find("bq", "--location=EU", "mk", "--dataset", "--description=Clicks, as they 'arrive'.", "clicks-prod-7731:web_events")
	table := find("bq", "mk", "--table", "--time_partitioning_type=HOUR", "--time_partitioning_field=publish_time",
		"--time_partitioning_expiration=7776000", "--clustering_fields=message_id", "clicks-prod-7731:web_events.Raw_Clicks")
	sch, _ := schemaJSON(spec.Envs[0].Datasets["web_events"].Tables["Raw_Clicks"])
	if !table.has("FILE:" + sch) {
		t.Errorf("bq mk read a schema file other than %s: %s", sch, table)
	}
	bucket := find("gcloud", "storage", "buckets", "create", "gs://clicks-archive-7731", "--location=europe-west1",
		"--default-storage-class=NEARLINE", "--uniform-bucket-level-access", "--public-access-prevention")
	if !bucket.has(`FILE:{"rule":[{"action":{"type":"Delete"},"condition":{"age":365}}]}`) {
		t.Errorf("bucket created without its lifecycle: %s", bucket)
	}
	// Buckets take labels only on update, which follows the creation.
	find("gcloud", "storage", "buckets", "update", "gs://clicks-archive-7731", "--update-labels=managed-by=pipec,team=growth")
	find("gcloud", "iam", "service-accounts", "add-iam-policy-binding", "clicks-worker@clicks-prod-7731.iam.gserviceaccount.com",
		"--member=serviceAccount:clicks-prod-7731.svc.id.goog[clicks/worker]", "--role=roles/iam.workloadIdentityUser")
	find("bq", "add-iam-policy-binding", "--member=serviceAccount:service-773100000042@gcp-sa-pubsub.iam.gserviceaccount.com",
		"--role=roles/bigquery.dataEditor", "clicks-prod-7731:web_events.Raw_Clicks")
	find("gcloud", "projects", "add-iam-policy-binding", "clicks-prod-7731", "--role=roles/bigquery.jobUser", "--condition=None")

	// Order: what a subscription needs exists before it is created.
	index := func(args ...string) int {
		return slices.IndexFunc(calls, func(c call) bool { return c.has(args...) })
	}
	for _, before := range [][]string{
		{"bq", "mk", "--table", "clicks-prod-7731:web_events.Raw_Clicks"},
		{"bq", "add-iam-policy-binding", "--role=roles/bigquery.dataEditor", "clicks-prod-7731:web_events.Raw_Clicks"},
		{"gcloud", "pubsub", "topics", "create", "clicks"},
	} {
		if i, j := index(before...), index("subscriptions", "create", "clicks-to-bq"); i < 0 || i > j {
			t.Errorf("%q runs after the subscription is created", before)
		}
	}
}

// TestScriptOnly: --only limits the run to one group.
func TestScriptOnly(t *testing.T) {
	_, stderr, calls, err := runScript(t, clicks(), nil, "--only", "pubsub")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if len(calls) == 0 {
		t.Fatal("no calls")
	}
	for _, c := range calls {
		if c[0] != "gcloud" || c[1] != "pubsub" || c.has("add-iam-policy-binding") {
			t.Errorf("--only pubsub ran %s", c)
		}
	}
}

// TestScriptUpdates: a resource that exists, but not as the spec wants
// (the stub describes everything as empty), is updated, never re-created.
func TestScriptUpdates(t *testing.T) {
	_, stderr, calls, err := runScript(t, clicks(), []string{"STUB_EXISTS=1"}, "--only", "pubsub")
	if exitCode(err) != 1 {
		t.Fatalf("exit %v, want 1\n%s", err, stderr)
	}
	var updated []string
	for _, c := range calls {
		if c.has("create") {
			t.Errorf("re-created: %s", c)
		}
		if c.has("update") {
			updated = append(updated, c[4])
		}
	}
	// The stub's empty description differs from every resource, but a
	// subscription whose fixed fields differ is not updated: apply.sh
	// stops at the first and says why.
	if !slices.Equal(updated, []string{"Audit_Log.v2", "clicks", "clicks-failed"}) {
		t.Errorf("updated %v", updated)
	}
	if !strings.Contains(stderr, "apply.sh: subscription Audit_Sub differs from the spec in fields that cannot change in place; delete it and run apply.sh again.") {
		t.Errorf("stderr:\n%s", stderr)
	}
}

// TestShellcheck runs shellcheck, where it is installed, on every script
// the tests generate; notes (a literal $ in a filter) are not findings.
func TestShellcheck(t *testing.T) {
	shellcheck, err := exec.LookPath("shellcheck")
	if err != nil {
		t.Skip("shellcheck not found")
	}
	dir := t.TempDir()
	args := []string{"--severity=warning", "--shell=bash"}
	for _, spec := range []*schema.Spec{tweets(), clicks(), emulatorSpec()} {
		for _, f := range generate(t, spec) {
			if filepath.Base(f.Path) == "apply.sh" {
				p := filepath.Join(dir, strings.ReplaceAll(f.Path, "/", "_"))
				if err := os.WriteFile(p, f.Data, 0o644); err != nil {
					t.Fatal(err)
				}
				args = append(args, p)
			}
		}
	}
	if out, err := exec.Command(shellcheck, args...).CombinedOutput(); err != nil {
		t.Errorf("shellcheck: %v\n%s", err, out)
	}
}

// oneLine's shortcut returns a sentence as it is only where splitting it
// into words and joining them again would give the same.
func FuzzOneLine(f *testing.F) {
	for _, s := range []string{"", "a", "a b", "a  b", " a", "a ", "a\tb", "a\nb", "a\u00a0b", "é b", "x\u0085y", "a b c d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := oneLine(s), strings.Join(strings.Fields(s), " "); got != want {
			t.Fatalf("oneLine(%q) = %q, want %q", s, got, want)
		}
	})
}
