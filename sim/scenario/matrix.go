package scenario

import (
	"bytes"
	"fmt"
	"os"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// LoadAll reads a scenario file and expands its matrix: one File per
// combination of matrix values, named "<name> [key=value ...]". A file
// without a matrix gives one File.
func LoadAll(path string) ([]*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var head struct {
		Matrix map[string][]string `yaml:"matrix"`
	}
	if err := yaml.Unmarshal(data, &head); err != nil {
		// Let Parse report it with its position.
		head.Matrix = nil
	}
	if len(head.Matrix) == 0 {
		f, err := Load(path)
		if err != nil {
			return nil, err
		}
		return []*File{f}, nil
	}
	keys := make([]string, 0, len(head.Matrix))
	for k, vals := range head.Matrix {
		if len(vals) == 0 {
			return nil, fmt.Errorf("%s: matrix.%s: needs at least one value", path, k)
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []*File
	combo := make([]string, len(keys))
	var walk func(i int) error
	walk = func(i int) error {
		if i == len(keys) {
			text := data
			var label []string
			for j, k := range keys {
				text = bytes.ReplaceAll(text, []byte("{{matrix."+k+"}}"), []byte(combo[j]))
				label = append(label, k+"="+combo[j])
			}
			f, err := Parse(text)
			if err != nil {
				return fmt.Errorf("%s [%s]: %w", path, strings.Join(label, " "), err)
			}
			f.Path = path
			f.Name += " [" + strings.Join(label, " ") + "]"
			if err := f.checkFiles(); err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			out = append(out, f)
			return nil
		}
		for _, v := range head.Matrix[keys[i]] {
			combo[i] = v
			if err := walk(i + 1); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(0); err != nil {
		return nil, err
	}
	return out, nil
}
