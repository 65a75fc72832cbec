package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/slsx/slsx/emulator/config"
	"github.com/slsx/slsx/emulator/config/sam"
)

// loadProject reads slsx.yaml or, when there is none, an AWS SAM
// template.yaml. SAM features slsx does not emulate are reported once on
// warn, without stopping the rest.
func loadProject(dir string, overrides []string, warn io.Writer) (*config.Project, error) {
	p, err := config.Load(dir)
	if err == nil || !errors.Is(err, config.ErrNoProject) {
		if err == nil && len(overrides) > 0 {
			return nil, usageError{errors.New("--parameter-overrides applies to SAM templates; this project has an slsx.yaml")}
		}
		return p, err
	}
	params, perr := parseOverrides(overrides)
	if perr != nil {
		return nil, usageError{perr}
	}
	p, warnings, serr := sam.LoadProject(dir, params)
	if serr != nil {
		if errors.Is(serr, config.ErrNoProject) {
			return nil, fmt.Errorf("no slsx.yaml or template.yaml in %s; run slsx init or pass --dir", dirName(dir))
		}
		return nil, serr
	}
	for _, w := range warnings {
		fmt.Fprintln(warn, "slsx: warning:", w)
	}
	return p, nil
}

// parseOverrides accepts SAM CLI's two spellings: Key=Value and
// ParameterKey=Key,ParameterValue=Value, each flag value holding one or
// more space-separated pairs.
func parseOverrides(values []string) (map[string]string, error) {
	out := map[string]string{}
	for _, v := range values {
		for _, pair := range strings.Fields(v) {
			if strings.HasPrefix(pair, "ParameterKey=") {
				k, val, ok := strings.Cut(strings.TrimPrefix(pair, "ParameterKey="), ",ParameterValue=")
				if !ok {
					return nil, fmt.Errorf("--parameter-overrides %q: use Key=Value or ParameterKey=Key,ParameterValue=Value", pair)
				}
				out[k] = val
				continue
			}
			k, val, ok := strings.Cut(pair, "=")
			if !ok || k == "" {
				return nil, fmt.Errorf("--parameter-overrides %q: use Key=Value", pair)
			}
			out[k] = val
		}
	}
	return out, nil
}

func dirName(dir string) string {
	if dir == "." || dir == "" {
		return "the current directory"
	}
	return dir
}
