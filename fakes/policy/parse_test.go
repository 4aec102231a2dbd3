package policy

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var update = flag.Bool("update", false, "rewrite testdata/malformed/*.golden from the current errors")

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		doc  string
		want *Policy
	}{
		{
			name: "single statement object, single strings",
			doc:  `{"Version":"2012-10-17","Id":"p1","Statement":{"Sid":"S1","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}`,
			want: &Policy{Version: Version2012, ID: "p1", Statements: []Statement{{
				Sid: "S1", Effect: Allow, Action: []string{"s3:GetObject"}, Resource: []string{"arn:aws:s3:::b/*"},
			}}},
		},
		{
			name: "no Version defaults to 2008-10-17",
			doc:  `{"Statement":[{"Effect":"Deny","NotAction":["iam:*","sts:*"],"NotResource":"*"}]}`,
			want: &Policy{Version: Version2008, Statements: []Statement{{
				Effect: Deny, NotAction: []string{"iam:*", "sts:*"}, NotResource: []string{"*"},
			}}},
		},
		{
			name: "trust policy: Principal and no Resource",
			doc: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"iotthingsgraph.amazonaws.com","AWS":["123456789012","arn:aws:iam::123456789012:user/bob"]},"Action":"sts:AssumeRole",
				"Condition":{"StringEquals":{"sts:ExternalId":["abc",12,true]}}}]}`,
			want: &Policy{Version: Version2012, Statements: []Statement{{
				Effect: Allow, Action: []string{"sts:AssumeRole"},
				Principal:  map[string][]string{"Service": {"iotthingsgraph.amazonaws.com"}, "AWS": {"123456789012", "arn:aws:iam::123456789012:user/bob"}},
				Conditions: []Condition{{Operator: "StringEquals", Key: "sts:ExternalId", Values: []string{"abc", "12", "true"}}},
			}}},
		},
		{
			name: "Principal star",
			doc:  `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotPrincipal":"*","Action":"*","Resource":"*"}]}`,
			want: &Policy{Version: Version2012, Statements: []Statement{{
				Effect: Allow, NotPrincipal: map[string][]string{"AWS": {"*"}}, Action: []string{"*"}, Resource: []string{"*"},
			}}},
		},
		{
			name: "escapes and unicode in strings",
			doc:  "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"caf\\u00e9\\ud83d\\ude00\",\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"arn:aws:s3:::b/\\u002a\"}]}",
			want: &Policy{Version: Version2012, Statements: []Statement{{
				Sid: "café😀", Effect: Allow, Action: []string{"s3:*"}, Resource: []string{"arn:aws:s3:::b/*"},
			}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Parse(tt.doc)
			if err != nil {
				t.Fatalf("Parse(%q) = %v, want no error", tt.doc, err)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreUnexported(Policy{}, Statement{}), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Parse(%q) mismatch (-want +got):\n%s", tt.doc, diff)
			}
		})
	}
}

func TestHasPrincipal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		doc  string
		want bool
	}{
		{"identity", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`, false},
		{"Principal", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Allow","Principal":"*","Action":"*"}]}`, true},
		{"NotPrincipal", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":"123456789012"},"Action":"*","Resource":"*"}]}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := mustParse(t, tt.doc).HasPrincipal(); got != tt.want {
				t.Errorf("Parse(%q).HasPrincipal() = %v, want %v", tt.doc, got, tt.want)
			}
		})
	}
}

func TestContextKeys(t *testing.T) {
	t.Parallel()
	p := mustParse(t, `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/${aws:username}/*","Condition":{"StringLike":{"s3:prefix":"${aws:username}/*","AWS:UserName":"x"}}},
		{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"},"StringEquals":{"k:x":"${k:y, 'd'}"}}}]}`)
	want := []string{"aws:username", "s3:prefix", "aws:SourceIp", "k:x"}
	if diff := cmp.Diff(want, p.ContextKeys()); diff != "" {
		t.Errorf("ContextKeys() mismatch (-want +got):\n%s", diff)
	}
}

// TestParseErrors checks that each MalformedPolicyDocument case names the
// right element and position.
func TestParseErrors(t *testing.T) {
	t.Parallel()
	const stmt = `"Effect":"Allow","Action":"*","Resource":"*"`
	tests := []struct {
		name string
		doc  string
		path string
		msg  string // substring
		// at is text of doc the error must point at: its first occurrence,
		// or the place of a '|' in it.
		at string
	}{
		{"not JSON", "{\n  \"Version\": 2012-10-17\n}", "", "invalid JSON", "-10-17"},
		{"empty", "", "", "unexpected end of input", ""},
		{"trailing garbage", `{"Statement":{` + stmt + `}} x`, "", "after the top-level value", "x"},
		{"top level array", `[{"Statement":[]}]`, "", "must be a JSON object, not an array", "[{"},
		{"unknown top-level key", `{"Version":"2012-10-17","Statment":[]}`, "", `unknown element "Statment"`, `"Statment"`},
		{"duplicate top-level key", `{"Version":"2012-10-17","Version":"2012-10-17","Statement":{` + stmt + `}}`, "", `duplicate element "Version"`, `"Version":"2012-10-17","Statement"`},
		{"bad version", `{"Version":"2012-10-18","Statement":{` + stmt + `}}`, "Version", `unsupported version "2012-10-18"`, `"2012-10-18"`},
		{"version number", `{"Version":2012,"Statement":{` + stmt + `}}`, "Version", "must be a string, not a number", "2012,"},
		{"missing Statement", `{"Version":"2012-10-17"}`, "", `missing required element "Statement"`, `{"Version"`},
		{"empty Statement", `{"Version":"2012-10-17","Statement":[]}`, "Statement", "at least one statement", "[]"},
		{"Statement string", `{"Statement":"x"}`, "Statement", "must be an object or an array of objects, not a string", `"x"`},
		{"statement not object", `{"Statement":[{` + stmt + `},"x"]}`, "Statement[1]", "statement must be an object, not a string", `"x"`},
		{"missing Effect", `{"Statement":[{"Action":"*","Resource":"*"}]}`, "Statement[0]", `missing required element "Effect"`, `{"Action"`},
		{"bad Effect", `{"Statement":[{"Effect":"allow","Action":"*","Resource":"*"}]}`, "Statement[0].Effect", `invalid effect "allow"`, `"allow"`},
		{"Action and NotAction", `{"Statement":[{"Effect":"Allow","Action":"*","NotAction":"*","Resource":"*"}]}`, "Statement[0]", "both Action and NotAction", `"NotAction"`},
		{"no Action", `{"Statement":[{"Effect":"Allow","Resource":"*"}]}`, "Statement[0]", `missing required element "Action"`, `{"Effect"`},
		{"Resource and NotResource", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","NotResource":"*"}]}`, "Statement[0]", "both Resource and NotResource", `"NotResource"`},
		{"identity statement without Resource", `{"Statement":[{"Effect":"Allow","Action":"*"}]}`, "Statement[0]", `missing required element "Resource"`, `{"Effect"`},
		{"Principal and NotPrincipal", `{"Statement":[{"Effect":"Allow","Principal":"*","NotPrincipal":"*","Action":"*"}]}`, "Statement[0]", "both Principal and NotPrincipal", `"NotPrincipal"`},
		{"action without prefix", `{"Statement":[{"Effect":"Allow","Action":["s3:Get*","GetObject"],"Resource":"*"}]}`, "Statement[0].Action[1]", `invalid action "GetObject"`, `"GetObject"`},
		{"variable in action (never substituted)", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:${k:x}","Resource":"*"}]}`, "Statement[0].Action", `invalid action "s3:${k:x}"`, `"s3:${`},
		{"action bad prefix", `{"Statement":[{"Effect":"Allow","Action":"s_3:Get","Resource":"*"}]}`, "Statement[0].Action", `invalid action "s_3:Get"`, `"s_3:Get"`},
		{"action empty name", `{"Statement":[{"Effect":"Allow","Action":"s3:","Resource":"*"}]}`, "Statement[0].Action", `invalid action "s3:"`, `"s3:"`},
		{"empty action", `{"Statement":[{"Effect":"Allow","Action":"","Resource":"*"}]}`, "Statement[0].Action", "must not be empty", `"",`},
		{"empty action list", `{"Statement":[{"Effect":"Allow","Action":[],"Resource":"*"}]}`, "Statement[0].Action", "must not be an empty array", "[],"},
		{"action number", `{"Statement":[{"Effect":"Allow","Action":[1],"Resource":"*"}]}`, "Statement[0].Action[0]", "must be a string, not a number", "1]"},
		{"resource not ARN", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"bucket"}]}`, "Statement[0].Resource", `invalid resource "bucket"`, `"bucket"`},
		{"empty Sid", `{"Statement":[{"Sid":"","Effect":"Allow","Action":"*","Resource":"*"}]}`, "Statement[0].Sid", "must not be empty", `"",`},
		{"duplicate Sid", "{\"Statement\":[\n{\"Sid\":\"A\"," + stmt + "},\n{\"Sid\":\"A\"," + stmt + "}]}", "Statement[1].Sid", `duplicate Sid "A" (also in Statement[0])`, "},\n{\"Sid\":|\"A\""},
		{"unknown statement key", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Conditions":{}}]}`, "Statement[0]", `unknown element "Conditions"`, `"Conditions"`},
		{"unknown operator", "{\"Statement\":[{" + stmt + ",\n\"Condition\":{\"StringEqual\":{\"k:x\":\"y\"}}}]}", "Statement[0].Condition", `unknown condition operator "StringEqual"`, `"StringEqual"`},
		{"Null IfExists", `{"Statement":[{` + stmt + `,"Condition":{"NullIfExists":{"k:x":"true"}}}]}`, "Statement[0].Condition", `unknown condition operator "NullIfExists"`, `"NullIfExists"`},
		{"condition value object", `{"Statement":[{` + stmt + `,"Condition":{"StringLike":{"k:x":{"a":"b"}}}}]}`, "Statement[0].Condition.StringLike.k:x", "must be a string, number or boolean, or an array of them, not an object", `{"a"`},
		{"condition value null in array", `{"Statement":[{` + stmt + `,"Condition":{"StringLike":{"k:x":["a",null]}}}]}`, "Statement[0].Condition.StringLike.k:x[1]", "not null", "null"},
		{"condition operator not object", `{"Statement":[{` + stmt + `,"Condition":{"StringLike":"x"}}]}`, "Statement[0].Condition.StringLike", "must be an object of condition keys", `"x"`},
		{"bad number value", `{"Statement":[{` + stmt + `,"Condition":{"NumericLessThan":{"s3:max-keys":"ten"}}}]}`, "Statement[0].Condition.NumericLessThan.s3:max-keys", `"ten" is not a number`, `"ten"`},
		{"bad date value", `{"Statement":[{` + stmt + `,"Condition":{"DateLessThan":{"aws:CurrentTime":"tomorrow"}}}]}`, "Statement[0].Condition.DateLessThan.aws:CurrentTime", "is not an ISO 8601 date", `"tomorrow"`},
		{"bad CIDR", `{"Statement":[{` + stmt + `,"Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/33"}}}]}`, "Statement[0].Condition.IpAddress.aws:SourceIp", "is not an IP address or CIDR block", `"10.0.0.0/33"`},
		{"bad bool", `{"Statement":[{` + stmt + `,"Condition":{"Bool":{"aws:SecureTransport":"yes"}}}]}`, "Statement[0].Condition.Bool.aws:SecureTransport", "is not a boolean", `"yes"`},
		{"bad base64", `{"Statement":[{` + stmt + `,"Condition":{"BinaryEquals":{"k:b":"***"}}}]}`, "Statement[0].Condition.BinaryEquals.k:b", "is not base64", `"***"`},
		{"ARN value with 5 parts", `{"Statement":[{` + stmt + `,"Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:123"}}}]}`, "Statement[0].Condition.ArnLike.aws:SourceArn", "is not an ARN", `"arn:aws:sns:*:123"`},
		{"duplicate condition key", `{"Statement":[{` + stmt + `,"Condition":{"StringLike":{"aws:username":"a","AWS:UserName":"b"}}}]}`, "Statement[0].Condition.StringLike", `duplicate condition key "AWS:UserName"`, `"AWS:UserName"`},
		{"empty Condition", `{"Statement":[{` + stmt + `,"Condition":{}}]}`, "Statement[0].Condition", "must not be empty", "{}}"},
		{"principal partial wildcard", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/*"},"Action":"*"}]}`, "Statement[0].Principal.AWS", "wildcards are allowed only as the whole value", `"arn:aws:iam::123456789012:user/*"`},
		{"principal bad type", `{"Statement":[{"Effect":"Allow","Principal":{"User":"bob"},"Action":"*"}]}`, "Statement[0].Principal", `unknown element "User"`, `"User"`},
		{"principal string", `{"Statement":[{"Effect":"Allow","Principal":"bob","Action":"*"}]}`, "Statement[0].Principal", `must be "*" or an object`, `"bob"`},
		{"principal not account", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"bob"},"Action":"*"}]}`, "Statement[0].Principal.AWS", `invalid principal "bob"`, `"bob"`},
		{"unterminated variable", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/${aws:username"}]}`, "Statement[0].Resource", "unterminated policy variable", `"arn:aws:s3:::b/${`},
		{"variable default unquoted", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/${aws:username, x}"}]}`, "Statement[0].Resource", "single quotes", `"arn:aws:s3:::b/${`},
		{"invalid UTF-8", "{\"Statement\":\"\xff\"}", "", "invalid UTF-8", "\xff"},
		{"control character", "{\"Statement\":\"a\tb\"}", "", "control character", "\t"},
		{"too deep", strings.Repeat("[", 100), "", "nesting deeper than", strings.Repeat("[", 64) + "|"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse(tt.doc)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) = %v, want a *SyntaxError", tt.doc, err)
			}
			bar := strings.IndexByte(tt.at, '|')
			at := strings.Replace(tt.at, "|", "", 1)
			off := strings.Index(tt.doc, at)
			if off < 0 {
				t.Fatalf("bad test: %q not in doc", at)
			}
			if bar >= 0 {
				off += bar
			}
			line, col := lineCol(tt.doc, off)
			if se.Path != tt.path || !strings.Contains(se.Msg, tt.msg) || se.Line != line || se.Col != col {
				t.Errorf("Parse(%q) = %v, want path %q, message containing %q at line %d, column %d", tt.doc, err, tt.path, tt.msg, line, col)
			}
		})
	}
}

func TestLineCol(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		s         string
		off       int
		line, col int
	}{
		{"start", "abc", 0, 1, 1},
		{"same line", "abc", 2, 1, 3},
		{"next line", "ab\ncd", 4, 2, 2},
		{"after newline", "ab\n", 3, 2, 1},
		{"columns count characters", "é€x", 5, 1, 3},
		{"past end clamps", "ab", 10, 1, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if line, col := lineCol(tt.s, tt.off); line != tt.line || col != tt.col {
				t.Errorf("lineCol(%q, %d) = %d, %d, want %d, %d", tt.s, tt.off, line, col, tt.line, tt.col)
			}
		})
	}
}

func TestSyntaxErrorText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  *SyntaxError
		want string
	}{
		{"with path", &SyntaxError{Path: "Statement[1].Condition.StringLike", Line: 7, Col: 12, Msg: "bad"}, "Statement[1].Condition.StringLike: bad (line 7, column 12)"},
		{"no path", &SyntaxError{Line: 1, Col: 2, Msg: "invalid JSON: x"}, "invalid JSON: x (line 1, column 2)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestMalformedCorpus parses every testdata/malformed/*.json and checks the
// error contains the text of the matching .golden file (-update rewrites
// the golden files with the full current error).
func TestMalformedCorpus(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "malformed", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 10 {
		t.Fatalf("found %d malformed policies, want the corpus", len(files))
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) {
			doc, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			_, perr := Parse(string(doc))
			var se *SyntaxError
			if !errors.As(perr, &se) {
				t.Fatalf("Parse(%s) = %v, want a *SyntaxError", f, perr)
			}
			golden := strings.TrimSuffix(f, ".json") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(perr.Error()+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if w := strings.TrimSpace(string(want)); !strings.Contains(perr.Error(), w) {
				t.Errorf("Parse(%s) = %q, want it to contain %q", f, perr.Error(), w)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, pat := range []string{"testdata/malformed/*.json", "testdata/valid/*.json"} {
		files, _ := filepath.Glob(pat)
		for _, file := range files {
			if b, err := os.ReadFile(file); err == nil {
				f.Add(string(b))
			}
		}
	}
	f.Add(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::${aws:username, 'x'}/${*}","Condition":{"ForAnyValue:StringLikeIfExists":{"k":["${k2}"]}}}}`)
	f.Fuzz(func(t *testing.T, doc string) {
		p, err := Parse(doc)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) error %T %v, want *SyntaxError", doc, err, err)
			}
			if se.Line < 1 || se.Col < 1 || se.Msg == "" {
				t.Fatalf("Parse(%q) = %#v: want a position and a message", doc, se)
			}
			return
		}
		if len(p.Statements) == 0 {
			t.Fatalf("Parse(%q) accepted a policy with no statements", doc)
		}
		// A parsed policy must evaluate without panicking.
		Evaluate(Set{Identity: []NamedPolicy{{ID: "f", Policy: p}}, Resource: []NamedPolicy{{ID: "r", Policy: p}}},
			&Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k", Principal: &Principal{Type: "AWS", ID: "arn:aws:iam::123456789012:user/bob"}, Context: ctxOf("aws:username", "bob")}, Options{})
	})
}
