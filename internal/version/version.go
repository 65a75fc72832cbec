// Package version is the one place the release version, commit and date
// live. goreleaser sets them with -ldflags -X; a `go install` build falls
// back to the module's build info.
package version

import (
	"runtime"
	"runtime/debug"
)

// Set at release time with
// -ldflags "-X github.com/slsx/slsx/internal/version.Version=... -X ...Commit=... -X ...Date=...".
var (
	Version = ""
	Commit  = ""
	Date    = ""
)

// Info is what `slsx version` prints.
type Info struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	Date      string `json:"date"`
	GoVersion string `json:"go"`
	Platform  string `json:"platform"`
}

// Get returns the version information, falling back to the build info that
// the go command embeds (module version for `go install ...@v1.2.3`, VCS
// revision and time for a build from a checkout).
func Get() Info {
	info := Info{Version: Version, Commit: Commit, Date: Date, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if info.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			info.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if info.Commit == "" {
					info.Commit = s.Value
				}
			case "vcs.time":
				if info.Date == "" {
					info.Date = s.Value
				}
			}
		}
	}
	if info.Version == "" {
		info.Version = "dev"
	}
	if info.Commit == "" {
		info.Commit = "unknown"
	}
	if info.Date == "" {
		info.Date = "unknown"
	}
	return info
}

// Short is the version alone, used for image tags and User-Agent strings.
func Short() string { return Get().Version }
