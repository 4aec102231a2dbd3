package scenario

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// matchOutput checks an operation's output against what a scenario
// expects of it, and returns "" when it holds or where and how it
// differs. The output is the SDK's output struct seen as JSON (its field
// names, PascalCase in both SDKs); the expectation is a subset of it:
//   - an object matches when each of its keys names a member
//     (case-insensitively: the aws CLI prints camelCase) whose value
//     matches; members it does not name are ignored;
//   - a list matches a list of the same length, element by element;
//     an empty list also matches an absent or null member;
//   - a scalar matches the member's JSON value (numbers as numbers,
//     strings exactly).
func matchOutput(want, output any) string {
	b, err := json.Marshal(output)
	if err != nil {
		return fmt.Sprintf("output is not JSON: %v", err)
	}
	var got any
	if err := json.Unmarshal(b, &got); err != nil {
		return fmt.Sprintf("output is not JSON: %v", err)
	}
	return matchValue("output", normalizeJSON(want), dropNulls(got))
}

func matchValue(path string, want, got any) string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return fmt.Sprintf("%s: %s, want an object", path, brief(got))
		}
		keys := make([]string, 0, len(w))
		for k := range w {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			gk, gv, found := memberFold(g, k)
			if !found {
				if l, isList := w[k].([]any); isList && len(l) == 0 {
					continue // an empty list and an absent member say the same
				}
				return fmt.Sprintf("%s.%s: absent (members: %s)", path, k, strings.Join(sortedKeys(g), ", "))
			}
			if d := matchValue(path+"."+gk, w[k], gv); d != "" {
				return d
			}
		}
		return ""
	case []any:
		g, ok := got.([]any)
		if !ok {
			return fmt.Sprintf("%s: %s, want a list of %d", path, brief(got), len(w))
		}
		if len(g) != len(w) {
			return fmt.Sprintf("%s: %d elements, want %d: %s", path, len(g), len(w), brief(got))
		}
		for i := range w {
			if d := matchValue(fmt.Sprintf("%s[%d]", path, i), w[i], g[i]); d != "" {
				return d
			}
		}
		return ""
	default:
		if !reflect.DeepEqual(want, got) {
			return fmt.Sprintf("%s: %s, want %s", path, brief(got), brief(want))
		}
		return ""
	}
}

// memberFold finds a member by name, exactly first, then ignoring case.
func memberFold(m map[string]any, k string) (string, any, bool) {
	if v, ok := m[k]; ok {
		return k, v, true
	}
	for mk, v := range m {
		if strings.EqualFold(mk, k) {
			return mk, v, true
		}
	}
	return "", nil, false
}

// dropNulls removes null members (the SDKs' unset pointers), so that an
// expectation names what the service answered, not the struct's shape.
func dropNulls(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if e == nil {
				delete(x, k)
				continue
			}
			x[k] = dropNulls(e)
		}
	case []any:
		for i, e := range x {
			x[i] = dropNulls(e)
		}
	}
	return v
}

// brief renders a value as JSON, cut to a readable length.
func brief(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	if len(b) > 200 {
		return string(b[:200]) + "…"
	}
	return string(b)
}

// orText is s, or def when s is empty.
func orText(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
