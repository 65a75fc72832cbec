package docker

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
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/client"
	"github.com/slsx/slsx/internal/version"
)

// Lambda's sandbox user and group (sbx_user1051).
const (
	lambdaUID = 993
	lambdaGID = 990
)

// RuntimeRepository is the repository of slsx's runtime image.
const RuntimeRepository = "slsx-runtime"

// labelContext marks the runtime image with a digest of its build context,
// so a changed context under an unchanged tag ("dev") is rebuilt.
const labelContext = "slsx.runtime.context"

// caBundlePaths are where Linux distributions keep the CA bundle, first
// found wins. A handler calling real AWS (or any HTTPS) needs them.
var caBundlePaths = []string{
	"/etc/ssl/certs/ca-certificates.crt", // Debian, Ubuntu, Alpine, Arch
	"/etc/pki/tls/certs/ca-bundle.crt",   // Fedora, RHEL, Amazon Linux
	"/etc/ssl/cert.pem",                  // macOS, OpenBSD
}

// RuntimeImage is the tag of the runtime image for this slsx version.
func RuntimeImage() string { return RuntimeRepository + ":" + tagSafe(version.Short()) }

// tagSafe maps a version to a valid image tag: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}.
func tagSafe(v string) string {
	b := []byte(v)
	for i, c := range b {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || (i > 0 && (c == '.' || c == '-'))
		if !ok {
			b[i] = '_'
		}
	}
	if len(b) == 0 {
		return "dev"
	}
	if len(b) > 128 {
		b = b[:128]
	}
	return string(b)
}

// imageCache remembers which images are known to be present, and builds
// the runtime image once however many environments start together.
type imageCache struct {
	x     *Executor
	mu    sync.Mutex // held while checking or building: first starts wait for one build
	ready map[string]bool
}

// resolve returns the image an environment runs: want when it is set and
// present, the runtime image (built if needed) when want is "".
func (c *imageCache) resolve(ctx context.Context, want string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ready == nil {
		c.ready = make(map[string]bool)
	}
	if want != "" {
		if c.ready[want] {
			return want, nil
		}
		if _, err := c.x.cli.ImageInspect(ctx, want); err != nil {
			if client.IsErrNotFound(err) {
				return "", fmt.Errorf("image %s is not present locally; slsx does not pull images: run `docker pull %s` or `docker build -t %s .`, or remove the function's image to use slsx's runtime image", want, want, want)
			}
			return "", fmt.Errorf("inspect image %s: %w", want, err)
		}
		c.ready[want] = true
		return want, nil
	}
	tag := RuntimeImage()
	if c.ready[tag] {
		return tag, nil
	}
	ctxTar, digest, err := runtimeContext()
	if err != nil {
		return "", err
	}
	img, err := c.x.cli.ImageInspect(ctx, tag)
	switch {
	case err == nil && img.Config != nil && img.Config.Labels[labelContext] == digest:
	case err == nil || client.IsErrNotFound(err):
		start := time.Now()
		if err := buildImage(ctx, c.x.cli, bytes.NewReader(ctxTar), tag, map[string]string{labelContext: digest}); err != nil {
			return "", fmt.Errorf("build runtime image %s: %w", tag, err)
		}
		c.x.log.Info("built runtime image", "image", tag, "took", time.Since(start).Round(time.Millisecond))
	default:
		return "", fmt.Errorf("inspect image %s: %w", tag, err)
	}
	c.ready[tag] = true
	return tag, nil
}

// forget drops an image from the cache after Docker said it is gone, so
// the next start checks (and rebuilds) it.
func (c *imageCache) forget(ref string) {
	c.mu.Lock()
	delete(c.ready, ref)
	c.mu.Unlock()
}

// runtimeContext is the build context of the runtime image: a Dockerfile
// and a root file system, as a tar, with a digest of its content.
func runtimeContext() ([]byte, string, error) {
	var ca []byte
	for _, p := range caBundlePaths {
		if b, err := os.ReadFile(p); err == nil {
			ca = b
			break
		}
	}
	files := []tarEntry{
		{name: "Dockerfile", mode: 0o644, body: []byte("FROM scratch\nCOPY rootfs/ /\nUSER 993:990\nWORKDIR /var/task\nENV PATH=/usr/local/bin:/usr/bin/:/bin:/opt/bin LAMBDA_TASK_ROOT=/var/task LAMBDA_RUNTIME_DIR=/var/runtime\nENTRYPOINT [\"/var/task/bootstrap\"]\n")},
		{name: "rootfs/etc/", dir: true, mode: 0o755},
		{name: "rootfs/etc/passwd", mode: 0o644, body: []byte("root:x:0:0:root:/root:/sbin/nologin\nsbx_user1051:x:993:990::/home/sbx_user1051:/sbin/nologin\n")},
		{name: "rootfs/etc/group", mode: 0o644, body: []byte("root:x:0:\nsbx_user1051:x:990:\n")},
		{name: "rootfs/tmp/", dir: true, mode: 0o1777},
		{name: "rootfs/var/task/", dir: true, mode: 0o755},
		{name: "rootfs/var/runtime/", dir: true, mode: 0o755},
		{name: "rootfs/opt/", dir: true, mode: 0o755},
	}
	if ca != nil {
		files = append(files,
			tarEntry{name: "rootfs/etc/ssl/", dir: true, mode: 0o755},
			tarEntry{name: "rootfs/etc/ssl/certs/", dir: true, mode: 0o755},
			tarEntry{name: "rootfs/etc/ssl/certs/ca-certificates.crt", mode: 0o644, body: ca},
		)
	}
	b, err := tarFiles(files)
	if err != nil {
		return nil, "", err
	}
	sum := sha256.Sum256(b)
	return b, hex.EncodeToString(sum[:12]), nil
}

type tarEntry struct {
	name string
	dir  bool
	mode int64
	body []byte
}

// epoch is the fixed modification time of context files, so the same
// content gives the same tar and digest.
var epoch = time.Unix(0, 0)

func tarFiles(files []tarEntry) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		h := &tar.Header{Name: f.name, Mode: f.mode, ModTime: epoch, Format: tar.FormatPAX}
		if f.dir {
			h.Typeflag = tar.TypeDir
		} else {
			h.Typeflag = tar.TypeReg
			h.Size = int64(len(f.body))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if !f.dir {
			if _, err := tw.Write(f.body); err != nil {
				return nil, err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// buildImage builds tag from an in-memory context with the classic
// builder (no BuildKit session needed) and returns the build's error, if
// any, from the JSON message stream.
func buildImage(ctx context.Context, cli *client.Client, ctxTar io.Reader, tag string, labels map[string]string) error {
	resp, err := cli.ImageBuild(ctx, ctxTar, build.ImageBuildOptions{
		Tags:        []string{tag},
		Remove:      true,
		ForceRemove: true,
		Labels:      labels,
		Version:     build.BuilderV1,
	})
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return readBuildStream(resp.Body)
}

// readBuildStream reads a build's JSON message stream to the end and
// returns the error it reports.
func readBuildStream(r io.Reader) error {
	dec := json.NewDecoder(r)
	var tail []string
	for {
		var m struct {
			Stream      string `json:"stream"`
			Error       string `json:"error"`
			ErrorDetail *struct {
				Message string `json:"message"`
			} `json:"errorDetail"`
		}
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("read build output: %w", err)
		}
		if s := strings.TrimSpace(m.Stream); s != "" {
			tail = append(tail, s)
			if len(tail) > 5 {
				tail = tail[1:]
			}
		}
		if m.Error != "" || m.ErrorDetail != nil {
			msg := m.Error
			if m.ErrorDetail != nil && m.ErrorDetail.Message != "" {
				msg = m.ErrorDetail.Message
			}
			if len(tail) > 0 {
				msg += " (after: " + strings.Join(tail, " | ") + ")"
			}
			return errors.New(msg)
		}
	}
}
