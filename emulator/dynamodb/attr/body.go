package attr

import "errors"

// Body reads a request body's top-level JSON object member by member in a
// single pass, decoding AttributeValue members in place. It is the fast
// path for hot operations: it accepts only well-formed input of the
// expected shapes and reports anything else as ErrSlowPath, after which
// the caller decodes the body the general way (encoding/json), which
// produces DynamoDB's exact error for it. A Body therefore never decides
// which error a request gets.
type Body struct {
	d decoder
}

// ErrSlowPath means the body needs the general decoder.
var ErrSlowPath = errors.New("attr: body needs the general decoder")

// NewBody starts reading b.
func NewBody(b []byte) *Body { return &Body{d: decoder{b: b}} }

// Members calls fn with each member name of the top-level object; fn must
// consume the member's value with exactly one of the value methods. Every
// error is ErrSlowPath or one fn returned.
func (r *Body) Members(fn func(name string) error) error {
	d := &r.d
	d.ws()
	if d.i >= len(d.b) || d.b[d.i] != '{' {
		return ErrSlowPath
	}
	d.i++
	d.ws()
	if d.i < len(d.b) && d.b[d.i] == '}' {
		d.i++
		return r.end()
	}
	for {
		d.ws()
		_, raw, err := d.strRaw()
		if err != nil || raw == nil {
			return ErrSlowPath // escaped names take the general path
		}
		if err := d.colon(); err != nil {
			return ErrSlowPath
		}
		d.ws()
		if err := fn(string(raw)); err != nil {
			return err
		}
		more, err := d.next('}')
		if err != nil {
			return ErrSlowPath
		}
		if !more {
			return r.end()
		}
	}
}

func (r *Body) end() error {
	if r.d.end() != nil {
		return ErrSlowPath
	}
	return nil
}

// String reads a JSON string member.
func (r *Body) String() (string, error) {
	d := &r.d
	if d.i >= len(d.b) || d.b[d.i] != '"' {
		return "", ErrSlowPath
	}
	s, err := d.str()
	if err != nil {
		return "", ErrSlowPath
	}
	return s, nil
}

// StringPtr reads a JSON string into a new *string, as optional request
// members are held.
func (r *Body) StringPtr() (*string, error) {
	v, err := r.String()
	return &v, err
}

// object reads a JSON object nested in the body, calling fn with the
// reader at each member's value.
func (r *Body) object(fn func(key string) error) error {
	d := &r.d
	if d.i >= len(d.b) || d.b[d.i] != '{' {
		return ErrSlowPath
	}
	d.i++
	d.ws()
	if d.i < len(d.b) && d.b[d.i] == '}' {
		d.i++
		return nil
	}
	for {
		d.ws()
		k, err := d.str()
		if err != nil {
			return ErrSlowPath
		}
		if d.colon() != nil {
			return ErrSlowPath
		}
		d.ws()
		if err := fn(k); err != nil {
			return err
		}
		more, err := d.next('}')
		if err != nil {
			return ErrSlowPath
		}
		if !more {
			return nil
		}
	}
}

// StringMap reads a JSON object of strings.
func (r *Body) StringMap() (map[string]string, error) {
	m := map[string]string{}
	err := r.object(func(k string) error {
		v, err := r.String()
		m[k] = v
		return err
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// RawObject reads a JSON object of any values, returning each member's
// bytes unparsed (validated as JSON).
func (r *Body) RawObject() (map[string][]byte, error) {
	d := &r.d
	m := map[string][]byte{}
	err := r.object(func(k string) error {
		start := d.i
		if d.skip(0) != nil {
			return ErrSlowPath
		}
		m[k] = d.b[start:d.i]
		return nil
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// Form says how a value's bytes compare with its canonical encoding.
type Form uint8

const (
	// Rewritten bytes differ from the canonical encoding in what they say
	// or how they say it (whitespace, escapes, number spelling, binary,
	// ignored or repeated members).
	Rewritten Form = iota
	// Unordered bytes are the canonical encoding but for the order of
	// object members, which no JSON reader sees.
	Unordered
	// Canonical bytes are exactly what AppendItemJSON writes.
	Canonical
)

// Item reads a JSON object of AttributeValues. raw is the member's bytes
// (aliasing the body) and form how they compare with AppendItemJSON(item):
// unless Rewritten they can be stored instead of encoding the item again.
func (r *Body) Item() (item Item, raw []byte, form Form, err error) {
	d := &r.d
	if d.i >= len(d.b) || d.b[d.i] != '{' {
		return nil, nil, Rewritten, ErrSlowPath
	}
	start := d.i
	wasDirty, wasUnordered := d.dirty, d.unordered
	d.dirty, d.unordered = false, false
	m, err := d.object(0)
	if err != nil {
		return nil, nil, Rewritten, ErrSlowPath
	}
	switch {
	case d.dirty:
		form = Rewritten
	case d.unordered:
		form = Unordered
	default:
		form = Canonical
	}
	d.dirty, d.unordered = d.dirty || wasDirty, d.unordered || wasUnordered
	return m, d.b[start:d.i], form, nil
}

// Bool reads a JSON true or false member.
func (r *Body) Bool() (bool, error) {
	switch d := &r.d; {
	case d.literal("true"):
		return true, nil
	case d.literal("false"):
		return false, nil
	}
	return false, ErrSlowPath
}
