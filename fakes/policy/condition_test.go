package policy

import (
	"fmt"
	"testing"
)

// condPolicy is an Allow of everything under one Condition block.
func condPolicy(condJSON string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":` + condJSON + `}]}`
}

// TestConditionOperators covers every operator family, with the examples
// of AWS: reference_policies_elements_condition_operators.
func TestConditionOperators(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cond    string
		ctx     Context
		want    bool // allowed
		wantErr bool // Result.Err set
	}{
		// String operators.
		{"StringEquals match", `{"StringEquals":{"aws:PrincipalTag/job-category":"iamuser-admin"}}`, ctxOf("aws:PrincipalTag/job-category", "iamuser-admin"), true, false},
		{"StringEquals case-sensitive", `{"StringEquals":{"aws:PrincipalTag/job-category":"iamuser-admin"}}`, ctxOf("aws:PrincipalTag/job-category", "IAMUser-Admin"), false, false},
		{"StringEquals key case-insensitive", `{"StringEquals":{"AWS:PRINCIPALTAG/JOB-CATEGORY":"x"}}`, ctxOf("aws:principaltag/job-category", "x"), true, false},
		{"StringEquals missing key", `{"StringEquals":{"aws:username":"bob"}}`, ctxOf(), false, false},
		{"StringEquals values OR", `{"StringEquals":{"aws:username":["alice","bob"]}}`, ctxOf("aws:username", "bob"), true, false},
		{"StringEquals keys AND", `{"StringEquals":{"aws:username":"bob","aws:PrincipalType":"User"}}`, ctxOf("aws:username", "bob", "aws:PrincipalType", "AssumedRole"), false, false},
		{"operators AND", `{"StringEquals":{"aws:username":"bob"},"Bool":{"aws:SecureTransport":"true"}}`, ctxOf("aws:username", "bob", "aws:SecureTransport", "false"), false, false},
		{"StringEquals no wildcard", `{"StringEquals":{"aws:username":"b*"}}`, ctxOf("aws:username", "bob"), false, false},
		{"StringNotEquals different", `{"StringNotEquals":{"aws:username":"alice"}}`, ctxOf("aws:username", "bob"), true, false},
		{"StringNotEquals same", `{"StringNotEquals":{"aws:username":"bob"}}`, ctxOf("aws:username", "bob"), false, false},
		{"StringNotEquals NOR over values", `{"StringNotEquals":{"aws:username":["alice","bob"]}}`, ctxOf("aws:username", "bob"), false, false},
		{"StringNotEquals missing key is true", `{"StringNotEquals":{"aws:username":"bob"}}`, ctxOf(), true, false},
		{"StringEqualsIgnoreCase", `{"StringEqualsIgnoreCase":{"aws:PrincipalTag/dept":"Sales"}}`, ctxOf("aws:PrincipalTag/dept", "SALES"), true, false},
		{"StringNotEqualsIgnoreCase", `{"StringNotEqualsIgnoreCase":{"aws:PrincipalTag/dept":"Sales"}}`, ctxOf("aws:PrincipalTag/dept", "sales"), false, false},
		{"StringLike star", `{"StringLike":{"s3:prefix":["","home/","home/${aws:username}/*"]}}`, ctxOf("s3:prefix", "home/bob/docs", "aws:username", "bob"), true, false},
		{"StringLike question", `{"StringLike":{"aws:username":"b?b"}}`, ctxOf("aws:username", "bob"), true, false},
		{"StringLike case-sensitive", `{"StringLike":{"aws:username":"B*"}}`, ctxOf("aws:username", "bob"), false, false},
		{"StringNotLike", `{"StringNotLike":{"aws:username":"adm*"}}`, ctxOf("aws:username", "admin"), false, false},
		{"StringNotLike missing key is true", `{"StringNotLike":{"aws:username":"adm*"}}`, ctxOf(), true, false},

		// Numeric operators.
		{"NumericLessThanEquals", `{"NumericLessThanEquals":{"s3:max-keys":"10"}}`, ctxOf("s3:max-keys", "10"), true, false},
		{"NumericLessThanEquals over", `{"NumericLessThanEquals":{"s3:max-keys":"10"}}`, ctxOf("s3:max-keys", "11"), false, false},
		{"NumericEquals JSON number", `{"NumericEquals":{"s3:max-keys":10}}`, ctxOf("s3:max-keys", "10.0"), true, false},
		{"NumericNotEquals", `{"NumericNotEquals":{"s3:max-keys":10}}`, ctxOf("s3:max-keys", "9"), true, false},
		{"NumericLessThan", `{"NumericLessThan":{"k:n":"1.5"}}`, ctxOf("k:n", "1.4"), true, false},
		{"NumericGreaterThan", `{"NumericGreaterThan":{"k:n":"-3"}}`, ctxOf("k:n", "-2"), true, false},
		{"NumericGreaterThanEquals", `{"NumericGreaterThanEquals":{"k:n":"2e3"}}`, ctxOf("k:n", "2000"), true, false},
		{"NumericEquals missing", `{"NumericEquals":{"k:n":"1"}}`, ctxOf(), false, false},
		{"NumericNotEquals missing is true", `{"NumericNotEquals":{"k:n":"1"}}`, ctxOf(), true, false},
		{"Numeric bad request value fails closed", `{"NumericEquals":{"k:n":"1"}}`, ctxOf("k:n", "one"), false, true},
		{"Numeric hex is not a number", `{"NumericNotEquals":{"k:n":"1"}}`, ctxOf("k:n", "0x10"), false, true},

		// Date operators.
		{"DateGreaterThan ISO", `{"DateGreaterThan":{"aws:TokenIssueTime":"2020-01-01T00:00:01Z"}}`, ctxOf("aws:TokenIssueTime", "2020-01-01T00:00:02Z"), true, false},
		{"DateLessThan epoch vs ISO", `{"DateLessThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}`, ctxOf("aws:CurrentTime", "1577836799"), true, false},
		{"DateEquals epoch both", `{"DateEquals":{"aws:EpochTime":1577836800}}`, ctxOf("aws:EpochTime", "2020-01-01T00:00:00Z"), true, false},
		{"DateEquals offset", `{"DateEquals":{"aws:CurrentTime":"2020-01-01T01:00:00+01:00"}}`, ctxOf("aws:CurrentTime", "2020-01-01T00:00:00Z"), true, false},
		{"DateLessThanEquals date only", `{"DateLessThanEquals":{"aws:CurrentTime":"2020-01-01"}}`, ctxOf("aws:CurrentTime", "2020-01-01T00:00:00Z"), true, false},
		{"DateGreaterThanEquals fraction", `{"DateGreaterThanEquals":{"aws:CurrentTime":"2020-01-01T00:00:00.5Z"}}`, ctxOf("aws:CurrentTime", "2020-01-01T00:00:00.4Z"), false, false},
		{"DateNotEquals", `{"DateNotEquals":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}`, ctxOf("aws:CurrentTime", "2021-01-01T00:00:00Z"), true, false},
		{"Date bad request value fails closed", `{"DateNotEquals":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}`, ctxOf("aws:CurrentTime", "yesterday"), false, true},

		// Bool and Binary.
		{"Bool true", `{"Bool":{"aws:SecureTransport":"true"}}`, ctxOf("aws:SecureTransport", "true"), true, false},
		{"Bool JSON bool", `{"Bool":{"aws:SecureTransport":true}}`, ctxOf("aws:SecureTransport", "TRUE"), true, false},
		{"Bool false mismatch", `{"Bool":{"aws:SecureTransport":"false"}}`, ctxOf("aws:SecureTransport", "true"), false, false},
		{"Bool missing", `{"Bool":{"aws:MultiFactorAuthPresent":"false"}}`, ctxOf(), false, false},
		{"Bool bad request value fails closed", `{"Bool":{"aws:SecureTransport":"true"}}`, ctxOf("aws:SecureTransport", "yes"), false, true},
		{"BinaryEquals", `{"BinaryEquals":{"k:bin":"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}`, ctxOf("k:bin", "QmluYXJ5VmFsdWVJbkJhc2U2NA=="), true, false},
		{"BinaryEquals differs", `{"BinaryEquals":{"k:bin":"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}`, ctxOf("k:bin", "AAAA"), false, false},
		{"Binary bad base64 fails closed", `{"BinaryEquals":{"k:bin":"AAAA"}}`, ctxOf("k:bin", "!!!"), false, true},

		// IP address operators.
		{"IpAddress v4 in", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, ctxOf("aws:SourceIp", "203.0.113.7"), true, false},
		{"IpAddress v4 out", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, ctxOf("aws:SourceIp", "203.0.114.7"), false, false},
		{"IpAddress single address", `{"IpAddress":{"aws:SourceIp":"203.0.113.7"}}`, ctxOf("aws:SourceIp", "203.0.113.7"), true, false},
		{"IpAddress v6", `{"IpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:DB8:1234:5678::/64"]}}`, ctxOf("aws:SourceIp", "2001:db8:1234:5678::1"), true, false},
		{"IpAddress v4-mapped", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, ctxOf("aws:SourceIp", "::ffff:203.0.113.9"), true, false},
		{"NotIpAddress out", `{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, ctxOf("aws:SourceIp", "198.51.100.1"), true, false},
		{"NotIpAddress in", `{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, ctxOf("aws:SourceIp", "203.0.113.1"), false, false},
		{"NotIpAddress missing is true", `{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, ctxOf(), true, false},
		{"IpAddress bad request value fails closed", `{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}`, ctxOf("aws:SourceIp", "localhost"), false, true},

		// ARN operators: segment-wise.
		{"ArnLike", `{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:123456789012:*"}}`, ctxOf("aws:SourceArn", "arn:aws:sns:us-east-1:123456789012:topic"), true, false},
		{"ArnLike star stays in its segment", `{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:123456789012:*"}}`, ctxOf("aws:SourceArn", "arn:aws:sns:us-east-1:extra:123456789012:topic"), false, false},
		{"ArnLike last segment keeps colons", `{"ArnLike":{"aws:SourceArn":"arn:aws:lambda:*:123456789012:function:*"}}`, ctxOf("aws:SourceArn", "arn:aws:lambda:us-east-1:123456789012:function:f:1"), true, false},
		{"ArnEquals takes wildcards too", `{"ArnEquals":{"aws:SourceArn":"arn:aws:s3:::bucket-?"}}`, ctxOf("aws:SourceArn", "arn:aws:s3:::bucket-a"), true, false},
		{"ArnEquals case-sensitive", `{"ArnEquals":{"aws:SourceArn":"arn:aws:s3:::Bucket"}}`, ctxOf("aws:SourceArn", "arn:aws:s3:::bucket"), false, false},
		{"ArnNotEquals", `{"ArnNotEquals":{"aws:PrincipalArn":"arn:aws:iam::123456789012:role/admin"}}`, ctxOf("aws:PrincipalArn", "arn:aws:iam::123456789012:role/dev"), true, false},
		{"ArnNotLike matching", `{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/admin*"}}`, ctxOf("aws:PrincipalArn", "arn:aws:iam::123456789012:role/admin-1"), false, false},
		{"ArnNotLike missing is true", `{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/admin*"}}`, ctxOf(), true, false},
		{"Arn request not an ARN fails closed", `{"ArnLike":{"aws:SourceArn":"arn:aws:s3:::*"}}`, ctxOf("aws:SourceArn", "bucket"), false, true},

		// Null.
		{"Null true, absent", `{"Null":{"aws:TokenIssueTime":"true"}}`, ctxOf(), true, false},
		{"Null true, present", `{"Null":{"aws:TokenIssueTime":"true"}}`, ctxOf("aws:TokenIssueTime", "2020-01-01T00:00:00Z"), false, false},
		{"Null false, present", `{"Null":{"aws:TokenIssueTime":false}}`, ctxOf("aws:TokenIssueTime", "2020-01-01T00:00:00Z"), true, false},
		{"Null false, absent", `{"Null":{"aws:TokenIssueTime":"false"}}`, ctxOf(), false, false},
		{"Null empty list is absent", `{"Null":{"aws:TagKeys":"true"}}`, Context{"aws:tagkeys": {}}, true, false},

		// ...IfExists.
		{"IfExists absent is true", `{"StringLikeIfExists":{"ec2:InstanceType":["t1.*","t2.*"]}}`, ctxOf(), true, false},
		{"IfExists present matches", `{"StringLikeIfExists":{"ec2:InstanceType":["t1.*","t2.*"]}}`, ctxOf("ec2:InstanceType", "t2.micro"), true, false},
		{"IfExists present mismatch", `{"StringLikeIfExists":{"ec2:InstanceType":["t1.*","t2.*"]}}`, ctxOf("ec2:InstanceType", "m5.large"), false, false},
		{"NumericLessThanIfExists absent", `{"NumericLessThanIfExists":{"k:n":"3"}}`, ctxOf(), true, false},
		{"DateGreaterThanIfExists present", `{"DateGreaterThanIfExists":{"aws:TokenIssueTime":"2020-01-01T00:00:00Z"}}`, ctxOf("aws:TokenIssueTime", "2019-01-01T00:00:00Z"), false, false},
		{"BoolIfExists absent", `{"BoolIfExists":{"aws:MultiFactorAuthPresent":"true"}}`, ctxOf(), true, false},
		{"BinaryEqualsIfExists absent", `{"BinaryEqualsIfExists":{"k:b":"AAAA"}}`, ctxOf(), true, false},
		{"IpAddressIfExists absent", `{"IpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}}`, ctxOf(), true, false},
		{"NotIpAddressIfExists present in", `{"NotIpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}}`, ctxOf("aws:SourceIp", "10.0.0.1"), false, false},
		{"ArnLikeIfExists absent", `{"ArnLikeIfExists":{"aws:SourceArn":"arn:aws:s3:::*"}}`, ctxOf(), true, false},
		{"StringNotEqualsIfExists present equal", `{"StringNotEqualsIfExists":{"aws:username":"bob"}}`, ctxOf("aws:username", "bob"), false, false},

		// Set operators. AWS: reference_policies_condition-single-vs-multi-valued-context-keys.
		{"ForAllValues subset", `{"ForAllValues:StringEquals":{"aws:TagKeys":["environment","cost-center"]}}`, ctxOf("aws:TagKeys", "environment"), true, false},
		{"ForAllValues not subset", `{"ForAllValues:StringEquals":{"aws:TagKeys":["environment","cost-center"]}}`, ctxOf("aws:TagKeys", "environment", "aws:TagKeys", "owner"), false, false},
		{"ForAllValues missing key is true", `{"ForAllValues:StringEquals":{"aws:TagKeys":["environment"]}}`, ctxOf(), true, false},
		{"ForAllValues empty list is true", `{"ForAllValues:StringEquals":{"aws:TagKeys":["environment"]}}`, Context{"aws:tagkeys": {}}, true, false},
		{"ForAnyValue one matches", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["environment","cost-center"]}}`, ctxOf("aws:TagKeys", "owner", "aws:TagKeys", "environment"), true, false},
		{"ForAnyValue none matches", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["environment"]}}`, ctxOf("aws:TagKeys", "owner"), false, false},
		{"ForAnyValue missing key is false", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["environment"]}}`, ctxOf(), false, false},
		{"ForAnyValue negated missing is false", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["environment"]}}`, ctxOf(), false, false},
		{"ForAnyValue:StringNotLike one outside", `{"ForAnyValue:StringNotLike":{"aws:TagKeys":["env*"]}}`, ctxOf("aws:TagKeys", "environment", "aws:TagKeys", "owner"), true, false},
		{"ForAllValues:StringNotLike all outside", `{"ForAllValues:StringNotLike":{"aws:TagKeys":["env*"]}}`, ctxOf("aws:TagKeys", "owner", "aws:TagKeys", "dept"), true, false},
		{"ForAllValues:StringNotLike one inside", `{"ForAllValues:StringNotLike":{"aws:TagKeys":["env*"]}}`, ctxOf("aws:TagKeys", "owner", "aws:TagKeys", "env"), false, false},
		{"ForAnyValue IfExists missing", `{"ForAnyValue:StringEqualsIfExists":{"aws:TagKeys":["x"]}}`, ctxOf(), true, false},
		{"ForAllValues NumericLessThan", `{"ForAllValues:NumericLessThan":{"k:n":"10"}}`, ctxOf("k:n", "1", "k:n", "9"), true, false},
		{"plain operator on multivalued key: any", `{"StringEquals":{"aws:TagKeys":"a"}}`, ctxOf("aws:TagKeys", "b", "aws:TagKeys", "a"), true, false},
		{"plain negated on multivalued key: none", `{"StringNotEquals":{"aws:TagKeys":"a"}}`, ctxOf("aws:TagKeys", "b", "aws:TagKeys", "a"), false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := identity(t, condPolicy(tt.cond))
			req := &Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k", Context: tt.ctx}
			got := Evaluate(s, req, Options{})
			if (got.Decision == Allowed) != tt.want || (got.Err != nil) != tt.wantErr {
				t.Errorf("Evaluate(%q) = %v (err %v), want allowed=%v err=%v", tt.cond, got.Decision, got.Err, tt.want, tt.wantErr)
			}
			if got.Err != nil && got.Decision == Allowed {
				t.Errorf("Evaluate(%q) = allowed with error %v: must fail closed", tt.cond, got.Err)
			}
		})
	}
}

// TestConditionDenyErrorFailsClosed: a Deny statement whose condition
// cannot be evaluated does not deny explicitly, but the result is never
// Allowed either.
func TestConditionDenyErrorFailsClosed(t *testing.T) {
	t.Parallel()
	s := identity(t, `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"*","Resource":"*"},
		{"Sid":"NoOldTokens","Effect":"Deny","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:TokenIssueTime":"2020-01-01T00:00:00Z"}}}]}`)
	req := &Request{Action: "s3:GetObject", Resource: "*", Context: ctxOf("aws:TokenIssueTime", "garbage")}
	got := Evaluate(s, req, Options{})
	if got.Decision != ImplicitDeny || got.Err == nil || got.DeniedBy != KindIdentity {
		t.Errorf("Evaluate(%q) = %v (denied by %q, err %v), want %v with an error", req.Action, got.Decision, got.DeniedBy, got.Err, ImplicitDeny)
	}
}

func TestParseOperator(t *testing.T) {
	t.Parallel()
	for name, spec := range operators {
		for _, prefix := range []string{"", "ForAnyValue:", "ForAllValues:"} {
			for _, suffix := range []string{"", "IfExists"} {
				op := prefix + name + suffix
				wantErr := spec.fam == famNull && (prefix != "" || suffix != "")
				_, set, ifExists, err := parseOperator(op)
				if (err != nil) != wantErr {
					t.Errorf("parseOperator(%q) error = %v, want error %v", op, err, wantErr)
					continue
				}
				if err == nil && (ifExists != (suffix != "") || (set != setNone) != (prefix != "")) {
					t.Errorf("parseOperator(%q) = set %v ifExists %v, want prefix %q suffix %q", op, set, ifExists, prefix, suffix)
				}
			}
		}
	}
	for _, bad := range []string{"stringequals", "StringEqual", "ForSomeValues:StringEquals", "NullIfExists", "IfExists", "StringEqualsIfExistsIfExists"} {
		if _, _, _, err := parseOperator(bad); err == nil {
			t.Errorf("parseOperator(%q) = nil error, want unknown operator", bad)
		}
	}
}

func ExampleEvaluate() {
	p, err := Parse(`{
	  "Version": "2012-10-17",
	  "Statement": [{
	    "Effect": "Allow",
	    "Action": "iotthingsgraph:*",
	    "Resource": "*",
	    "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}
	  }]
	}`)
	if err != nil {
		panic(err)
	}
	ctx := Context{}
	ctx.Set("aws:SourceIp", "10.1.2.3")
	res := Evaluate(Set{Identity: []NamedPolicy{{ID: "AllowTG", Policy: p}}},
		&Request{Action: "IoTThingsGraph:DeploySystemInstance", Resource: "*", Context: ctx}, Options{})
	fmt.Println(res.Decision, res.Matched[0].PolicyID)
	// Output: allowed AllowTG
}
