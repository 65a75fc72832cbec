// Package shared is imported by the api function only.
package shared

// Version names the shared code's revision.
const Version = "s0"
