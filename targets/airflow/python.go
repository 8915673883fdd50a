package airflow

import (
	"strings"
	"unicode"
)

// width is the line length the printer aims for, as black's default does.
const width = 88

// expr is a Python expression the DAG file is built from. Spec values enter
// only as lit (through pyString and friends); everything else is code this
// package writes.
type expr interface {
	// flat writes the expression on one line.
	flat() string
	// flatLen is len(flat()), without writing it.
	flatLen() int
}

// lit is an expression already written as Python: a literal, a name, an
// attribute.
type lit string

func (l lit) flat() string { return string(l) }
func (l lit) flatLen() int { return len(l) }

// separators is the length of the ", " between n items.
func separators(n int) int { return 2 * max(n-1, 0) }

// str is a string from the spec.
func str(s string) lit { return lit(pyString(s)) }

// kwarg is one keyword argument of a call.
type kwarg struct {
	name  string
	value expr
}

// call is fn(args..., name=value...). broken forces one argument per line,
// which operators and the DAG get so that each setting reads on its own.
type call struct {
	fn     string
	args   []expr
	kwargs []kwarg
	broken bool
}

func (c *call) flat() string {
	var parts []string
	for _, a := range c.args {
		parts = append(parts, a.flat())
	}
	for _, kw := range c.kwargs {
		parts = append(parts, kw.name+"="+kw.value.flat())
	}
	return c.fn + "(" + strings.Join(parts, ", ") + ")"
}

func (c *call) flatLen() int {
	n := len(c.fn) + len("()") + separators(len(c.args)+len(c.kwargs))
	for _, a := range c.args {
		n += a.flatLen()
	}
	for _, kw := range c.kwargs {
		n += len(kw.name) + len("=") + kw.value.flatLen()
	}
	return n
}

// kw appends a keyword argument.
func (c *call) kw(name string, value expr) *call {
	c.kwargs = append(c.kwargs, kwarg{name, value})
	return c
}

// list is [items...].
type list []expr

func (l list) flat() string {
	parts := make([]string, len(l))
	for i, e := range l {
		parts[i] = e.flat()
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func (l list) flatLen() int {
	n := len("[]") + separators(len(l))
	for _, e := range l {
		n += e.flatLen()
	}
	return n
}

// dict is {key: value...}, in the order given.
type dict []struct{ key, value expr }

func (d dict) flat() string {
	parts := make([]string, len(d))
	for i, kv := range d {
		parts[i] = kv.key.flat() + ": " + kv.value.flat()
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func (d dict) flatLen() int {
	n := len("{}") + separators(len(d))
	for _, kv := range d {
		n += kv.key.flatLen() + len(": ") + kv.value.flatLen()
	}
	return n
}

// render writes e starting at column used of a line indented by indent:
// on that line if it fits, otherwise with one element per line and a
// trailing comma, as black does.
func render(e expr, indent, used int) string {
	// Measured before it is written: most of a DAG file does not fit on
	// one line, and writing each level whole only to drop it was most of
	// the target's time.
	if c, ok := e.(*call); (!ok || !c.broken) && used+e.flatLen() <= width {
		return e.flat()
	}
	pad := strings.Repeat(" ", indent+4)
	var b strings.Builder
	item := func(prefix string, v expr) {
		b.WriteString(pad + prefix)
		b.WriteString(render(v, indent+4, indent+4+len(prefix)))
		b.WriteString(",\n")
	}
	var open, close string
	switch e := e.(type) {
	case *call:
		if len(e.args)+len(e.kwargs) == 0 {
			return e.flat()
		}
		open, close = e.fn+"(\n", ")"
		b.WriteString(open)
		for _, a := range e.args {
			item("", a)
		}
		for _, kw := range e.kwargs {
			item(kw.name+"=", kw.value)
		}
	case list:
		if len(e) == 0 {
			return e.flat()
		}
		close = "]"
		b.WriteString("[\n")
		for _, v := range e {
			item("", v)
		}
	case dict:
		if len(e) == 0 {
			return e.flat()
		}
		close = "}"
		b.WriteString("{\n")
		for _, kv := range e {
			item(kv.key.flat()+": ", kv.value)
		}
	default:
		return e.flat()
	}
	b.WriteString(strings.Repeat(" ", indent) + close)
	return b.String()
}

// identifier turns an Airflow ID ([A-Za-z0-9_.-]) into an ASCII Python name that
// shadows nothing the file uses: a keyword, a builtin, or a name the file
// itself defines or imports (a task called "k8s" or "super" would break the
// code after it). Such names, and names that cannot start an identifier,
// get a "task_" prefix, and so do dunder names (a task called
// "__builtins__" would break every builtin).
func identifier(id string) string {
	name := strings.Map(func(r rune) rune {
		if r == '_' || r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			return r
		}
		return '_'
	}, id)
	if name == "" || name[0] >= '0' && name[0] <= '9' || strings.HasPrefix(name, "__") || reserved[name] {
		name = "task_" + name
	}
	return name
}

// reserved holds every name a generated file could shadow: Python's
// keywords and builtins (3.9 to 3.13) and the file's own top-level names.
var reserved = func() map[string]bool {
	m := map[string]bool{}
	for _, names := range []string{
		// keywords and soft keywords
		`False None True and as assert async await break class continue def del elif else except
		finally for from global if import in is lambda nonlocal not or pass raise return try while
		with yield match case type _`,
		// builtins
		`ArithmeticError AssertionError AttributeError BaseException BaseExceptionGroup
		BlockingIOError BrokenPipeError BufferError BytesWarning ChildProcessError
		ConnectionAbortedError ConnectionError ConnectionRefusedError ConnectionResetError
		DeprecationWarning EOFError Ellipsis EncodingWarning EnvironmentError Exception
		ExceptionGroup FileExistsError FileNotFoundError FloatingPointError FutureWarning
		GeneratorExit IOError ImportError ImportWarning IndentationError IndexError
		InterruptedError IsADirectoryError KeyError KeyboardInterrupt LookupError MemoryError
		ModuleNotFoundError NameError NotADirectoryError NotImplemented NotImplementedError
		OSError OverflowError PendingDeprecationWarning PermissionError ProcessLookupError
		PythonFinalizationError RecursionError ReferenceError ResourceWarning RuntimeError
		RuntimeWarning StopAsyncIteration StopIteration SyntaxError SyntaxWarning SystemError
		SystemExit TabError TimeoutError TypeError UnboundLocalError UnicodeDecodeError
		UnicodeEncodeError UnicodeError UnicodeTranslateError UnicodeWarning UserWarning
		ValueError Warning ZeroDivisionError abs aiter all anext any ascii bin bool breakpoint
		bytearray bytes callable chr classmethod compile complex copyright credits delattr dict
		dir divmod enumerate eval exec exit filter float format frozenset getattr globals
		hasattr hash help hex id input int isinstance issubclass iter len license list locals
		map max memoryview min next object oct open ord pow print property quit range repr
		reversed round set setattr slice sorted staticmethod str sum super tuple type vars zip`,
		// the file's own names
		`DAG TaskGroup KubernetesPodOperator Secret DockerOperator PythonOperator
		GoogleCloudSecretManagerHook PipecDockerOperator k8s pendulum datetime os subprocess
		POD_LABELS CONTAINER_SECURITY WORKER_SECURITY TMP_VOLUMES TMP_MOUNTS run_command`,
	} {
		for _, n := range strings.Fields(names) {
			m[n] = true
		}
	}
	return m
}()
