package scenario

import (
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"reflect"
	"strings"
	"testing"
)

func TestExpandCertIDs(t *testing.T) {
	der := []byte("not really DER, but hashed all the same")
	sum := sha256.Sum256(der)
	id := hex.EncodeToString(sum[:])
	r := &runner{certs: map[string]tls.Certificate{"Lamp": {Certificate: [][]byte{der}}}}

	tests := []struct {
		name    string
		in      any
		want    any
		wantErr string
	}{
		{name: "whole string", in: "{{certificateId:Lamp}}", want: id},
		{name: "inside an ARN", in: "arn:aws:iot:us-east-1:000000000000:cert/{{certificateId:Lamp}}", want: "arn:aws:iot:us-east-1:000000000000:cert/" + id},
		{name: "nested", in: map[string]any{"a": []any{"{{certificateId:Lamp}}", 3}}, want: map[string]any{"a": []any{id, 3}}},
		{name: "untouched", in: "{{seq}} and certificateId:Lamp", want: "{{seq}} and certificateId:Lamp"},
		{name: "unknown thing", in: map[string]any{"certificateId": "{{certificateId:Door}}"}, wantErr: "{{certificateId:Door}}: Door is not a thing of setup.things"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := r.expandCertIDs(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("expandCertIDs(%v) = %v, %v; want error %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("expandCertIDs(%v) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}
