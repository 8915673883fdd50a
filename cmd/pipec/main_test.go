package main

import (
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/pipec/pipec/internal/cli"
)

// TestMain lets scripts run `exec pipec ...` in-process, as cue's own CLI
// tests do.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"pipec": func() { os.Exit(cli.Main()) },
	})
}

// TestScripts runs the CLI stories in testdata/script. PIPEC_UPDATE=1
// rewrites their expected output in place; read the diff before committing.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:           "../../testdata/script",
		UpdateScripts: os.Getenv("PIPEC_UPDATE") != "",
		Cmds:          map[string]func(*testscript.TestScript, bool, []string){"emulator": emulatorCmd},
	})
}
