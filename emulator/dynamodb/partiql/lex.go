package partiql

import "strings"

type tokKind uint8

const (
	tEOF    tokKind = iota
	tIdent          // bare identifier or keyword
	tQuoted         // "double-quoted identifier"
	tString         // 'single-quoted string'
	tNumber
	tParam // ?
	tPunct // ( ) [ ] { } , . * : ; << >>
	tOp    // = <> != < <= > >= + - / % ||
	tBad   // a character or comment the lexer cannot read
)

type token struct {
	kind tokKind
	text string // identifier/string contents unescaped; punctuation as written
	pos  int
}

func isIdentStart(c byte) bool {
	return c == '_' || c == '$' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isIdentChar(c byte) bool { return isIdentStart(c) || isDigit(c) }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// lex splits a statement into tokens. It always ends with tEOF; a character
// it cannot read becomes a tBad token, which the parser reports.
func lex(src string) []token {
	var toks []token
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			i++
		case c == '-' && i+1 < len(src) && src[i+1] == '-':
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(src) && src[i+1] == '*':
			end := strings.Index(src[i+2:], "*/")
			if end < 0 {
				return append(toks, token{kind: tBad, pos: i})
			}
			i += end + 4
		case isIdentStart(c):
			j := i + 1
			for j < len(src) && isIdentChar(src[j]) {
				j++
			}
			toks = append(toks, token{tIdent, src[i:j], i})
			i = j
		case c == '"' || c == '\'':
			text, j, ok := quoted(src, i, c)
			if !ok {
				return append(toks, token{kind: tBad, pos: i})
			}
			k := tQuoted
			if c == '\'' {
				k = tString
			}
			toks = append(toks, token{k, text, i})
			i = j
		case isDigit(c) || (c == '.' && i+1 < len(src) && isDigit(src[i+1])):
			j := i
			for j < len(src) && isDigit(src[j]) {
				j++
			}
			if j < len(src) && src[j] == '.' {
				j++
				for j < len(src) && isDigit(src[j]) {
					j++
				}
			}
			if j < len(src) && (src[j] == 'e' || src[j] == 'E') {
				k := j + 1
				if k < len(src) && (src[k] == '+' || src[k] == '-') {
					k++
				}
				if k < len(src) && isDigit(src[k]) {
					for k < len(src) && isDigit(src[k]) {
						k++
					}
					j = k
				}
			}
			toks = append(toks, token{tNumber, src[i:j], i})
			i = j
		case c == '?':
			toks = append(toks, token{tParam, "?", i})
			i++
		case c == '<' && strings.HasPrefix(src[i:], "<<"):
			toks = append(toks, token{tPunct, "<<", i})
			i += 2
		case c == '>' && strings.HasPrefix(src[i:], ">>"):
			toks = append(toks, token{tPunct, ">>", i})
			i += 2
		case c == '<' || c == '>' || c == '!':
			if i+1 < len(src) && (src[i+1] == '=' || (c == '<' && src[i+1] == '>')) {
				toks = append(toks, token{tOp, src[i : i+2], i})
				i += 2
			} else if c == '!' {
				return append(toks, token{kind: tBad, pos: i})
			} else {
				toks = append(toks, token{tOp, src[i : i+1], i})
				i++
			}
		case c == '|' && strings.HasPrefix(src[i:], "||"):
			toks = append(toks, token{tOp, "||", i})
			i += 2
		case strings.IndexByte("=+-/%", c) >= 0:
			toks = append(toks, token{tOp, src[i : i+1], i})
			i++
		case strings.IndexByte("()[]{},.*:;", c) >= 0:
			toks = append(toks, token{tPunct, src[i : i+1], i})
			i++
		default:
			return append(toks, token{kind: tBad, pos: i})
		}
	}
	return append(toks, token{kind: tEOF, pos: len(src)})
}

// quoted reads a quoted token starting at src[i] == q; a doubled quote
// stands for one quote character.
func quoted(src string, i int, q byte) (string, int, bool) {
	var b strings.Builder
	j := i + 1
	for j < len(src) {
		if src[j] == q {
			if j+1 < len(src) && src[j+1] == q {
				b.WriteByte(q)
				j += 2
				continue
			}
			return b.String(), j + 1, true
		}
		b.WriteByte(src[j])
		j++
	}
	return "", j, false
}
