package compiler

// LoadSchema does what a worker does before its first pipeline: a fresh
// cue.Context with the schema pipec evaluates compiled in.
func LoadSchema() error {
	sc := (&schemaContext{}).get()
	return sc.def.Err()
}
