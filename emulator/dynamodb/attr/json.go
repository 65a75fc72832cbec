package attr

import (
	"encoding/base64"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/slsx/slsx/emulator/awsapi"
)

// MaxDepth is the deepest nesting DynamoDB stores (reference §12.5).
const MaxDepth = 32

// DynamoDB's AttributeValue validation messages (reference §3.1).
const (
	msgEmpty       = "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
	msgMany        = "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes"
	msgNullFalse   = "One or more parameter values were invalid: Null attribute value types must have the value of true"
	msgEmptySS     = "One or more parameter values were invalid: An string set  may not be empty"
	msgEmptyNS     = "One or more parameter values were invalid: An number set  may not be empty"
	msgEmptyBS     = "One or more parameter values were invalid: Binary sets should not be empty"
	msgNesting     = "Nesting Levels have exceeded supported limits"
	msgBadBase64   = "only base-64-encoded strings are convertible to bytes"
	msgMalformed   = "Malformed JSON"
	msgUnexpected  = "Unexpected field type"
	msgStructStart = "Start of structure or map found where not expected"
	msgListStart   = "Start of list found where not expected"
)

func serializationError(msg string) error {
	return awsapi.Errorf(http.StatusBadRequest, "SerializationException", "%s", msg)
}

func validation(msg string) error { return awsapi.ValidationError("%s", msg) }

// String returns the wire descriptor ("S", "NS", ...).
func (k Kind) String() string {
	if k >= S && k <= BS {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

var kindNames = [...]string{"", "S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS"}

// KindOf maps a wire descriptor to its Kind (0 when unknown).
func KindOf(name string) Kind {
	switch name {
	case "S":
		return S
	case "N":
		return N
	case "B":
		return B
	case "BOOL":
		return BOOL
	case "NULL":
		return NULL
	case "M":
		return M
	case "L":
		return L
	case "SS":
		return SS
	case "NS":
		return NS
	case "BS":
		return BS
	}
	return 0
}

// MarshalJSON writes the wire form.
func (v Value) MarshalJSON() ([]byte, error) { return AppendJSON(nil, v), nil }

// MarshalJSON writes the item's wire form.
func (it Item) MarshalJSON() ([]byte, error) { return AppendItemJSON(nil, it), nil }

// AppendItemJSON appends the item as a JSON object of AttributeValues,
// names in sorted order so equal items encode to equal bytes.
func AppendItemJSON(dst []byte, it Item) []byte {
	if it == nil {
		return append(dst, "{}"...)
	}
	return appendMap(dst, it)
}

func appendMap(dst []byte, m map[string]Value) []byte {
	dst = append(dst, '{')
	var buf [16]string
	keys := buf[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i, k := range keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, k)
		dst = append(dst, ':')
		dst = AppendJSON(dst, m[k])
	}
	return append(dst, '}')
}

// AppendJSON appends the value's wire form, e.g. {"S":"x"}.
func AppendJSON(dst []byte, v Value) []byte {
	switch v.Kind {
	case S:
		dst = append(dst, `{"S":`...)
		dst = appendString(dst, v.Str)
	case N:
		dst = append(dst, `{"N":`...)
		dst = appendString(dst, v.Str)
	case B:
		dst = append(dst, `{"B":"`...)
		dst = base64.StdEncoding.AppendEncode(dst, v.Bin)
		dst = append(dst, '"')
	case BOOL:
		if v.Bool {
			return append(dst, `{"BOOL":true}`...)
		}
		return append(dst, `{"BOOL":false}`...)
	case NULL:
		return append(dst, `{"NULL":true}`...)
	case M:
		dst = append(dst, `{"M":`...)
		dst = appendMap(dst, v.Map)
	case L:
		dst = append(dst, `{"L":[`...)
		for i := range v.List {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = AppendJSON(dst, v.List[i])
		}
		dst = append(dst, ']')
	case SS, NS:
		if v.Kind == SS {
			dst = append(dst, `{"SS":[`...)
		} else {
			dst = append(dst, `{"NS":[`...)
		}
		for i, s := range v.Strs {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, s)
		}
		dst = append(dst, ']')
	case BS:
		dst = append(dst, `{"BS":[`...)
		for i, b := range v.Bins {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, '"')
			dst = base64.StdEncoding.AppendEncode(dst, b)
			dst = append(dst, '"')
		}
		dst = append(dst, ']')
	default:
		return append(dst, "{}"...)
	}
	return append(dst, '}')
}

const hexDigits = "0123456789abcdef"

// appendString writes s as a JSON string. Invalid UTF-8 becomes U+FFFD, as
// encoding/json does.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// UnmarshalJSON decodes and validates one AttributeValue.
func (v *Value) UnmarshalJSON(b []byte) error {
	d := decoder{b: b}
	val, err := d.value(1)
	if err != nil {
		return err
	}
	if err := d.end(); err != nil {
		return err
	}
	*v = val
	return nil
}

// UnmarshalJSON decodes and validates an item (a map of AttributeValues).
func (it *Item) UnmarshalJSON(b []byte) error {
	m, err := DecodeItem(b)
	if err != nil {
		return err
	}
	*it = m
	return nil
}

// DecodeItem decodes and validates an item from its wire JSON. JSON null
// decodes to a nil Item.
func DecodeItem(b []byte) (Item, error) {
	d := decoder{b: b}
	d.ws()
	if d.literal("null") {
		return nil, d.end()
	}
	m, err := d.object(0)
	if err != nil {
		return nil, err
	}
	if err := d.end(); err != nil {
		return nil, err
	}
	return m, nil
}

type decoder struct {
	b []byte
	i int
	// dirty records that the input differs from the canonical encoding
	// AppendJSON would write for the decoded value: whitespace, escapes,
	// unsorted or repeated names, non-canonical numbers, binary values,
	// ignored members. While it stays false the bytes read are exactly the
	// canonical encoding and can be stored as they are.
	dirty bool
	// unordered records that some object's names were not in sorted order
	// (but distinct): the input is the canonical encoding up to member
	// order, which JSON readers do not see.
	unordered bool
}

func (d *decoder) ws() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
			d.dirty = true
		default:
			return
		}
	}
}

func (d *decoder) end() error {
	d.ws()
	if d.i != len(d.b) {
		return serializationError(msgMalformed)
	}
	return nil
}

func (d *decoder) literal(s string) bool {
	if len(d.b)-d.i >= len(s) && string(d.b[d.i:d.i+len(s)]) == s {
		d.i += len(s)
		return true
	}
	return false
}

// peekType names the JSON value at the cursor the way Coral's messages do.
func (d *decoder) typeError(want string) error {
	d.ws()
	if d.i >= len(d.b) {
		return serializationError(msgMalformed)
	}
	switch c := d.b[d.i]; {
	case c == '{':
		return serializationError(msgStructStart)
	case c == '[':
		return serializationError(msgListStart)
	case c == '"':
		return serializationError("STRING_VALUE cannot be converted to " + want)
	case c == 't':
		return serializationError("TRUE_VALUE cannot be converted to " + want)
	case c == 'f':
		return serializationError("FALSE_VALUE cannot be converted to " + want)
	case c == '-' || (c >= '0' && c <= '9'):
		return serializationError("NUMBER_VALUE cannot be converted to " + want)
	}
	return serializationError(msgMalformed)
}

// object decodes a JSON object of AttributeValues at nesting depth.
func (d *decoder) object(depth int) (map[string]Value, error) {
	d.ws()
	if d.i >= len(d.b) || d.b[d.i] != '{' {
		return nil, d.typeError("Map")
	}
	d.i++
	m := make(map[string]Value)
	d.ws()
	if d.i < len(d.b) && d.b[d.i] == '}' {
		d.i++
		return m, nil
	}
	prev, n := "", 0
	for {
		d.ws()
		k, err := d.str()
		if err != nil {
			return nil, err
		}
		if n > 0 && k <= prev {
			d.unordered = true // AppendJSON writes names sorted
		}
		prev = k
		n++
		if err := d.colon(); err != nil {
			return nil, err
		}
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		m[k] = v
		more, err := d.next('}')
		if err != nil {
			return nil, err
		}
		if !more {
			if len(m) != n {
				d.dirty = true // a repeated name: the last one counts
			}
			return m, nil
		}
	}
}

func (d *decoder) colon() error {
	d.ws()
	if d.i >= len(d.b) || d.b[d.i] != ':' {
		return serializationError(msgMalformed)
	}
	d.i++
	return nil
}

// next consumes ',' (more=true) or the closing byte (more=false).
func (d *decoder) next(close byte) (bool, error) {
	d.ws()
	if d.i < len(d.b) {
		switch d.b[d.i] {
		case ',':
			d.i++
			return true, nil
		case close:
			d.i++
			return false, nil
		}
	}
	return false, serializationError(msgMalformed)
}

// value decodes one AttributeValue object.
func (d *decoder) value(depth int) (Value, error) {
	if depth > MaxDepth {
		return Value{}, validation(msgNesting)
	}
	d.ws()
	if d.i >= len(d.b) || d.b[d.i] != '{' {
		if d.literal("null") {
			return Value{}, validation(msgEmpty)
		}
		return Value{}, d.typeError("AttributeValue")
	}
	d.i++
	var v Value
	types := 0
	var verr error // first validation error, reported after decoding
	d.ws()
	if d.i < len(d.b) && d.b[d.i] == '}' {
		d.i++
		return Value{}, validation(msgEmpty)
	}
	for {
		d.ws()
		key, err := d.str()
		if err != nil {
			return Value{}, err
		}
		if err := d.colon(); err != nil {
			return Value{}, err
		}
		d.ws()
		if d.literal("null") {
			d.dirty = true
			goto next
		}
		switch k := KindOf(key); k {
		case S, N:
			s, err := d.strValue("String")
			if err != nil {
				return Value{}, err
			}
			types++
			v.Kind = k
			if k == N {
				c, err := CanonicalNumber(s)
				if err != nil && verr == nil {
					verr = err
				}
				if c != s {
					d.dirty = true
				}
				s = c
			}
			v.Str = s
		case B:
			b, err := d.binValue()
			if err != nil {
				return Value{}, err
			}
			d.dirty = true // base64 has more than one spelling
			types++
			v.Kind, v.Bin = B, b
		case BOOL, NULL:
			var bv bool
			switch {
			case d.literal("true"):
				bv = true
			case d.literal("false"):
			default:
				return Value{}, d.typeError("Boolean")
			}
			types++
			v.Kind = k
			if k == BOOL {
				v.Bool = bv
			} else if !bv && verr == nil {
				verr = validation(msgNullFalse)
			}
		case M:
			m, err := d.object(depth)
			if err != nil {
				return Value{}, err
			}
			types++
			v.Kind, v.Map = M, m
		case L:
			l, err := d.list(depth)
			if err != nil {
				return Value{}, err
			}
			types++
			v.Kind, v.List = L, l
		case SS, NS:
			ss, err := d.strings()
			if err != nil {
				return Value{}, err
			}
			types++
			v.Kind = k
			if k == NS {
				d.dirty = true // elements are canonicalised in place
			}
			if err := checkStringSet(k, ss); err != nil && verr == nil {
				verr = err
			}
			v.Strs = ss
		case BS:
			bs, err := d.bins()
			if err != nil {
				return Value{}, err
			}
			types++
			d.dirty = true
			v.Kind, v.Bins = BS, bs
			if err := checkBinSet(bs); err != nil && verr == nil {
				verr = err
			}
		default:
			d.dirty = true
			if err := d.skip(0); err != nil {
				return Value{}, err
			}
		}
	next:
		more, err := d.next('}')
		if err != nil {
			return Value{}, err
		}
		if !more {
			break
		}
	}
	switch {
	case types == 0:
		return Value{}, validation(msgEmpty)
	case types > 1:
		return Value{}, validation(msgMany)
	case verr != nil:
		return Value{}, verr
	}
	return v, nil
}

func (d *decoder) list(depth int) ([]Value, error) {
	if d.i >= len(d.b) || d.b[d.i] != '[' {
		return nil, d.typeError("List")
	}
	d.i++
	l := []Value{}
	d.ws()
	if d.i < len(d.b) && d.b[d.i] == ']' {
		d.i++
		return l, nil
	}
	for {
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		l = append(l, v)
		more, err := d.next(']')
		if err != nil {
			return nil, err
		}
		if !more {
			return l, nil
		}
	}
}

func (d *decoder) strings() ([]string, error) {
	if d.i >= len(d.b) || d.b[d.i] != '[' {
		return nil, d.typeError("List")
	}
	d.i++
	var l []string
	d.ws()
	if d.i < len(d.b) && d.b[d.i] == ']' {
		d.i++
		return l, nil
	}
	for {
		d.ws()
		s, err := d.strValue("String")
		if err != nil {
			return nil, err
		}
		l = append(l, s)
		more, err := d.next(']')
		if err != nil {
			return nil, err
		}
		if !more {
			return l, nil
		}
	}
}

func (d *decoder) bins() ([][]byte, error) {
	if d.i >= len(d.b) || d.b[d.i] != '[' {
		return nil, d.typeError("List")
	}
	d.i++
	var l [][]byte
	d.ws()
	if d.i < len(d.b) && d.b[d.i] == ']' {
		d.i++
		return l, nil
	}
	for {
		d.ws()
		b, err := d.binValue()
		if err != nil {
			return nil, err
		}
		l = append(l, b)
		more, err := d.next(']')
		if err != nil {
			return nil, err
		}
		if !more {
			return l, nil
		}
	}
}

func checkStringSet(k Kind, ss []string) error {
	if len(ss) == 0 {
		if k == SS {
			return validation(msgEmptySS)
		}
		return validation(msgEmptyNS)
	}
	if k == NS {
		for i, s := range ss {
			c, err := CanonicalNumber(s)
			if err != nil {
				return err
			}
			ss[i] = c
		}
	}
	dup := false
	if len(ss) <= 16 {
		for i := 1; i < len(ss) && !dup; i++ {
			for j := 0; j < i; j++ {
				if ss[i] == ss[j] {
					dup = true
					break
				}
			}
		}
	} else {
		seen := make(map[string]struct{}, len(ss))
		for _, s := range ss {
			if _, ok := seen[s]; ok {
				dup = true
				break
			}
			seen[s] = struct{}{}
		}
	}
	if dup {
		return awsapi.ValidationError("One or more parameter values were invalid: Input collection [%s] contains duplicates.", strings.Join(ss, ", "))
	}
	return nil
}

func checkBinSet(bs [][]byte) error {
	if len(bs) == 0 {
		return validation(msgEmptyBS)
	}
	for i := 1; i < len(bs); i++ {
		if ContainsBin(bs[:i], bs[i]) {
			parts := make([]string, len(bs))
			for j, b := range bs {
				parts[j] = base64.StdEncoding.EncodeToString(b)
			}
			return awsapi.ValidationError("One or more parameter values were invalid: Input collection [%s] contains duplicates.", strings.Join(parts, ", "))
		}
	}
	return nil
}

func (d *decoder) strValue(want string) (string, error) {
	if d.i >= len(d.b) || d.b[d.i] != '"' {
		return "", d.typeError(want)
	}
	return d.str()
}

func (d *decoder) binValue() ([]byte, error) {
	if d.i >= len(d.b) || d.b[d.i] != '"' {
		return nil, d.typeError("ByteBuffer")
	}
	s, raw, err := d.strRaw()
	if err != nil {
		return nil, err
	}
	if raw == nil {
		raw = []byte(s)
	}
	out := make([]byte, base64.StdEncoding.DecodedLen(len(raw)))
	n, err := base64.StdEncoding.Decode(out, raw)
	if err != nil {
		out = make([]byte, base64.RawStdEncoding.DecodedLen(len(raw)))
		n, err = base64.RawStdEncoding.Decode(out, raw)
		if err != nil {
			return nil, serializationError(msgBadBase64)
		}
	}
	return out[:n], nil
}

// str decodes a JSON string at the cursor.
func (d *decoder) str() (string, error) {
	s, raw, err := d.strRaw()
	if raw != nil {
		return string(raw), err
	}
	return s, err
}

// strRaw decodes a JSON string. Without escapes it returns the raw bytes
// (aliasing the input) so callers choose whether to copy.
func (d *decoder) strRaw() (string, []byte, error) {
	if d.i >= len(d.b) || d.b[d.i] != '"' {
		return "", nil, serializationError(msgMalformed)
	}
	d.i++
	start := d.i
	ascii := true
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			raw := d.b[start:d.i]
			d.i++
			if !ascii && !utf8.Valid(raw) {
				return "", nil, serializationError(msgMalformed)
			}
			return "", raw, nil
		case c == '\\':
			d.dirty = true
			return d.strSlow(start)
		case c < 0x20:
			return "", nil, serializationError(msgMalformed)
		case c >= utf8.RuneSelf:
			ascii = false
		}
		d.i++
	}
	return "", nil, serializationError(msgMalformed)
}

func (d *decoder) strSlow(start int) (string, []byte, error) {
	buf := make([]byte, 0, d.i-start+16)
	buf = append(buf, d.b[start:d.i]...)
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			d.i++
			if !utf8.Valid(buf) {
				return "", nil, serializationError(msgMalformed)
			}
			return string(buf), nil, nil
		case c < 0x20:
			return "", nil, serializationError(msgMalformed)
		case c != '\\':
			buf = append(buf, c)
			d.i++
			continue
		}
		d.i++
		if d.i >= len(d.b) {
			break
		}
		e := d.b[d.i]
		d.i++
		switch e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, ok := d.hex4()
			if !ok {
				return "", nil, serializationError(msgMalformed)
			}
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if d.i+1 < len(d.b) && d.b[d.i] == '\\' && d.b[d.i+1] == 'u' {
					save := d.i
					d.i += 2
					var ok2 bool
					if r2, ok2 = d.hex4(); !ok2 {
						return "", nil, serializationError(msgMalformed)
					}
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						r = dec
					} else {
						d.i = save
						r = utf8.RuneError
					}
				} else {
					r = utf8.RuneError
				}
			}
			buf = utf8.AppendRune(buf, r)
		default:
			return "", nil, serializationError(msgMalformed)
		}
	}
	return "", nil, serializationError(msgMalformed)
}

func (d *decoder) hex4() (rune, bool) {
	if d.i+4 > len(d.b) {
		return 0, false
	}
	var r rune
	for _, c := range d.b[d.i : d.i+4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	d.i += 4
	return r, true
}

// skip validates and skips any JSON value (unknown members are ignored).
func (d *decoder) skip(depth int) error {
	if depth > 512 {
		return serializationError(msgMalformed)
	}
	d.ws()
	if d.i >= len(d.b) {
		return serializationError(msgMalformed)
	}
	switch c := d.b[d.i]; {
	case c == '"':
		_, _, err := d.strRaw()
		return err
	case c == '{':
		d.i++
		d.ws()
		if d.i < len(d.b) && d.b[d.i] == '}' {
			d.i++
			return nil
		}
		for {
			d.ws()
			if _, _, err := d.strRaw(); err != nil {
				return err
			}
			if err := d.colon(); err != nil {
				return err
			}
			if err := d.skip(depth + 1); err != nil {
				return err
			}
			more, err := d.next('}')
			if err != nil || !more {
				return err
			}
		}
	case c == '[':
		d.i++
		d.ws()
		if d.i < len(d.b) && d.b[d.i] == ']' {
			d.i++
			return nil
		}
		for {
			if err := d.skip(depth + 1); err != nil {
				return err
			}
			more, err := d.next(']')
			if err != nil || !more {
				return err
			}
		}
	case d.literal("true"), d.literal("false"), d.literal("null"):
		return nil
	case c == '-' || (c >= '0' && c <= '9'):
		start := d.i
		for d.i < len(d.b) && strings.IndexByte("+-.eE0123456789", d.b[d.i]) >= 0 {
			d.i++
		}
		if _, err := strconv.ParseFloat(string(d.b[start:d.i]), 64); err != nil {
			if ne, ok := err.(*strconv.NumError); !ok || ne.Err != strconv.ErrRange {
				return serializationError(msgMalformed)
			}
		}
		return nil
	}
	return serializationError(msgMalformed)
}
