// Package partiql parses the PartiQL dialect DynamoDB accepts (SELECT,
// INSERT, UPDATE, DELETE and, in transactions, EXISTS) into statements whose
// conditions and updates compile to the expression language of package
// expr, so one evaluator serves both APIs. Errors carry DynamoDB's messages.
package partiql

import (
	"strconv"
	"strings"

	"github.com/slsx/slsx/emulator/dynamodb/attr"
)

// Kind is a statement's operation.
type Kind uint8

// Statement kinds.
const (
	Select Kind = iota + 1
	Insert
	Update
	Delete
	Exists // EXISTS(SELECT ...): a condition check inside ExecuteTransaction
)

func (k Kind) String() string {
	switch k {
	case Select:
		return "SELECT"
	case Insert:
		return "INSERT"
	case Update:
		return "UPDATE"
	case Delete:
		return "DELETE"
	case Exists:
		return "EXISTS"
	}
	return "?"
}

// IsRead reports whether the statement only reads.
func (k Kind) IsRead() bool { return k == Select }

// Statement is one parsed statement with its parameters bound.
type Statement struct {
	Kind  Kind
	Table string
	Index string // SELECT ... FROM "table"."index"; "" otherwise

	// SELECT: Projection is nil for *.
	Projection []Path
	OrderBy    []Order

	// INSERT
	Item attr.Item

	// UPDATE
	Sets    []Assign
	Removes []Path

	// Returning is the RETURNING clause in ReturnValues terms: "",
	// ALL_OLD, UPDATED_OLD, ALL_NEW or UPDATED_NEW.
	Returning string

	Where Expr // nil when there is no WHERE clause
}

// Order is one ORDER BY term.
type Order struct {
	Name string
	Desc bool
}

// Assign is one SET action: Path = Value.
type Assign struct {
	Path  Path
	Value Expr
}

// PathElem is one step of a document path: a map key or a list index.
type PathElem struct {
	Name    string
	Index   int
	IsIndex bool
}

// Path is a document path; its first element is always a name.
type Path []PathElem

func (p Path) String() string {
	var b strings.Builder
	for i, e := range p {
		switch {
		case e.IsIndex:
			b.WriteString("[" + strconv.Itoa(e.Index) + "]")
		case i > 0:
			b.WriteString("." + e.Name)
		default:
			b.WriteString(e.Name)
		}
	}
	return b.String()
}

// Expr is a node of a WHERE condition or a SET value.
type Expr interface{ isExpr() }

// Lit is a literal or a bound parameter.
type Lit struct{ V attr.Value }

// Binary is a comparison (= <> < <= > >=), AND, OR, or arithmetic (+ -).
type Binary struct {
	Op   string
	L, R Expr
}

// Not negates a condition.
type Not struct{ X Expr }

// Between is X [NOT] BETWEEN Lo AND Hi.
type Between struct {
	X, Lo, Hi Expr
	Negate    bool
}

// In is X [NOT] IN [list].
type In struct {
	X      Expr
	List   []Expr
	Negate bool
}

// Is is X IS [NOT] <type>, the type upper-cased (MISSING, NULL, STRING...).
type Is struct {
	X      Expr
	Type   string
	Negate bool
}

// Call is a function call; Name is lower-cased.
type Call struct {
	Name string
	Args []Expr
}

func (Path) isExpr()    {}
func (Lit) isExpr()     {}
func (Binary) isExpr()  {}
func (Not) isExpr()     {}
func (Between) isExpr() {}
func (In) isExpr()      {}
func (Is) isExpr()      {}
func (Call) isExpr()    {}
