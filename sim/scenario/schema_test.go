package scenario

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/tgsim/tgsim/sim/core"
)

const schemaPath = "../../scenarios/schema.json"

// compileSchema compiles scenarios/schema.json offline (the draft 2020-12
// metaschema is built into the library).
func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("schema.json: %v", err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("schema.json")
	if err != nil {
		t.Fatalf("compile schema.json: %v", err)
	}
	return sch
}

// yamlToJSON reads YAML as a JSON Schema validator sees it: decoded into
// any, then through a JSON round-trip (numbers as json.Number).
func yamlToJSON(data []byte) (any, error) {
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		return nil, err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return jsonschema.UnmarshalJSON(bytes.NewReader(b))
}

func TestSchemaAcceptsLibrary(t *testing.T) {
	t.Parallel()
	sch := compileSchema(t)
	paths, err := filepath.Glob("../../scenarios/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatal("no scenarios/*.yaml found")
	}
	for _, p := range paths {
		t.Run(filepath.Base(p), func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			v, err := yamlToJSON(data)
			if err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(v); err != nil {
				t.Errorf("schema rejects %s:\n%v", p, err)
			}
		})
	}
}

// The example in scenarios/README.md shows every key; it must fit the schema.
func TestSchemaAcceptsReadmeExample(t *testing.T) {
	t.Parallel()
	sch := compileSchema(t)
	b, err := os.ReadFile("../../scenarios/README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "```yaml\n")
	example, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("scenarios/README.md has no ```yaml example")
	}
	v, err := yamlToJSON([]byte(example))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(v); err != nil {
		t.Errorf("schema rejects the README example:\n%v", err)
	}
}

func TestSchemaRejects(t *testing.T) {
	t.Parallel()
	sch := compileSchema(t)
	deployment := "  deployments: [{definition: d.graphql, target: GREENGRASS, greengrassGroup: g}]\ndevices:"
	tests := []struct {
		name string
		in   string
		// parseRejects: the Go decoder refuses it too.
		parseRejects bool
	}{
		{name: "unknown key", in: minimal + "colour: blue\n", parseRejects: true},
		{name: "unknown nested key", in: strings.Replace(minimal, "things: [{name: A}]", "things: [{name: A, colour: blue}]", 1), parseRejects: true},
		{name: "wrong apiVersion", in: strings.Replace(minimal, "tgsim/v1", "tgsim/v0", 1), parseRejects: true},
		{name: "missing name", in: strings.Replace(minimal, "name: minimal\n", "", 1), parseRejects: true},
		{name: "bad target", in: strings.Replace(minimal, "devices:", strings.Replace(deployment, "GREENGRASS", "CLOUD", 1), 1), parseRejects: true},
		{name: "step with two kinds", in: minimal + "    emit: {thing: A, event: e}\n", parseRejects: true},
		{name: "step with no kind", in: minimal + "  - {}\n", parseRejects: true},
		{name: "bad duration", in: minimal + "timeout: soon\n", parseRejects: true},
		{name: "bad call service", in: minimal + "  - call: {service: lambda, operation: Invoke}\n", parseRejects: true},
		{name: "policy with document and file", in: minimal + "iam:\n  policies: [{name: P, file: p.json, document: {}}]\n", parseRejects: true},
		{name: "emit without event", in: minimal + "  - emit: {thing: A}\n", parseRejects: true},
		{name: "negative count", in: minimal + "  - emit: {thing: A, event: e, count: -1}\n"},
		{name: "bad drop reason", in: minimal + "expect:\n  dropped: [{source: thing/A, topic: a/b, reason: lost}]\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v, err := yamlToJSON([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(v); err == nil {
				t.Errorf("schema accepts %s:\n%s", tt.name, tt.in)
			}
			if _, err := Parse([]byte(tt.in)); tt.parseRejects && err == nil {
				t.Errorf("Parse(%s) = nil error; the schema and the decoder disagree", tt.name)
			}
		})
	}
	// The base snippet itself is valid for both.
	v, err := yamlToJSON([]byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(v); err != nil {
		t.Errorf("schema rejects the minimal scenario: %v", err)
	}
}

// TestSchemaMatchesDecoder walks File's struct types and the schema side by
// side: every yaml key the decoder knows must be a property at the same
// place in the schema, and every property there a key the decoder knows
// (the decoder runs with KnownFields, so the schema must not invent keys).
func TestSchemaMatchesDecoder(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	var root map[string]any
	if err := json.Unmarshal(b, &root); err != nil {
		t.Fatal(err)
	}
	resolve := func(node map[string]any) map[string]any {
		for {
			ref, ok := node["$ref"].(string)
			if !ok {
				return node
			}
			name, ok := strings.CutPrefix(ref, "#/$defs/")
			if !ok {
				t.Fatalf("unexpected $ref %q", ref)
			}
			next, ok := root["$defs"].(map[string]any)[name].(map[string]any)
			if !ok {
				t.Fatalf("$ref %q does not resolve", ref)
			}
			node = next
		}
	}
	checked := 0
	var walk func(path string, typ reflect.Type, node map[string]any)
	walk = func(path string, typ reflect.Type, node map[string]any) {
		node = resolve(node)
		for typ.Kind() == reflect.Pointer {
			typ = typ.Elem()
		}
		switch typ.Kind() {
		case reflect.Slice:
			items, ok := node["items"].(map[string]any)
			if !ok {
				t.Errorf("%s: the schema has no items for %s", path, typ)
				return
			}
			walk(path+"[]", typ.Elem(), items)
		case reflect.Struct:
			props, _ := node["properties"].(map[string]any)
			if ap, ok := node["additionalProperties"].(bool); !ok || ap {
				t.Errorf("%s: the decoder refuses unknown keys, the schema needs additionalProperties: false", path)
			}
			tags := map[string]bool{}
			for i := range typ.NumField() {
				tag, _, _ := strings.Cut(typ.Field(i).Tag.Get("yaml"), ",")
				if tag == "" || tag == "-" {
					continue
				}
				tags[tag] = true
				prop, ok := props[tag].(map[string]any)
				if !ok {
					t.Errorf("%s.%s (%s.%s): not in the schema", path, tag, typ.Name(), typ.Field(i).Name)
					continue
				}
				if _, ok := prop["description"].(string); !ok {
					t.Errorf("%s.%s: the schema property has no description", path, tag)
				}
				checked++
				walk(path+"."+tag, typ.Field(i).Type, prop)
			}
			var extra []string
			for k := range props {
				if !tags[k] {
					extra = append(extra, k)
				}
			}
			sort.Strings(extra)
			if len(extra) > 0 {
				t.Errorf("%s: the schema has keys %v that %s lacks", path, extra, typ.Name())
			}
		}
	}
	walk("$", reflect.TypeFor[File](), root)
	if checked < 60 {
		t.Errorf("checked only %d keys; the walk lost its way", checked)
	}
}

// TestSchemaDropReasons: the schema offers exactly the reasons the core
// records drops with, so an editor and `tgsim validate` agree.
func TestSchemaDropReasons(t *testing.T) {
	b, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Properties struct {
			Expect struct {
				Properties struct {
					Dropped struct {
						Items struct {
							Properties struct {
								Reason struct {
									Enum []string `json:"enum"`
								} `json:"reason"`
							} `json:"properties"`
						} `json:"items"`
					} `json:"dropped"`
				} `json:"properties"`
			} `json:"expect"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	got := doc.Properties.Expect.Properties.Dropped.Items.Properties.Reason.Enum
	want := slices.Clone(core.DropReasons)
	sort.Strings(got)
	sort.Strings(want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("schema's expect.dropped reason enum = %q, want the core's drop reasons %q", got, want)
	}
}
