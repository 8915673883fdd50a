package gcp

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/pipec/pipec/schema"
	"github.com/pipec/pipec/targets"
)

// prelude is apply.sh's fixed part: argument parsing and the helpers every
// resource block uses. It sticks to bash 3.2 (macOS) features.
const prelude = `set -euo pipefail
# gcloud must never stop to ask: a script has no one to answer.
export CLOUDSDK_CORE_DISABLE_PROMPTS=1

usage() {
  cat <<'EOF'
Usage: bash apply.sh [--dry-run] [--only GROUP]...

Creates or updates this environment's Google Cloud resources with gcloud
and bq: each one is described first, then created if it is absent or
updated if it differs from the spec. Running it again changes nothing.

  --dry-run     print the commands that would change something, and run
                none of them (resources are still described, which needs
                read access)
  --only GROUP  run only GROUP; repeat to run several.
                Groups: registry storage bigquery pubsub iam
EOF
}

dry_run=
only=' '
while [[ $# -gt 0 ]]; do
  case $1 in
    --dry-run) dry_run=1 ;;
    --only | --only=*)
      if [[ $1 == --only ]]; then
        [[ $# -ge 2 ]] || { echo 'apply.sh: --only needs a group' >&2; exit 2; }
        group=$2
        shift
      else
        group=${1#--only=}
      fi
      case $group in
        registry | storage | bigquery | pubsub | iam) only="$only$group " ;;
        *) echo "apply.sh: unknown group: $group (groups: registry storage bigquery pubsub iam)" >&2; exit 2 ;;
      esac
      ;;
    -h | --help) usage; exit 0 ;;
    *) echo "apply.sh: unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

# want GROUP: whether this run includes GROUP.
want() { [[ $only == ' ' || $only == *" $1 "* ]]; }

# run prints a command that changes something, then runs it unless this is
# a dry run.
run() {
  printf '+'
  printf ' %q' "$@"
  printf '\n'
  if [[ -z $dry_run ]]; then "$@"; fi
}

# converge WHAT WANT [FIXED] brings one resource to the spec, with the
# commands in the arrays describe, create and update. A resource that
# cannot be described is created. One whose description (a gcloud
# projection) equals WANT is left alone. An empty WANT means the
# description cannot be compared, so the resource is updated whenever it
# exists, and right after it is created (a bucket takes its labels only
# on update). FIXED is what describe_fixed prints when the fields that
# cannot change in place are as the spec wants: if they are not, converge
# stops rather than leave the resource half right.
converge() {
  local what=$1 want=$2 fixed=${3-} have
  if ! have=$("${describe[@]}" 2>/dev/null); then
    run "${create[@]}"
    if [[ -n $want ]]; then return 0; fi
  elif [[ -n $want && $have == "$want" ]]; then
    echo "= $what: up to date"
    return 0
  elif [[ -n $fixed ]]; then
    have=$("${describe_fixed[@]}")
    if [[ $have != "$fixed" ]]; then
      printf 'apply.sh: %s differs from the spec in fields that cannot change in place; delete it and run apply.sh again.\nIt is:\n%s\nThe spec wants:\n%s\n' "$what" "$have" "$fixed" >&2
      exit 1
    fi
  fi
  run "${update[@]}"
}

# bind adds one IAM binding. Adding is idempotent and leaves other
# bindings alone. IAM takes a few seconds to see a service account created
# moments ago, so a failure is retried before giving up.
bind() {
  local attempt
  for attempt in 1 2 3 4; do
    if run "$@"; then return 0; fi
    echo "apply.sh: retrying in $((attempt * attempt * 2))s" >&2
    sleep $((attempt * attempt * 2))
  done
  run "$@"
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
`

// sh writes apply.sh. Values only ever reach it through q, which
// single-quotes them; everything else it writes is fixed text.
type sh struct {
	b   bytes.Buffer
	err error
}

func (w *sh) q(s string) string {
	out, err := shellQuote(s)
	if err != nil && w.err == nil {
		w.err = fmt.Errorf("%q %w", s, err)
	}
	return out
}

// flag is --key='value'.
func (w *sh) flag(key, value string) string { return "--" + key + "=" + w.q(value) }

func (w *sh) printf(format string, args ...any) { fmt.Fprintf(&w.b, format, args...) }

// comment writes an indented comment line. Its text may hold spec values,
// so it is kept to one line: a line break would end the comment and make
// the rest code.
func (w *sh) comment(format string, args ...any) {
	w.printf("  # %s\n", oneLine(fmt.Sprintf(format, args...)))
}

// array writes `  variable=(words...)`.
func (w *sh) array(variable string, words ...string) {
	w.printf("  %s=(%s)\n", variable, strings.Join(words, " "))
}

// oneLine keeps a spec-derived sentence on one comment line. Most are one
// already, and are returned without splitting them into words.
func oneLine(s string) string {
	if tidy(s) {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

// tidy reports whether s is ASCII words joined by single spaces, which
// oneLine would return as it is.
func tidy(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == ' ':
			if i == 0 || i == len(s)-1 || s[i-1] == ' ' {
				return false
			}
		case c < 0x21 || c > 0x7e:
			return false
		}
	}
	return true
}

// labelsFlag is the KEY=VALUE,... value of gcloud's label flags. Label keys
// and values hold only lowercase letters, digits, '-' and '_'.
func labelsFlag(m map[string]string) string {
	var kv []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		kv = append(kv, k+"="+m[k])
	}
	return strings.Join(kv, ",")
}

// script writes apply.sh: the same resources as the Config Connector
// objects, in an order that satisfies their dependencies. Service-agent
// grants on tables and buckets come before subscriptions, because Pub/Sub
// checks them when a BigQuery or Cloud Storage subscription is created.
func script(spec *schema.Spec, e *env) ([]byte, error) {
	w := &sh{}
	// A script is its prelude and about 20 KB for a typical pipeline;
	// growing once saves copying it several times over.
	w.b.Grow(len(prelude) + 16<<10)
	p := e.p
	w.printf("#!/usr/bin/env bash\n%s", targets.HashComment(spec))
	w.printf("#\n# %s\n", oneLine(fmt.Sprintf("The Google Cloud resources of pipeline %s in environment %s (project %s),", p.Name, p.Env, p.Project)))
	w.printf("# for teams without Config Connector: the same resources as the YAML files\n")
	w.printf("# beside this script. Run it with bash (the file is not executable):\n#\n")
	w.printf("#   bash apply.sh [--dry-run] [--only GROUP]...\n\n")
	w.printf("%s", prelude)

	var onSubs, others []*grant
	for _, g := range e.grants {
		if g.on.kind == "PubSubSubscription" {
			onSubs = append(onSubs, g)
		} else {
			others = append(others, g)
		}
	}
	w.section("registry", func(s *sh) { s.registry(e) })
	w.section("storage", func(s *sh) { s.buckets(e) })
	w.section("bigquery", func(s *sh) { s.bigquery(e) })
	w.section("pubsub", func(s *sh) { s.topics(e) })
	w.section("iam", func(s *sh) {
		s.accounts(e)
		s.grants(e, others)
	})
	w.section("pubsub", func(s *sh) { s.subscriptions(e) })
	w.section("iam", func(s *sh) { s.grants(e, onSubs) })
	if w.err != nil {
		return nil, w.err
	}
	return w.b.Bytes(), nil
}

// section writes what body writes inside `if want GROUP; then ... fi`,
// or nothing if body writes nothing. The body writes in place, after the
// opening line, which is taken back if nothing follows it.
func (w *sh) section(group string, body func(*sh)) {
	start := w.b.Len()
	w.printf("\nif want %s; then\n", group)
	opened := w.b.Len()
	body(w)
	if w.b.Len() == opened {
		w.b.Truncate(start)
		return
	}
	w.b.WriteString("fi\n")
}

func (w *sh) registry(e *env) {
	r := e.registry
	if r == nil {
		return
	}
	where := []string{w.q(r.id), w.flag("location", r.location), w.flag("project", r.project)}
	desc := r.description
	w.comment("Artifact Registry repository %s.", r.id)
	w.array("describe", append(append([]string{"gcloud artifacts repositories describe"}, where...), w.q("--format=json(description,format,labels)"))...)
	w.array("create", append(append([]string{"gcloud artifacts repositories create"}, where...),
		"--repository-format=docker", w.flag("description", desc), w.flag("labels", labelsFlag(e.labels)))...)
	w.array("update", append(append([]string{"gcloud artifacts repositories update"}, where...),
		w.flag("description", desc), w.flag("update-labels", labelsFlag(e.labels)))...)
	w.printf("  converge %s %s\n", w.q("repository "+r.id), w.q(gcloudJSON(map[string]any{
		"description": desc, "format": "DOCKER", "labels": e.labels,
	})))
}

func (w *sh) buckets(e *env) {
	for _, b := range e.buckets {
		url := w.q("gs://" + b.id)
		common := []string{w.flag("project", e.p.Project), w.flag("default-storage-class", b.b.StorageClass),
			"--uniform-bucket-level-access", "--public-access-prevention"}
		lifecycle := "--clear-lifecycle"
		w.comment("Bucket %s: uniform access, never public.", b.id)
		if b.b.LifecycleDays > 0 {
			file := `"$tmp"/` + w.q("lifecycle-"+b.id+".json")
			w.printf("  printf '%%s\\n' %s >%s\n", w.q(fmt.Sprintf(`{"rule":[{"action":{"type":"Delete"},"condition":{"age":%d}}]}`, b.b.LifecycleDays)), file)
			lifecycle = "--lifecycle-file=" + file
		}
		w.array("describe", "gcloud storage buckets describe", url, w.flag("project", e.p.Project), w.q("--format=value(name)"))
		create := append([]string{"gcloud storage buckets create", url, w.flag("location", b.location)}, common...)
		if b.b.LifecycleDays > 0 {
			create = append(create, lifecycle)
		}
		w.array("create", create...)
		w.array("update", append(append([]string{"gcloud storage buckets update", url}, common...),
			lifecycle, w.flag("update-labels", labelsFlag(e.labels)))...)
		w.printf("  converge %s ''\n", w.q("bucket "+b.id))
	}
}

func (w *sh) bigquery(e *env) {
	project := w.flag("project_id", e.p.Project)
	var labels []string
	for _, k := range slices.Sorted(maps.Keys(e.labels)) {
		labels = append(labels, k+":"+e.labels[k])
	}
	for _, d := range e.datasets {
		id := w.q(e.bqDataset(d))
		w.comment("Dataset %s.", d.id)
		w.array("describe", "bq", project, "show --format=prettyjson", id)
		create := []string{"bq", project, w.flag("location", d.location), "mk --dataset"}
		update := []string{"bq", project, "update"}
		if d.d.Description != "" {
			create = append(create, w.flag("description", d.d.Description))
			update = append(update, w.flag("description", d.d.Description))
		}
		for _, l := range labels {
			create = append(create, w.flag("label", l))
			update = append(update, w.flag("set_label", l))
		}
		w.array("create", append(create, id)...)
		w.array("update", append(update, id)...)
		w.printf("  converge %s ''\n", w.q("dataset "+d.id))
	}
	for _, t := range e.tables {
		id := w.q(e.bqTable(t))
		sch, err := schemaJSON(t.t)
		if err != nil && w.err == nil {
			w.err = err
		}
		file := `"$tmp"/` + w.q("schema-"+t.ref()+".json")
		w.comment("Table %s.", t.ref())
		w.printf("  printf '%%s\\n' %s >%s\n", w.q(sch), file)
		w.array("describe", "bq", project, "show --format=prettyjson", id)
		create := []string{"bq", project, "mk --table", "--schema=" + file}
		update := []string{"bq", project, "update", "--schema=" + file}
		if t.t.Description != "" {
			create = append(create, w.flag("description", t.t.Description))
			update = append(update, w.flag("description", t.t.Description))
		}
		for _, l := range labels {
			create = append(create, w.flag("label", l))
			update = append(update, w.flag("set_label", l))
		}
		if pt := t.t.Partition; pt != nil {
			create = append(create, w.flag("time_partitioning_type", pt.By))
			if pt.Field != "" {
				create = append(create, w.flag("time_partitioning_field", pt.Field))
			}
			if pt.Expiration > 0 {
				exp := w.flag("time_partitioning_expiration", fmt.Sprint(pt.Expiration.Seconds()))
				create = append(create, exp)
				update = append(update, exp)
			}
		}
		if len(t.t.Clustering) > 0 {
			create = append(create, w.flag("clustering_fields", clustering(t.t)))
			update = append(update, w.flag("clustering_fields", clustering(t.t)))
		}
		w.array("create", append(create, id)...)
		w.array("update", append(update, id)...)
		w.printf("  converge %s ''\n", w.q("table "+t.ref()))
	}
}

func (w *sh) topics(e *env) {
	for _, t := range e.topics {
		id, project := w.q(t.id), w.flag("project", e.p.Project)
		want := map[string]any{"labels": t.labels}
		create := []string{"gcloud pubsub topics create", id, project, w.flag("labels", labelsFlag(t.labels))}
		update := []string{"gcloud pubsub topics update", id, project, w.flag("update-labels", labelsFlag(t.labels))}
		if t.retainsMessages() {
			want["messageRetentionDuration"] = seconds(t.t.Retention)
			create = append(create, w.flag("message-retention-duration", t.t.Retention.String()))
			update = append(update, w.flag("message-retention-duration", t.t.Retention.String()))
		} else {
			update = append(update, "--clear-message-retention-duration")
		}
		w.comment("Topic %s.", t.id)
		w.array("describe", "gcloud pubsub topics describe", id, project, w.q("--format=json(labels,messageRetentionDuration)"))
		w.array("create", create...)
		w.array("update", update...)
		w.printf("  converge %s %s\n", w.q("topic "+t.id), w.q(gcloudJSON(want)))
	}
}

// subscriptionProjection is what apply.sh compares of a subscription:
// every field the spec sets, and nothing the API adds (state, name).
const subscriptionProjection = "json(ackDeadlineSeconds,bigqueryConfig.dropUnknownFields,bigqueryConfig.table," +
	"bigqueryConfig.useTableSchema,bigqueryConfig.writeMetadata,cloudStorageConfig.bucket," +
	"cloudStorageConfig.filenamePrefix,cloudStorageConfig.maxDuration,deadLetterPolicy," +
	"enableExactlyOnceDelivery,enableMessageOrdering,expirationPolicy,filter,labels," +
	"messageRetentionDuration,pushConfig.pushEndpoint,retainAckedMessages,retryPolicy,topic)"

func (w *sh) subscriptions(e *env) {
	p := e.p
	for _, sub := range e.subs {
		s := sub.s
		id, project := w.q(sub.id), w.flag("project", p.Project)
		topicName := "projects/" + p.Project + "/topics/" + sub.topic.id
		fixed := map[string]any{"topic": topicName}
		want := map[string]any{
			"topic":                    topicName,
			"ackDeadlineSeconds":       s.AckDeadline,
			"messageRetentionDuration": seconds(s.Retention),
			"labels":                   sub.labels,
			"pushConfig":               map[string]any{},
		}
		create := []string{"gcloud pubsub subscriptions create", id, project, w.flag("topic", sub.topic.id)}
		var mutable []string
		mutable = append(mutable, w.flag("ack-deadline", fmt.Sprint(s.AckDeadline)),
			w.flag("message-retention-duration", s.Retention.String()))
		if s.RetainAcked {
			want["retainAckedMessages"] = true
			mutable = append(mutable, "--retain-acked-messages")
		} else {
			mutable = append(mutable, "--no-retain-acked-messages")
		}
		if s.ExactlyOnce {
			want["enableExactlyOnceDelivery"] = true
			mutable = append(mutable, "--enable-exactly-once-delivery")
		} else {
			mutable = append(mutable, "--no-enable-exactly-once-delivery")
		}
		if s.Filter != "" {
			want["filter"], fixed["filter"] = s.Filter, s.Filter
			create = append(create, w.flag("message-filter", s.Filter))
		}
		if s.Ordering {
			want["enableMessageOrdering"], fixed["enableMessageOrdering"] = true, true
			create = append(create, "--enable-message-ordering")
		}
		if s.Expiration == schema.Never || s.Expiration == 0 {
			want["expirationPolicy"] = map[string]any{}
			mutable = append(mutable, "--expiration-period=never")
		} else {
			want["expirationPolicy"] = map[string]any{"ttl": seconds(s.Expiration)}
			mutable = append(mutable, w.flag("expiration-period", s.Expiration.String()))
		}
		createOnly := []string{}
		if r := s.Retry; r != nil {
			want["retryPolicy"] = map[string]any{"minimumBackoff": seconds(r.MinBackoff), "maximumBackoff": seconds(r.MaxBackoff)}
			mutable = append(mutable, w.flag("min-retry-delay", r.MinBackoff.String()), w.flag("max-retry-delay", r.MaxBackoff.String()))
		} else {
			mutable = append(mutable, "--clear-retry-policy")
		}
		if dl := s.DeadLetter; dl != nil {
			want["deadLetterPolicy"] = map[string]any{
				"deadLetterTopic":     "projects/" + p.Project + "/topics/" + sub.deadLetter.id,
				"maxDeliveryAttempts": dl.MaxAttempts,
			}
			mutable = append(mutable, w.flag("dead-letter-topic", sub.deadLetter.id), w.flag("max-delivery-attempts", fmt.Sprint(dl.MaxAttempts)))
		} else {
			mutable = append(mutable, "--clear-dead-letter-policy")
		}
		// gcloud takes one delivery group per update; a pull subscription
		// sends none, so changing the kind of delivery in place is left
		// to the Config Connector objects.
		switch {
		case s.Push != nil:
			want["pushConfig"] = map[string]any{"pushEndpoint": s.Push.Endpoint}
			mutable = append(mutable, w.flag("push-endpoint", s.Push.Endpoint))
		case s.BigQuery != nil:
			bq := map[string]any{"table": p.Project + "." + sub.table.ref()}
			mutable = append(mutable, w.flag("bigquery-table", e.bqTable(sub.table)))
			for _, f := range []struct {
				on   bool
				flag string
				key  string
			}{
				{s.BigQuery.WriteMetadata, "write-metadata", "writeMetadata"},
			} {
				if f.on {
					bq[f.key] = true
					mutable = append(mutable, "--"+f.flag)
				} else {
					mutable = append(mutable, "--no-"+f.flag)
				}
			}
			want["bigqueryConfig"] = bq
		case s.CloudStorage != nil:
			cs := map[string]any{"bucket": sub.bucket.id, "maxDuration": seconds(s.CloudStorage.MaxDuration)}
			mutable = append(mutable, w.flag("cloud-storage-bucket", sub.bucket.id),
				w.flag("cloud-storage-max-duration", s.CloudStorage.MaxDuration.String()))
			if pre := s.CloudStorage.FilenamePrefix; pre != "" {
				cs["filenamePrefix"] = pre
				mutable = append(mutable, w.flag("cloud-storage-file-prefix", pre))
			}
			want["cloudStorageConfig"] = cs
		}
		// Negated flags are update-only: create takes only what is set.
		for _, f := range mutable {
			if !strings.HasPrefix(f, "--no-") && !strings.HasPrefix(f, "--clear-") {
				createOnly = append(createOnly, f)
			}
		}
		w.comment("Subscription %s.", sub.id)
		w.array("describe", "gcloud pubsub subscriptions describe", id, project, w.q("--format="+subscriptionProjection))
		w.array("describe_fixed", "gcloud pubsub subscriptions describe", id, project, w.q("--format=json(enableMessageOrdering,filter,topic)"))
		w.array("create", append(append(create, createOnly...), w.flag("labels", labelsFlag(sub.labels)))...)
		w.array("update", append(append([]string{"gcloud pubsub subscriptions update", id, project}, mutable...),
			w.flag("update-labels", labelsFlag(sub.labels)))...)
		w.printf("  converge %s %s %s\n", w.q("subscription "+sub.id), w.q(gcloudJSON(want)), w.q(gcloudJSON(fixed)))
	}
}

func (w *sh) accounts(e *env) {
	for _, a := range e.accounts {
		project := w.flag("project", e.p.Project)
		display, desc := a.displayName, a.description
		w.comment("Service account of %s.", a.workload)
		w.array("describe", "gcloud iam service-accounts describe", w.q(a.email), project, w.q("--format=json(description,displayName)"))
		w.array("create", "gcloud iam service-accounts create", w.q(a.id), project, w.flag("display-name", display), w.flag("description", desc))
		w.array("update", "gcloud iam service-accounts update", w.q(a.email), project, w.flag("display-name", display), w.flag("description", desc))
		w.printf("  converge %s %s\n", w.q("service account "+a.id), w.q(gcloudJSON(map[string]any{"description": desc, "displayName": display})))
	}
}

func (w *sh) grants(e *env, gs []*grant) {
	project := w.flag("project", e.p.Project)
	for _, g := range gs {
		w.comment("%s", g.why)
		binding := []string{w.flag("member", g.member), w.flag("role", g.role)}
		var cmd []string
		switch g.on.kind {
		case "PubSubTopic":
			cmd = append([]string{"gcloud pubsub topics add-iam-policy-binding", w.q(g.on.id), project}, binding...)
		case "PubSubSubscription":
			cmd = append([]string{"gcloud pubsub subscriptions add-iam-policy-binding", w.q(g.on.id), project}, binding...)
		case "SecretManagerSecret":
			// The secret itself is not pipec's: its value never passes
			// through a spec. Create it before running this script.
			cmd = append([]string{"gcloud secrets add-iam-policy-binding", w.q(g.on.id), project}, binding...)
		case "StorageBucket":
			cmd = append([]string{"gcloud storage buckets add-iam-policy-binding", w.q("gs://" + g.on.id), project}, binding...)
		case "IAMServiceAccount":
			cmd = append([]string{"gcloud iam service-accounts add-iam-policy-binding", w.q(g.on.id), project}, binding...)
		case "Project":
			// --condition=None: the binding is unconditional, and saying
			// so keeps gcloud from asking when the policy has conditions.
			cmd = append([]string{"gcloud projects add-iam-policy-binding", w.q(g.on.id), project}, append(binding, "--condition=None")...)
		case "BigQueryTable":
			w.printf("  bind bq %s add-iam-policy-binding %s %s\n", w.flag("project_id", e.p.Project), strings.Join(binding, " "), w.q(g.on.id))
			continue
		default:
			panic("gcp: no binding command for " + g.on.kind)
		}
		w.printf("  bind %s --format=none\n", strings.Join(cmd, " "))
	}
}
