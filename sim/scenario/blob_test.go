package scenario

import (
	"encoding/base64"
	"fmt"
	"testing"
)

func TestBlobPayload(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   map[string]any
		want string // decoded payload; "" with absent for no payload key
		has  bool
	}{
		{"string is its bytes", map[string]any{"topic": "a", "payload": "hello"}, "hello", true},
		{"object is its JSON", map[string]any{"payload": map[string]any{"text": "n 1"}}, `{"text":"n 1"}`, true},
		{"list is its JSON", map[string]any{"payload": []any{1.0, "x"}}, `[1,"x"]`, true},
		{"no payload untouched", map[string]any{"topic": "a"}, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := fmt.Sprint(tc.in)
			out := blobPayload(tc.in)
			if fmt.Sprint(tc.in) != before {
				t.Fatalf("input changed to %v", tc.in)
			}
			v, ok := out["payload"]
			if ok != tc.has {
				t.Fatalf("payload present %v, want %v", ok, tc.has)
			}
			if !ok {
				return
			}
			b, err := base64.StdEncoding.DecodeString(v.(string))
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tc.want {
				t.Fatalf("payload %q, want %q", b, tc.want)
			}
		})
	}
}
