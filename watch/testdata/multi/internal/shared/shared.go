// Package shared is imported by both handlers.
package shared

// Greeting returns the greeting both functions use.
func Greeting(name string) string { return "hello, " + name }
