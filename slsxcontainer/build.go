package slsxcontainer

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/client"
)

// Repository is the repository BuildImage tags images in.
const Repository = "slsx"

// caBundles are the host CA bundles BuildImage copies into the image,
// first found wins.
var caBundles = []string{
	"/etc/ssl/certs/ca-certificates.crt",
	"/etc/pki/tls/certs/ca-bundle.crt",
	"/etc/ssl/cert.pem",
}

// BuildImage builds the slsx image from a checkout at repoRoot: a static
// linux binary of ./cmd/slsx (go build, CGO_ENABLED=0) and the repository's
// Dockerfile, sent to the Docker daemon as an in-memory context. It returns
// the tag, slsx:<content digest>, so an unchanged build reuses the image.
func BuildImage(ctx context.Context, repoRoot string) (string, error) {
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		return "", err
	}
	dockerfile, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	if err != nil {
		return "", fmt.Errorf("read Dockerfile: %w", err)
	}
	tmp, err := os.MkdirTemp("", "slsx-image-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "slsx")
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", bin, "./cmd/slsx")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build slsx: %v\n%s", err, out)
	}
	slsx, err := os.ReadFile(bin)
	if err != nil {
		return "", err
	}
	var ca []byte
	for _, p := range caBundles {
		if ca, err = os.ReadFile(p); err == nil {
			break
		}
	}
	ctxTar, err := tarOf([]file{
		{"Dockerfile", 0o644, dockerfile},
		{"slsx", 0o755, slsx},
		{"ca-certificates.crt", 0o644, ca}, // empty when the host has none
	})
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(ctxTar)
	tag := Repository + ":" + hex.EncodeToString(sum[:6])

	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return "", err
	}
	defer cli.Close()
	if _, err := cli.ImageInspect(ctx, tag); err == nil {
		return tag, nil
	}
	resp, err := cli.ImageBuild(ctx, bytes.NewReader(ctxTar), build.ImageBuildOptions{
		Tags: []string{tag}, Remove: true, ForceRemove: true, Version: build.BuilderV1,
		Labels: map[string]string{"org.opencontainers.image.title": "slsx"},
	})
	if err != nil {
		return "", fmt.Errorf("build image: %w", err)
	}
	defer resp.Body.Close()
	if err := buildError(resp.Body); err != nil {
		return "", fmt.Errorf("build image: %w", err)
	}
	return tag, nil
}

type file struct {
	name string
	mode int64
	body []byte
}

func tarOf(files []file) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		h := &tar.Header{Name: f.name, Mode: f.mode, Size: int64(len(f.body)), ModTime: time.Unix(0, 0), Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.body); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// buildError reads a build's JSON message stream and returns its error.
func buildError(r io.Reader) error {
	dec := json.NewDecoder(r)
	for {
		var m struct {
			Stream string `json:"stream"`
			Error  string `json:"error"`
		}
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if m.Error != "" {
			return errors.New(strings.TrimSpace(m.Error))
		}
	}
}
