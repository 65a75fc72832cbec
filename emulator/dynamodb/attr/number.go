package attr

import (
	"math/big"
	"strings"

	"github.com/slsx/slsx/emulator/awsapi"
)

// Number limits (reference §3.2): at most 38 significant digits, magnitude
// between 1E-130 and 9.99…E+125.
const (
	maxDigits = 38
	maxAdjExp = 125  // largest exponent of d.ddd×10^e
	minAdjExp = -130 // smallest exponent of d.ddd×10^e
)

// DynamoDB's number validation messages.
const (
	msgNumberInvalid   = "The parameter cannot be converted to a numeric value"
	msgNumberOverflow  = "Number overflow. Attempting to store a number with magnitude larger than supported range"
	msgNumberUnderflow = "Number underflow. Attempting to store a number with magnitude smaller than supported range"
	msgNumberDigits    = "Attempting to store more than 38 significant digits in a Number"
)

// Decimal is an exact DynamoDB number: sign, significant digits and the
// exponent of the value 0.d1d2…dn × 10^Exp. The zero value is the number 0.
type Decimal struct {
	neg    bool
	digits string // significant digits, no leading or trailing zeros; "" for zero
	exp    int
}

// nview is a non-allocating view of a number's text, used where numbers are
// compared or measured without building a Decimal.
type nview struct {
	neg    bool
	m      string // mantissa text, possibly holding one '.'
	lo, hi int    // significant digits live in m[lo:hi] (may contain the '.')
	exp    int    // value = 0.<digits> × 10^exp
}

func (v *nview) zero() bool { return v.lo >= v.hi }

// scanNumber parses DynamoDB number syntax. ok=false means the text is not a
// number at all; range and precision are checked by the caller.
func scanNumber(s string) (v nview, ok bool) {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		v.neg = s[i] == '-'
		i++
	}
	start := i
	dot := -1
	nd := 0
	for i < len(s) {
		c := s[i]
		if c >= '0' && c <= '9' {
			nd++
		} else if c == '.' && dot < 0 {
			dot = i
		} else {
			break
		}
		i++
	}
	if nd == 0 {
		return v, false
	}
	v.m = s[start:i]
	if dot >= 0 {
		dot -= start
	} else {
		dot = len(v.m)
	}
	e := 0
	if i < len(s) {
		if s[i] != 'e' && s[i] != 'E' {
			return v, false
		}
		i++
		eneg := false
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			eneg = s[i] == '-'
			i++
		}
		if i == len(s) {
			return v, false
		}
		for ; i < len(s); i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return v, false
			}
			if e < 1_000_000_000 {
				e = e*10 + int(c-'0')
			}
		}
		if eneg {
			e = -e
		}
	}
	// Find first and last significant digits.
	lo := 0
	for lo < len(v.m) && (v.m[lo] == '0' || v.m[lo] == '.') {
		lo++
	}
	hi := len(v.m)
	for hi > lo && (v.m[hi-1] == '0' || v.m[hi-1] == '.') {
		hi--
	}
	v.lo, v.hi = lo, hi
	if lo >= hi {
		v.neg = false
		return v, true
	}
	// Exponent: number of integer digits before the first significant one.
	if lo < dot {
		v.exp = dot - lo + e
	} else {
		v.exp = -(lo - dot - 1) + e
	}
	return v, true
}

func (v *nview) ndigits() int {
	n := v.hi - v.lo
	if n > 0 && strings.IndexByte(v.m[v.lo:v.hi], '.') >= 0 {
		n--
	}
	return n
}

func (v *nview) check(s string) error {
	if v.zero() {
		return nil
	}
	if v.exp-1 > maxAdjExp {
		return awsapi.ValidationError(msgNumberOverflow)
	}
	if v.exp-1 < minAdjExp {
		return awsapi.ValidationError(msgNumberUnderflow)
	}
	if v.ndigits() > maxDigits {
		return awsapi.ValidationError(msgNumberDigits)
	}
	return nil
}

// cmpView compares two number views numerically.
func cmpView(a, b *nview) int {
	az, bz := a.zero(), b.zero()
	switch {
	case az && bz:
		return 0
	case az:
		if b.neg {
			return 1
		}
		return -1
	case bz:
		if a.neg {
			return -1
		}
		return 1
	}
	if a.neg != b.neg {
		if a.neg {
			return -1
		}
		return 1
	}
	r := cmpMag(a, b)
	if a.neg {
		return -r
	}
	return r
}

func cmpMag(a, b *nview) int {
	if a.exp != b.exp {
		if a.exp < b.exp {
			return -1
		}
		return 1
	}
	i, j := a.lo, b.lo
	for {
		if i < a.hi && a.m[i] == '.' {
			i++
		}
		if j < b.hi && b.m[j] == '.' {
			j++
		}
		ae, be := i >= a.hi, j >= b.hi
		switch {
		case ae && be:
			return 0
		case ae:
			return -1
		case be:
			return 1
		}
		if a.m[i] != b.m[j] {
			if a.m[i] < b.m[j] {
				return -1
			}
			return 1
		}
		i++
		j++
	}
}

// compareNumbers compares two number texts numerically; invalid texts sort
// as zero (stored numbers are always valid).
func compareNumbers(a, b string) int {
	if a == b {
		return 0
	}
	va, _ := scanNumber(a)
	vb, _ := scanNumber(b)
	return cmpView(&va, &vb)
}

func numberError(s string) error {
	if s == "" {
		return awsapi.ValidationError(msgNumberInvalid)
	}
	return awsapi.ValidationError("%s: %s", msgNumberInvalid, s)
}

// ParseNumber parses and validates a DynamoDB number.
func ParseNumber(s string) (Decimal, error) {
	v, ok := scanNumber(s)
	if !ok {
		return Decimal{}, numberError(s)
	}
	if err := v.check(s); err != nil {
		return Decimal{}, err
	}
	return v.decimal(), nil
}

func (v *nview) decimal() Decimal {
	if v.zero() {
		return Decimal{}
	}
	d := v.m[v.lo:v.hi]
	if i := strings.IndexByte(d, '.'); i >= 0 {
		d = d[:i] + d[i+1:]
	}
	return Decimal{neg: v.neg, digits: d, exp: v.exp}
}

// CanonicalNumber validates a number's text and returns its canonical form:
// no '+', no leading zeros, no trailing fractional zeros, "-0" as "0".
func CanonicalNumber(s string) (string, error) {
	v, ok := scanNumber(s)
	if !ok {
		return "", numberError(s)
	}
	if err := v.check(s); err != nil {
		return "", err
	}
	if v.canonical(s) {
		return s, nil
	}
	d := v.decimal()
	return d.String(), nil
}

// canonical reports whether s is already in canonical form, which lets the
// decoder keep the input string without building a new one.
func (v *nview) canonical(s string) bool {
	if len(s) == 0 || s[0] == '+' || len(v.m) != len(s)-boolInt(v.neg) {
		return false // sign '+', exponent, or "-0"
	}
	m := v.m
	if v.zero() {
		return m == "0"
	}
	dot := strings.IndexByte(m, '.')
	if dot < 0 {
		return m[0] != '0'
	}
	if m[len(m)-1] == '0' || m[len(m)-1] == '.' {
		return false
	}
	if m[0] == '0' {
		return dot == 1
	}
	return m[0] != '.'
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// IsZero reports whether d is 0.
func (d Decimal) IsZero() bool { return d.digits == "" }

// Neg reports whether d is negative.
func (d Decimal) Neg() bool { return d.neg }

// String returns the canonical plain-decimal text.
func (d Decimal) String() string {
	if d.digits == "" {
		return "0"
	}
	var b strings.Builder
	n := len(d.digits)
	b.Grow(n + 4 + abs(d.exp))
	if d.neg {
		b.WriteByte('-')
	}
	switch {
	case d.exp <= 0:
		b.WriteString("0.")
		for i := 0; i < -d.exp; i++ {
			b.WriteByte('0')
		}
		b.WriteString(d.digits)
	case d.exp >= n:
		b.WriteString(d.digits)
		for i := 0; i < d.exp-n; i++ {
			b.WriteByte('0')
		}
	default:
		b.WriteString(d.digits[:d.exp])
		b.WriteByte('.')
		b.WriteString(d.digits[d.exp:])
	}
	return b.String()
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// Cmp compares d and e numerically (-1, 0, +1).
func (d Decimal) Cmp(e Decimal) int {
	a := nview{neg: d.neg, m: d.digits, lo: 0, hi: len(d.digits), exp: d.exp}
	b := nview{neg: e.neg, m: e.digits, lo: 0, hi: len(e.digits), exp: e.exp}
	return cmpView(&a, &b)
}

// Add returns d+e, or DynamoDB's overflow, underflow or precision error.
func (d Decimal) Add(e Decimal) (Decimal, error) { return addDec(d, e, false) }

// Sub returns d-e, or DynamoDB's overflow, underflow or precision error.
func (d Decimal) Sub(e Decimal) (Decimal, error) { return addDec(d, e, true) }

// scaled returns the coefficient and scale: d = coef × 10^scale.
func (d Decimal) scaled() (*big.Int, int) {
	c, _ := new(big.Int).SetString(d.digits, 10)
	if d.neg {
		c.Neg(c)
	}
	return c, d.exp - len(d.digits)
}

var ten = big.NewInt(10)

func addDec(d, e Decimal, sub bool) (Decimal, error) {
	if e.digits == "" {
		return d, nil
	}
	if sub {
		e.neg = !e.neg
	}
	if d.digits == "" {
		return e, nil
	}
	a, as := d.scaled()
	b, bs := e.scaled()
	if as > bs {
		a.Mul(a, new(big.Int).Exp(ten, big.NewInt(int64(as-bs)), nil))
		as = bs
	} else if bs > as {
		b.Mul(b, new(big.Int).Exp(ten, big.NewInt(int64(bs-as)), nil))
	}
	a.Add(a, b)
	if a.Sign() == 0 {
		return Decimal{}, nil
	}
	neg := a.Sign() < 0
	txt := a.Abs(a).String()
	t := len(txt)
	for t > 0 && txt[t-1] == '0' {
		t--
	}
	r := Decimal{neg: neg, digits: txt[:t], exp: as + len(txt)}
	if r.exp-1 > maxAdjExp {
		return Decimal{}, awsapi.ValidationError(msgNumberOverflow)
	}
	if r.exp-1 < minAdjExp {
		return Decimal{}, awsapi.ValidationError(msgNumberUnderflow)
	}
	if len(r.digits) > maxDigits {
		return Decimal{}, awsapi.ValidationError(msgNumberDigits)
	}
	return r, nil
}
