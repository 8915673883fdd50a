package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/pipec/pipec/devenv"
)

// startedLine is how `pipec dev up --start` says where its emulator runs
// and how to stop it.
var startedLine = regexp.MustCompile(`started the Pub/Sub emulator on (\S+) \(log: [^)]*\); stop it with: kill -- -(\d+)`)

// emulatorCmd is the scripts' `emulator` command:
//
//	emulator started     the last command's stderr names an emulator it
//	                     started: stop it when the script ends, and set
//	                     $EMULATOR to its HOST:PORT
//	emulator get PATH    print the emulator's JSON answer to GET PATH,
//	                     indented, keys sorted
func emulatorCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: emulator started | emulator get PATH")
	}
	switch args[0] {
	case "started":
		m := startedLine.FindStringSubmatch(ts.ReadFile("stderr"))
		if m == nil {
			ts.Fatalf("the last command started no emulator")
		}
		pid, _ := strconv.Atoi(m[2])
		ts.Defer((&devenv.Started{PID: pid}).Stop)
		ts.Setenv("EMULATOR", m[1])
	case "get":
		if len(args) != 2 {
			ts.Fatalf("usage: emulator get PATH")
		}
		client := &http.Client{Timeout: 10 * time.Second}
		resp, err := client.Get("http://" + ts.Getenv("EMULATOR") + args[1])
		ts.Check(err)
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		ts.Check(err)
		if resp.StatusCode != http.StatusOK {
			ts.Fatalf("GET %s: %s\n%s", args[1], resp.Status, body)
		}
		var v any
		ts.Check(json.Unmarshal(body, &v))
		out, err := json.MarshalIndent(v, "", "  ")
		ts.Check(err)
		fmt.Fprintf(ts.Stdout(), "%s\n", out)
	default:
		ts.Fatalf("unknown emulator command %q", args[0])
	}
}
