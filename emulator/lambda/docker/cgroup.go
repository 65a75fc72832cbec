package docker

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"

	"github.com/docker/docker/client"
)

// cgroupLayout finds a container's memory peak file when the daemon runs
// on this host (Linux Docker Engine). Docker Desktop and remote daemons
// keep cgroups out of reach; stats are read through the API then.
type cgroupLayout struct {
	candidates []string // patterns with %s for the container id
}

func detectCgroups(version, driver string) cgroupLayout {
	var l cgroupLayout
	switch {
	case version == "1":
		// memory.max_usage_in_bytes is cgroup v1's peak.
		l.candidates = []string{
			"/sys/fs/cgroup/memory/docker/{id}/memory.max_usage_in_bytes",
			"/sys/fs/cgroup/memory/system.slice/docker-{id}.scope/memory.max_usage_in_bytes",
		}
	default:
		// memory.peak exists from Linux 5.19.
		l.candidates = []string{
			"/sys/fs/cgroup/system.slice/docker-{id}.scope/memory.peak",
			"/sys/fs/cgroup/docker/{id}/memory.peak",
		}
		if driver == "cgroupfs" {
			l.candidates[0], l.candidates[1] = l.candidates[1], l.candidates[0]
		}
	}
	return l
}

// memoryPeakFile returns the peak file that will hold id's peak once the
// container started. The directory appears at start, so the parent of
// the first candidate whose cgroup root exists is chosen.
func (l cgroupLayout) memoryPeakFile(id string) string {
	for _, c := range l.candidates {
		p := filepath.FromSlash(replaceID(c, id))
		// The container's own directory does not exist before start; the
		// directory above it (…/docker, …/system.slice) does.
		if _, err := os.Stat(filepath.Dir(filepath.Dir(p))); err == nil {
			return p
		}
	}
	return ""
}

func replaceID(pattern, id string) string {
	return string(bytes.ReplaceAll([]byte(pattern), []byte("{id}"), []byte(id)))
}

func readCgroupInt(path string) (int64, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	n, err := strconv.ParseInt(string(bytes.TrimSpace(b)), 10, 64)
	return n, err == nil
}

// containerPeak reads the container's peak (cgroup v1) or current
// (cgroup v2, which has no peak in stats) memory through the API.
func containerPeak(ctx context.Context, cli *client.Client, id string) int64 {
	resp, err := cli.ContainerStatsOneShot(ctx, id)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	var st struct {
		MemoryStats struct {
			Usage    int64 `json:"usage"`
			MaxUsage int64 `json:"max_usage"`
		} `json:"memory_stats"`
	}
	if json.NewDecoder(resp.Body).Decode(&st) != nil {
		return 0
	}
	if st.MemoryStats.MaxUsage > 0 {
		return st.MemoryStats.MaxUsage
	}
	return st.MemoryStats.Usage
}
