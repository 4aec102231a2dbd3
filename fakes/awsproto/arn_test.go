package awsproto_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tgsim/tgsim/fakes/awsproto"
)

func TestParseARN(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    awsproto.ARN
		wantErr string // substring of the error; "" means no error
	}{
		{
			name: "iam role",
			in:   "arn:aws:iam::123456789012:role/tgsim-deploy",
			want: awsproto.ARN{Partition: "aws", Service: "iam", Account: "123456789012", Resource: "role/tgsim-deploy"},
		},
		{
			name: "s3 bucket without region or account",
			in:   "arn:aws:s3:::my-bucket/key/with/slashes",
			want: awsproto.ARN{Partition: "aws", Service: "s3", Resource: "my-bucket/key/with/slashes"},
		},
		{
			name: "resource with colons",
			in:   "arn:aws:lambda:us-east-1:1:function:F:1",
			want: awsproto.ARN{Partition: "aws", Service: "lambda", Region: "us-east-1", Account: "1", Resource: "function:F:1"},
		},
		{
			name: "greengrass path resource",
			in:   "arn:aws:greengrass:us-east-1:1:/greengrass/groups/abc",
			want: awsproto.ARN{Partition: "aws", Service: "greengrass", Region: "us-east-1", Account: "1", Resource: "/greengrass/groups/abc"},
		},
		{
			name: "greengrass versioned resource",
			in:   "arn:aws:greengrass:us-east-1:1:/greengrass/groups/abc/versions/v1",
			want: awsproto.ARN{Partition: "aws", Service: "greengrass", Region: "us-east-1", Account: "1", Resource: "/greengrass/groups/abc/versions/v1"},
		},
		{
			name: "things graph",
			in:   "arn:aws:iotthingsgraph:eu-west-1:000000000000:Workflow/ns/flow",
			want: awsproto.ARN{Partition: "aws", Service: "iotthingsgraph", Region: "eu-west-1", Account: "000000000000", Resource: "Workflow/ns/flow"},
		},
		{
			name: "other partition",
			in:   "arn:aws-cn:iot:cn-north-1:1:thing/t",
			want: awsproto.ARN{Partition: "aws-cn", Service: "iot", Region: "cn-north-1", Account: "1", Resource: "thing/t"},
		},
		{
			name: "resource of one colon",
			in:   "arn:aws:iot:us-east-1:1::",
			want: awsproto.ARN{Partition: "aws", Service: "iot", Region: "us-east-1", Account: "1", Resource: ":"},
		},
		{name: "empty", in: "", wantErr: `must start with "arn:"`},
		{name: "missing prefix", in: "aws:iam::1:role/r", wantErr: `must start with "arn:"`},
		{name: "upper-case prefix", in: "ARN:aws:iam::1:role/r", wantErr: `must start with "arn:"`},
		{name: "prefix only", in: "arn:", wantErr: "expected 6 colon-separated fields"},
		{name: "five fields", in: "arn:aws:iam::1", wantErr: "found 5"},
		{name: "three fields", in: "arn:aws:iam", wantErr: "found 3"},
		{name: "empty partition", in: "arn::iam::1:role/r", wantErr: "partition is empty"},
		{name: "empty service", in: "arn:aws:::1:role/r", wantErr: "service is empty"},
		{name: "empty resource", in: "arn:aws:iam::1:", wantErr: "resource is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := awsproto.ParseARN(tt.in)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("ParseARN(%q) error = %v, want nil", tt.in, err)
			case tt.wantErr != "" && err == nil:
				t.Fatalf("ParseARN(%q) = %+v, want error containing %q", tt.in, got, tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Fatalf("ParseARN(%q) error = %q, want it to contain %q", tt.in, err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Fatalf("ParseARN(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
			if err != nil {
				return
			}
			if s := got.String(); s != tt.in {
				t.Errorf("ParseARN(%q).String() = %q, want %q", tt.in, s, tt.in)
			}
		})
	}
}

func TestARNString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   awsproto.ARN
		want string
	}{
		{
			name: "all fields",
			in:   awsproto.ARN{Partition: "aws", Service: "iotthingsgraph", Region: "us-east-1", Account: "1", Resource: "System/ns/s"},
			want: "arn:aws:iotthingsgraph:us-east-1:1:System/ns/s",
		},
		{
			name: "global service",
			in:   awsproto.ARN{Partition: "aws", Service: "iam", Account: "1", Resource: "user/u"},
			want: "arn:aws:iam::1:user/u",
		},
		{
			name: "zero",
			in:   awsproto.ARN{},
			want: "arn:::::",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.in.String(); got != tt.want {
				t.Errorf("%+v.String() = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func FuzzParseARN(f *testing.F) {
	for _, s := range []string{
		"arn:aws:iam::123456789012:role/tgsim-deploy",
		"arn:aws:s3:::bucket",
		"arn:aws:lambda:us-east-1:1:function:F:1",
		"arn:aws:greengrass:us-east-1:1:/greengrass/groups/abc",
		"arn:aws:iot:us-east-1:1::",
		"arn:::::",
		"arn:",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := awsproto.ParseARN(s)
		if err != nil {
			if a != (awsproto.ARN{}) {
				t.Fatalf("ParseARN(%q) = %+v, %v; want the zero ARN with an error", s, a, err)
			}
			return
		}
		if a.Partition == "" || a.Service == "" || a.Resource == "" {
			t.Fatalf("ParseARN(%q) = %+v; want partition, service and resource non-empty", s, a)
		}
		if got := a.String(); got != s {
			t.Fatalf("ParseARN(%q).String() = %q, want %q", s, got, s)
		}
		b, err := awsproto.ParseARN(a.String())
		if err != nil {
			t.Fatalf("ParseARN(%q) error = %v; it parsed as %+v before", a.String(), err, a)
		}
		if b != a {
			t.Fatalf("ParseARN(%q) = %+v, want %+v", a.String(), b, a)
		}
	})
}
