package compiler

import (
	"cmp"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/token"

	"github.com/pipec/pipec/schema"
)

// Severity says whether a finding fails the build.
type Severity string

// The severities a Diagnostic can have.
const (
	Error   Severity = "error"
	Warning Severity = "warning"
)

// Diagnostic is one finding about a spec, positioned at the CUE value that
// caused it.
type Diagnostic struct {
	// File is the path of the spec file as the user can open it: relative
	// to the working directory when under it.
	File         string
	Line, Column int
	// Path is the CUE path of the offending value ("services.collector.image").
	Path     string
	Message  string
	Severity Severity
	// Code names the rule broken; see Codes.
	Code Code
}

func (d Diagnostic) String() string {
	var b strings.Builder
	if d.File != "" {
		fmt.Fprintf(&b, "%s:%d:%d: ", d.File, d.Line, d.Column)
	}
	if d.Path != "" {
		b.WriteString(d.Path + ": ")
	}
	if d.Severity == Warning {
		b.WriteString("warning: ")
	}
	b.WriteString(d.Message)
	return b.String()
}

// Diagnostics is a sorted, de-duplicated list of findings.
type Diagnostics []Diagnostic

// HasErrors reports whether any finding is an error rather than a warning.
func (ds Diagnostics) HasErrors() bool {
	return slices.ContainsFunc(ds, func(d Diagnostic) bool { return d.Severity == Error })
}

// Print writes one finding per line.
func (ds Diagnostics) Print(w io.Writer) {
	for _, d := range ds {
		fmt.Fprintln(w, d.String())
	}
}

// Sorted returns the findings ordered by file, position, path and message,
// without duplicates.
func (ds Diagnostics) Sorted() Diagnostics { return ds.sorted() }

func (ds Diagnostics) sorted() Diagnostics {
	out := slices.Clone(ds)
	slices.SortFunc(out, func(a, b Diagnostic) int {
		return cmp.Or(
			cmp.Compare(a.File, b.File),
			cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Column, b.Column),
			cmp.Compare(a.Path, b.Path),
			cmp.Compare(a.Message, b.Message),
		)
	})
	return slices.Compact(out)
}

// reporter collects the findings of one pipeline, turning CUE positions into
// user-facing file names.
type reporter struct {
	cwd   string
	diags Diagnostics
}

func (r *reporter) relFile(name string) string {
	if name == "" || !filepath.IsAbs(name) || r.cwd == "" {
		return name
	}
	if rel, err := filepath.Rel(r.cwd, name); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return name
}

// at records an error at pos.
func (r *reporter) at(code Code, pos token.Pos, path, format string, args ...any) {
	r.add(Error, code, pos, path, fmt.Sprintf(format, args...))
}

func (r *reporter) warn(code Code, pos token.Pos, path, format string, args ...any) {
	r.add(Warning, code, pos, path, fmt.Sprintf(format, args...))
}

// atPosition is at for a position kept after its file was let go.
func (r *reporter) atPosition(code Code, p token.Position, path, format string, args ...any) {
	r.addPosition(Error, code, p, path, fmt.Sprintf(format, args...))
}

func (r *reporter) add(sev Severity, code Code, pos token.Pos, path, msg string) {
	var p token.Position
	if pos.IsValid() {
		p = pos.Position()
	}
	r.addPosition(sev, code, p, path, msg)
}

func (r *reporter) addPosition(sev Severity, code Code, p token.Position, path, msg string) {
	d := Diagnostic{Path: path, Message: msg, Severity: sev, Code: code}
	if p.IsValid() {
		d.File, d.Line, d.Column = r.relFile(p.Filename), p.Line, p.Column
	}
	r.diags = append(r.diags, d)
}

// cuePath renders a CUE error path without the schema definition it was
// evaluated under, in the same form as cue.Path.String: list indexes in
// brackets and labels that are not identifiers quoted.
func cuePath(parts []string) string {
	parts = labels(parts)
	var b strings.Builder
	for i, part := range parts {
		switch {
		case isIndex(part):
			b.WriteString("[" + part + "]")
			continue
		case i > 0:
			b.WriteByte('.')
		}
		if identifier.MatchString(part) {
			b.WriteString(part)
		} else {
			b.WriteString(strconv.Quote(part))
		}
	}
	return b.String()
}

// labels returns an error path's labels unquoted and without the schema
// definition at its root: CUE quotes labels that are not identifiers.
func labels(parts []string) []string {
	if len(parts) > 0 && parts[0] == schema.Definition {
		parts = parts[1:]
	}
	out := make([]string, len(parts))
	for i, p := range parts {
		if u, err := strconv.Unquote(p); err == nil && strings.HasPrefix(p, `"`) {
			p = u
		}
		out[i] = p
	}
	return out
}

var identifier = regexp.MustCompile(`^[A-Za-z_$#][A-Za-z0-9_$]*$`)

func isIndex(s string) bool {
	_, err := strconv.Atoi(s)
	return err == nil && s != ""
}

var (
	outOfBound = regexp.MustCompile(`^invalid value (".*") \(out of bound =~"\^\[0-9\]\+\(s\|m\|h\|d\)\$"\)$`)
	outOfRange = regexp.MustCompile(`^invalid value (\S+) \(out of bound ([<>]=?)(\S+)\)$`)
	// conflictValues matches a conflict between two values written without
	// spaces or as quoted strings, and says whether their types differ.
	conflictValues = regexp.MustCompile(`^conflicting values ("(?:[^"\\]|\\.)*"|[^ "]+) and ("(?:[^"\\]|\\.)*"|[^ "]+)( \(mismatched types \w+ and \w+\))?$`)
	typeName       = regexp.MustCompile(`^[a-z]+[0-9]*$`)
)

// codeOf classifies an evaluator message.
func codeOf(msg string) Code {
	switch {
	case outOfBound.MatchString(msg):
		return CodeInvalidValue
	case outOfRange.MatchString(msg):
		return CodeOutOfRange
	case strings.Contains(msg, "is not allowed; use one of"):
		return CodeNotAllowed
	case strings.Contains(msg, "conflicting values"), strings.Contains(msg, "mismatched types"), strings.Contains(msg, "invalid value"):
		return CodeSchema
	}
	return CodeSyntax
}

// friendly rewrites the evaluator messages whose fix is not obvious.
func friendly(msg string) string {
	if m := outOfBound.FindStringSubmatch(msg); m != nil {
		return m[1] + ` is not a duration: write a whole number and a unit, e.g. "30s", "10m", "12h" or "7d"`
	}
	if m := outOfRange.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("%s is out of range: it must be %s %s", m[1], m[2], m[3])
	}
	return msg
}

// cueError is one evaluator error, flattened: its path as the user writes
// it, its message, and its positions, the first in a user's file first.
type cueError struct {
	parts     []string
	path      string
	msg       string
	positions []token.Pos
}

func (e cueError) pos() token.Pos {
	for _, p := range e.positions {
		if p.IsValid() && p.Filename() != schema.Filename {
			return p
		}
	}
	return token.NoPos
}

// flatten converts CUE's errors, folding the one-error-per-alternative list
// CUE produces for a value outside an enumeration into a single error that
// lists the allowed values.
func flatten(err error) []cueError {
	var out []cueError
	merged := map[string]int{}
	bounded := map[string]bool{}
	// Only a value that matched no alternative of an enumeration lists the
	// alternatives; other conflicts stay as they are.
	enums := map[string]bool{}
	for _, e := range errors.Errors(err) {
		format, args := e.Msg()
		if strings.Contains(fmt.Sprintf(format, args...), "errors in empty disjunction") {
			enums[cuePath(e.Path())] = true
		}
	}
	// An enumeration of strings is one whose every alternative the value
	// conflicts with is a string.
	ofStrings := map[string]bool{}
	for path := range enums {
		ofStrings[path] = true
	}
	for _, e := range errors.Errors(err) {
		format, args := e.Msg()
		msg := fmt.Sprintf(format, args...)
		if _, _, ok := enumConflict(msg); !ok && !strings.Contains(msg, "errors in empty disjunction") {
			delete(ofStrings, cuePath(e.Path()))
		}
	}
	for _, e := range errors.Errors(err) {
		format, args := e.Msg()
		ce := cueError{
			parts:     e.Path(),
			path:      cuePath(e.Path()),
			msg:       fmt.Sprintf(format, args...),
			positions: append([]token.Pos{e.Position()}, errors.Positions(e)...),
		}
		if strings.Contains(ce.msg, "errors in empty disjunction") {
			continue
		}
		if outOfRange.MatchString(ce.msg) {
			bounded[ce.path] = true
		}
		if msg, ok := enumError(ce.msg); ok {
			ce.msg = msg
			bounded[ce.path] = true
			out = append(out, ce)
			continue
		}
		if value, alt, ok := enumConflict(ce.msg); ok && ofStrings[ce.path] {
			k := ce.path + "\x00" + value
			if i, ok := merged[k]; ok {
				out[i].msg += ", " + alt
				continue
			}
			merged[k] = len(out)
			ce.msg = value + " is not allowed; use one of " + alt
			out = append(out, ce)
			continue
		}
		if m := conflictValues.FindStringSubmatch(ce.msg); m != nil && m[3] != "" && enums[ce.path] {
			// A value of the wrong type conflicts with every alternative,
			// a default among them; the conflict with the type says it.
			k := ce.path + "\x00mismatch"
			i, seen := merged[k]
			switch {
			case !seen:
				merged[k] = len(out)
				out = append(out, ce)
			case typeName.MatchString(m[2]) && !typeName.MatchString(conflictValues.FindStringSubmatch(out[i].msg)[2]):
				out[i] = ce
			}
			continue
		}
		out = append(out, ce)
	}
	// A value outside a bound also conflicts with the schema's default for
	// it; the bound is what the user needs to read.
	return slices.DeleteFunc(out, func(e cueError) bool {
		return bounded[e.path] && strings.HasPrefix(e.msg, "conflicting values")
	})
}

// enumConflict reads a conflict between a value and a string alternative
// of an enumeration. CUE names the alternative first when both are
// strings, and the value first when their types differ.
func enumConflict(msg string) (value, alt string, ok bool) {
	m := conflictValues.FindStringSubmatch(msg)
	switch {
	case m == nil:
		return "", "", false
	case m[3] == "" && strings.HasPrefix(m[1], `"`) && strings.HasPrefix(m[2], `"`):
		return m[2], m[1], true
	case m[3] != "" && strings.HasPrefix(m[2], `"`):
		return m[1], m[2], true
	}
	return "", "", false
}

// addCUE records every error in err. Messages from the CUE evaluator are
// kept, but their paths lose the schema prefix.
func (r *reporter) addCUE(err error) {
	for _, e := range flatten(err) {
		r.at(codeOf(e.msg), e.pos(), e.path, "%s", friendly(e.msg))
	}
}
