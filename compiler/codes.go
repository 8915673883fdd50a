package compiler

// Code identifies the rule a finding breaks. Codes are stable: tools filter
// on them, and docs/diagnostics.md documents each with an example and the fix.
type Code string

// The codes. Numbers group rules: 1xxx the spec's language and schema, 2xxx
// names, 3xxx references, 4xxx values, 5xxx safety, 6xxx files, 7xxx image
// pins, 8xxx warnings, 9xxx the command line.
const (
	CodeSyntax           Code = "PC1001"
	CodeSchema           Code = "PC1002"
	CodeUnknownField     Code = "PC1003"
	CodeEnvOverride      Code = "PC1004"
	CodeMissingValue     Code = "PC1005"
	CodeNotAllowed       Code = "PC1006"
	CodeEnvironments     Code = "PC1007"
	CodeInvalidName      Code = "PC2001"
	CodeNameCollision    Code = "PC2002"
	CodeDangling         Code = "PC3001"
	CodeOutOfRange       Code = "PC4001"
	CodeInvalidValue     Code = "PC4002"
	CodeIncompatible     Code = "PC4003"
	CodeProjectNumber    Code = "PC4004"
	CodeCredential       Code = "PC5001"
	CodeUnsafeChars      Code = "PC5002"
	CodePathOutside      Code = "PC6001"
	CodePathMissing      Code = "PC6002"
	CodeNotAllowList     Code = "PC6003"
	CodeLock             Code = "PC7001"
	CodeUnpinned         Code = "PC7002"
	CodeSingleReplica    Code = "PC8001"
	CodeUnreadDeadLetter Code = "PC8002"
	CodeNoPipeline       Code = "PC9001"
	CodeInternal         Code = "PC9999"
)

// CodeDoc documents a code: what it means, an example finding, the fix.
type CodeDoc struct {
	Code    Code
	Title   string
	Example string
	Fix     string
}

// Codes documents every code, in order. docs/diagnostics.md is generated
// from it, and a test keeps the two equal.
var Codes = []CodeDoc{
	{CodeSyntax, "The spec is not valid CUE", `pipeline.cue:12:22: missing ',' in struct literal`, "Fix the syntax at the position given; `cue fmt` shows the structure."},
	{CodeSchema, "A value does not fit the schema", `pipeline.cue:19:12: services.web.replicas: conflicting values "3" and int (mismatched types string and int)`, "Give the field a value of the type `pipec schema` shows for it."},
	{CodeUnknownField, "A field the schema does not have", `pipeline.cue:21:61: services.web.replicaz: unknown field "replicaz"; did you mean "replicas"?`, "Fix the spelling, or remove the field; the message lists the fields allowed there."},
	{CodeEnvOverride, "An environment changes a concrete base value", `pipeline.cue:24:60: services.web.replicas: environment "prod" sets 3, but the base fixes it to 1 at pipeline.cue:19:12; ... make the base value a default: replicas: *1 | int`, "Write the base value as a default (`*1 | int`) so environments may override it."},
	{CodeMissingValue, "A value no one set", `pipeline.cue:21:15: project: has no value in environment "dev"; set it in the base or under environments.dev`, "Set the value in the base, or in every environment."},
	{CodeNotAllowed, "A value outside an enumeration", `pipeline.cue:12:62: datasets.sales.tables.orders.fields[0].type: "VARCHAR" is not allowed; use one of "BIGNUMERIC", ...`, "Use one of the values listed."},
	{CodeEnvironments, "Environments are missing or misnamed", `pipeline.cue:1:1: environments: the pipeline declares no environment; add one`, "Declare at least one environment, named as a DNS label (`dev`, `prod`)."},
	{CodeInvalidName, "A name the target system would refuse", `pipeline.cue:12:9: topics.ab: topic name "ab" is not valid: it must be a Pub/Sub ID: 3 to 255 characters, ...`, "Rename it following the rule quoted in the message."},
	{CodeNameCollision, "Two names that would collide", `pipeline.cue:12:9: topics.orders: topic "Orders" and "orders" differ only in case or punctuation, ...`, "Rename one of them."},
	{CodeDangling, "A reference to something not declared", `pipeline.cue:18:2: services.web.image: image "wbe" is not declared in images; did you mean "web"?`, "Fix the name (the closest declared one is suggested), or declare what it refers to."},
	{CodeOutOfRange, "A value outside what the API accepts", `pipeline.cue:15:2: subscriptions."orders-to-bq".ackDeadline: ack deadline 5 is out of range: allowed 10 to 600 seconds`, "Choose a value inside the range the message gives."},
	{CodeInvalidValue, "A value in the wrong form", `pipeline.cue:11:17: topics.orders.retention: "7 days" is not a duration: write a whole number and a unit, e.g. "30s", "10m", "12h" or "7d"`, "Write the value in the form the message shows."},
	{CodeIncompatible, "Settings that cannot go together", `pipeline.cue:16:2: subscriptions."orders-to-bq".bigquery: a subscription delivers one way: push and bigquery are mutually exclusive`, "Keep one of the settings, as the message says."},
	{CodeProjectNumber, "The project number is needed", `pipeline.cue:15:2: subscriptions."orders-to-bq".bigquery: environment "dev" has no projectNumber, which subscription "orders-to-bq" needs: ...`, "Set `projectNumber` per environment: `gcloud projects describe PROJECT --format='value(projectNumber)'`."},
	{CodeCredential, "A credential in the spec or an image", `pipeline.cue:20:7: services.web.env.API_TOKEN: API_TOKEN looks like a credential but has a literal value; store it in Secret Manager ...`, "Remove it. Secrets are referenced by their Secret Manager name (`env: X: secret: \"name\"`); Google credentials come from Workload Identity, never a key file."},
	{CodeUnsafeChars, "Characters an output format cannot carry", `pipeline.cue:8:19: images.web.copy[1]: "a\nb" holds a line break, which Dockerfiles and .dockerignore cannot express safely`, "Remove the line break or control character; rename files that hold them."},
	{CodePathOutside, "A path that leaves the spec directory", `pipeline.cue:6:2: images.web.context: "../web" leaves the spec directory; keep image sources inside it`, "Move the sources inside the pipeline's directory and use a relative path."},
	{CodePathMissing, "A path that does not exist", `pipeline.cue:8:19: images.web.copy[1]: "lib.py" does not exist in web`, "Create the file, or fix the path (relative to the image's context)."},
	{CodeNotAllowList, "A copy that is not an allow-list", `pipeline.cue:8:9: images.web.copy[0]: "." copies more than an allow-list`, "Name each file or directory the image needs."},
	{CodeLock, "The lock file or an image reference is invalid", `pipec.lock:3:52: "sha256:abc" is not a digest: write sha256: and 64 lowercase hexadecimal digits`, "Fix the line, or restore pipec.lock from git and run `pipec lock` again."},
	{CodeUnpinned, "An image without a digest where digests are required", `pipeline.cue:5:9: images.web: image ... is not pinned in environment "prod", which sets requireDigests: ...`, "Run `pipec lock` (base images) or `pipec lock --set NAME=REF@sha256:...` (images CI pushed)."},
	{CodeSingleReplica, "Warning: one replica in production", `pipeline.cue:19:2: services.web.replicas: warning: environment "prod" runs one replica: every node drain or rollout is an outage`, "Run two or more replicas in production (a PodDisruptionBudget then keeps one up); `--strict` makes this an error."},
	{CodeUnreadDeadLetter, "Warning: a dead-letter topic no subscription reads", `pipeline.cue:12:2: topics."orders-dead-letter": warning: dead-letter topic "orders-dead-letter" has no subscription, so Pub/Sub drops the messages subscription "orders-to-bq" gives up on; ...`, "Add a subscription to the dead-letter topic (a pull subscription keeps messages up to 7 days; a BigQuery one keeps them in a table). If another pipeline reads it, the warning can be ignored; `--strict` makes it an error."},
	{CodeNoPipeline, "No pipeline where one was expected", `./docs: not a pipeline directory (no .cue files in it)`, "Pass a pipeline directory, a file in one, or `dir/...`."},
	{CodeInternal, "An internal error", `internal error: cannot read a valid value: ...`, "A bug in pipec: please report it with the spec that caused it."},
}
