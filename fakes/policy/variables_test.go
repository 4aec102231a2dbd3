package policy

import (
	"os"
	"path/filepath"
	"testing"
)

// TestVariables follows AWS: reference_policies_variables.
func TestVariables(t *testing.T) {
	t.Parallel()
	const homeFolder = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::amzn-s3-demo-bucket/home/${aws:username}/*"}]}`
	tests := []struct {
		name     string
		doc      string
		resource string
		ctx      Context
		want     bool
	}{
		{"username substituted", homeFolder, "arn:aws:s3:::amzn-s3-demo-bucket/home/bob/notes.txt", ctxOf("aws:username", "bob"), true},
		{"other user's folder", homeFolder, "arn:aws:s3:::amzn-s3-demo-bucket/home/alice/notes.txt", ctxOf("aws:username", "bob"), false},
		{"missing key: no match", homeFolder, "arn:aws:s3:::amzn-s3-demo-bucket/home/bob/notes.txt", ctxOf(), false},
		{"multivalued key is not a variable", homeFolder, "arn:aws:s3:::amzn-s3-demo-bucket/home/bob/x", ctxOf("aws:username", "bob", "aws:username", "alice"), false},
		{"key is case-insensitive", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/${AWS:UserName}"}]}`, "arn:aws:s3:::b/bob", ctxOf("aws:username", "bob"), true},
		{"substituted value is literal, not a wildcard", homeFolder, "arn:aws:s3:::amzn-s3-demo-bucket/home/bobby/x", ctxOf("aws:username", "bob*"), false},
		{"substituted star matches only a star", homeFolder, "arn:aws:s3:::amzn-s3-demo-bucket/home/bob*/x", ctxOf("aws:username", "bob*"), true},
		{"userid", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/${aws:userid}/*"}]}`, "arn:aws:s3:::b/AIDAEXAMPLE/k", ctxOf("aws:userid", "AIDAEXAMPLE"), true},
		{"principal tag", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/${aws:PrincipalTag/team}/*"}]}`, "arn:aws:s3:::b/red/k", ctxOf("aws:PrincipalTag/team", "red"), true},
		{"any context key", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"arn:aws:iotthingsgraph:${aws:RequestedRegion}:*:*"}]}`, "arn:aws:iotthingsgraph:us-east-1:123456789012:Workflow/x", ctxOf("aws:RequestedRegion", "us-east-1"), true},
		{"default used when absent", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/${aws:PrincipalTag/team, 'company-wide'}/*"}]}`, "arn:aws:s3:::b/company-wide/k", ctxOf(), true},
		{"default not used when present", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/${aws:PrincipalTag/team, 'company-wide'}/*"}]}`, "arn:aws:s3:::b/company-wide/k", ctxOf("aws:PrincipalTag/team", "red"), false},
		{"default with spaces and doubled quote", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/${ aws:username , 'o''brien' }"}]}`, "arn:aws:s3:::b/o'brien", ctxOf(), true},
		{"default holding a brace", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/${aws:username, 'a}b'}"}]}`, "arn:aws:s3:::b/a}b", ctxOf(), true},
		{"escape star is literal", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/${*}"}]}`, "arn:aws:s3:::b/*", ctxOf(), true},
		{"escape star is not a wildcard", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/${*}"}]}`, "arn:aws:s3:::b/anything", ctxOf(), false},
		{"escape question is literal", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/a${?}"}]}`, "arn:aws:s3:::b/ax", ctxOf(), false},
		{"escape dollar", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/${$}{x}"}]}`, "arn:aws:s3:::b/${x}", ctxOf(), true},
		{"2008-10-17: variables are literal text", `{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/${aws:username}"}]}`, "arn:aws:s3:::b/${aws:username}", ctxOf("aws:username", "bob"), true},
		{"2008-10-17: not substituted", `{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/${aws:username}"}]}`, "arn:aws:s3:::b/bob", ctxOf("aws:username", "bob"), false},
		{"no Version: literal", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/${aws:username}"}]}`, "arn:aws:s3:::b/bob", ctxOf("aws:username", "bob"), false},
		{"NotResource with variable", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","NotResource":"arn:aws:s3:::b/${aws:username}/*"}]}`, "arn:aws:s3:::b/bob/k", ctxOf("aws:username", "bob"), false},
		{"NotResource with unresolved variable does not apply", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","NotResource":"arn:aws:s3:::b/${aws:username}/*"}]}`, "arn:aws:s3:::other/k", ctxOf(), false},
		{"NotResource with resolved variable applies elsewhere", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","NotResource":"arn:aws:s3:::b/${aws:username}/*"}]}`, "arn:aws:s3:::other/k", ctxOf("aws:username", "bob"), true},
		{"condition value variable", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/owner":"${aws:username}"}}}]}`, "*", ctxOf("aws:username", "bob", "aws:ResourceTag/owner", "bob"), true},
		{"condition value variable mismatch", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/owner":"${aws:username}"}}}]}`, "*", ctxOf("aws:username", "bob", "aws:ResourceTag/owner", "alice"), false},
		{"condition value variable missing", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/owner":"${aws:username}"}}}]}`, "*", ctxOf("aws:ResourceTag/owner", "bob"), false},
		{"StringLike value variable keeps wildcard", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringLike":{"s3:prefix":"home/${aws:username}/*"}}}]}`, "*", ctxOf("aws:username", "bob", "s3:prefix", "home/bob/docs"), true},
		{"Numeric value variable", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NumericLessThan":{"k:used":"${k:quota}"}}}]}`, "*", ctxOf("k:used", "3", "k:quota", "5"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := identity(t, tt.doc)
			got := Evaluate(s, &Request{Action: "s3:GetObject", Resource: tt.resource, Context: tt.ctx}, Options{})
			if (got.Decision == Allowed) != tt.want || got.Err != nil {
				t.Errorf("Evaluate(%q) = %v (err %v), want allowed=%v", tt.resource, got.Decision, got.Err, tt.want)
			}
		})
	}
}

func TestVariableBadValueFailsClosed(t *testing.T) {
	t.Parallel()
	s := identity(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NumericLessThan":{"k:used":"${k:quota}"}}}]}`)
	got := Evaluate(s, &Request{Action: "s3:GetObject", Resource: "*", Context: ctxOf("k:used", "3", "k:quota", "lots")}, Options{})
	if got.Decision != ImplicitDeny || got.Err == nil {
		t.Errorf("Evaluate(quota=lots) = %v (err %v), want %v with an error", got.Decision, got.Err, ImplicitDeny)
	}
}

func TestValidCorpus(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("testdata", "valid", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no valid policies in testdata/valid: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Parse(string(b)); err != nil {
				t.Errorf("Parse(%s) = %v, want no error", f, err)
			}
		})
	}
}
