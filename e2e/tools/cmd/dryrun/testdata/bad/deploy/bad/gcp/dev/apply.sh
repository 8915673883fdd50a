echo not YAML, not read
