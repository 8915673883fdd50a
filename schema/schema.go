// Package schema holds pipec's contract with its users: the CUE schema every
// spec is validated against, and the Go model the compiler decodes a valid
// spec into. Targets read only the model.
package schema

import _ "embed"

// Source is the CUE schema, embedded so that a spec needs no import.
//
//go:embed pipeline.cue
var Source []byte

// Filename is the name the embedded schema carries in error positions.
const Filename = "pipec/schema/pipeline.cue"

// Definition is the CUE definition every pipeline is unified with.
const Definition = "#Pipeline"
