package dockerfile

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// quote writes s as one word of BuildKit's shell lexer, which expands
// $VAR and removes quotes and backslashes in ENV values and in COPY
// arguments (exec form included). Inside double quotes only '"', '$' and
// '\' are special, and a backslash makes each literal; plain words stay
// bare so the common case reads naturally.
//
// Three things cannot be written at all, and are refused: a newline, since
// an instruction ends there and no escape puts one back (backslash-newline
// joins the lines and drops both); NUL, which the lexer rejects; and
// invalid UTF-8, which the parser turns into U+FFFD.
func quote(s string) (string, error) {
	if err := oneLine(s); err != nil {
		return "", err
	}
	if strings.ContainsRune(s, 0) {
		return "", errors.New("holds a NUL character, which a Dockerfile cannot")
	}
	if s != "" && strings.Trim(s, plain) == "" {
		return s, nil
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		if r == '"' || r == '$' || r == '\\' {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	b.WriteByte('"')
	return b.String(), nil
}

// plain holds the characters that mean nothing to the Dockerfile parser
// or its shell lexer, in any position of a word.
const plain = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./:@%+,="

// oneLine refuses what cannot sit on one line of a text file: a newline,
// and invalid UTF-8, which a reader may decode into something else.
func oneLine(s string) error {
	switch {
	case !utf8.ValidString(s):
		return errors.New("is not valid UTF-8")
	case strings.ContainsRune(s, '\n'):
		return errors.New("holds a newline, which would end the line")
	}
	return nil
}

// execForm writes args as the JSON array of an exec-form instruction:
// `["python", "main.py"]`. JSON escapes newlines and quotes, so any valid
// UTF-8 string survives; HTML escaping is off because nothing here is HTML.
func execForm(args []string) (string, error) {
	words := make([]string, len(args))
	for i, a := range args {
		if !utf8.ValidString(a) {
			return "", fmt.Errorf("%q is not valid UTF-8", a)
		}
		var b strings.Builder
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(a); err != nil {
			return "", err
		}
		words[i] = strings.TrimSuffix(b.String(), "\n")
	}
	return "[" + strings.Join(words, ", ") + "]", nil
}

// shellArg quotes s for a POSIX shell, for the build command a person
// copies from a comment.
func shellArg(s string) string {
	if s != "" && strings.Trim(s, plain) == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
