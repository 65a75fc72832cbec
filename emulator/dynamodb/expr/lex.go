package expr

// tokKind classifies a lexical token of the expression language.
type tokKind uint8

const (
	tEOF     tokKind = iota
	tIdent           // bare name, keyword or function name
	tName            // #placeholder
	tValue           // :placeholder
	tNumber          // digits (only valid as a list index)
	tPunct           // = <> < <= > >= ( ) [ ] , . + -
	tInvalid         // a character outside the language
)

type token struct {
	kind       tokKind
	text       string
	start, end int // byte offsets in the source
}

func isWordChar(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// lex splits src into tokens, ending with one tEOF token. It never fails:
// characters outside the language become tInvalid tokens so the parser can
// report them as syntax errors at the right position.
func lex(src string, toks []token) []token {
	i := 0
	for {
		for i < len(src) && (src[i] == ' ' || src[i] == '\t' || src[i] == '\n' || src[i] == '\r') {
			i++
		}
		if i >= len(src) {
			return append(toks, token{kind: tEOF, text: "<EOF>", start: len(src), end: len(src)})
		}
		start := i
		c := src[i]
		switch {
		case c == '#' || c == ':':
			i++
			for i < len(src) && isWordChar(src[i]) {
				i++
			}
			if i == start+1 {
				toks = append(toks, token{kind: tInvalid, text: src[start:i], start: start, end: i})
				continue
			}
			k := tName
			if c == ':' {
				k = tValue
			}
			toks = append(toks, token{kind: k, text: src[start:i], start: start, end: i})
		case isDigit(c):
			for i < len(src) && isDigit(src[i]) {
				i++
			}
			toks = append(toks, token{kind: tNumber, text: src[start:i], start: start, end: i})
		case isWordChar(c):
			for i < len(src) && isWordChar(src[i]) {
				i++
			}
			toks = append(toks, token{kind: tIdent, text: src[start:i], start: start, end: i})
		case c == '<':
			i++
			if i < len(src) && (src[i] == '=' || src[i] == '>') {
				i++
			}
			toks = append(toks, token{kind: tPunct, text: src[start:i], start: start, end: i})
		case c == '>':
			i++
			if i < len(src) && src[i] == '=' {
				i++
			}
			toks = append(toks, token{kind: tPunct, text: src[start:i], start: start, end: i})
		case c == '=' || c == '(' || c == ')' || c == '[' || c == ']' || c == ',' || c == '.' || c == '+' || c == '-':
			i++
			toks = append(toks, token{kind: tPunct, text: src[start:i], start: start, end: i})
		default:
			// One UTF-8 sequence (or one stray byte) as the bad token.
			i++
			for i < len(src) && src[i]&0xC0 == 0x80 {
				i++
			}
			toks = append(toks, token{kind: tInvalid, text: src[start:i], start: start, end: i})
		}
	}
}
