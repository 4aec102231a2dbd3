package iot_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	iotsdk "github.com/aws/aws-sdk-go-v2/service/iot"
	"github.com/aws/aws-sdk-go-v2/service/iot/types"
	"github.com/google/go-cmp/cmp"

	"github.com/tgsim/tgsim/fakes/iot"
)

const allowAll = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:*","Resource":"*"}]}`

func publishOnly(topic string) string {
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["iot:Publish","iot:Connect"],"Resource":"arn:aws:iot:*:*:topic/%s"}}`, topic)
}

func TestPolicies(t *testing.T) {
	ctx := context.Background()
	srv, c := newClient(t, iot.Options{AccountID: "123456789012"})
	out, err := c.CreatePolicy(ctx, &iotsdk.CreatePolicyInput{PolicyName: aws.String("dev"), PolicyDocument: aws.String(allowAll)})
	if err != nil {
		t.Fatalf("CreatePolicy: %v", err)
	}
	if aws.ToString(out.PolicyArn) != "arn:aws:iot:us-east-1:123456789012:policy/dev" || aws.ToString(out.PolicyVersionId) != "1" {
		t.Errorf("CreatePolicy = %s %s", aws.ToString(out.PolicyArn), aws.ToString(out.PolicyVersionId))
	}
	v2, err := c.CreatePolicyVersion(ctx, &iotsdk.CreatePolicyVersionInput{PolicyName: aws.String("dev"), PolicyDocument: aws.String(publishOnly("a")), SetAsDefault: true})
	if err != nil || aws.ToString(v2.PolicyVersionId) != "2" || !v2.IsDefaultVersion {
		t.Fatalf("CreatePolicyVersion = %+v, %v", v2, err)
	}
	if _, err := c.CreatePolicyVersion(ctx, &iotsdk.CreatePolicyVersionInput{PolicyName: aws.String("dev"), PolicyDocument: aws.String(publishOnly("b"))}); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetPolicy(ctx, &iotsdk.GetPolicyInput{PolicyName: aws.String("dev")})
	if err != nil || aws.ToString(got.DefaultVersionId) != "2" || aws.ToString(got.PolicyDocument) != publishOnly("a") {
		t.Errorf("GetPolicy = %+v, %v; want default 2", got, err)
	}
	gv, err := c.GetPolicyVersion(ctx, &iotsdk.GetPolicyVersionInput{PolicyName: aws.String("dev"), PolicyVersionId: aws.String("3")})
	if err != nil || gv.IsDefaultVersion || aws.ToString(gv.PolicyDocument) != publishOnly("b") {
		t.Errorf("GetPolicyVersion(3) = %+v, %v", gv, err)
	}
	if _, err := c.SetDefaultPolicyVersion(ctx, &iotsdk.SetDefaultPolicyVersionInput{PolicyName: aws.String("dev"), PolicyVersionId: aws.String("3")}); err != nil {
		t.Fatalf("SetDefaultPolicyVersion: %v", err)
	}
	if _, err := c.DeletePolicyVersion(ctx, &iotsdk.DeletePolicyVersionInput{PolicyName: aws.String("dev"), PolicyVersionId: aws.String("1")}); err != nil {
		t.Fatalf("DeletePolicyVersion: %v", err)
	}
	lv, err := c.ListPolicyVersions(ctx, &iotsdk.ListPolicyVersionsInput{PolicyName: aws.String("dev")})
	if err != nil {
		t.Fatal(err)
	}
	var versions []string
	for _, v := range lv.PolicyVersions {
		versions = append(versions, fmt.Sprintf("%s:%v", aws.ToString(v.VersionId), v.IsDefaultVersion))
	}
	if want := []string{"2:false", "3:true"}; !cmp.Equal(versions, want) {
		t.Errorf("ListPolicyVersions = %v, want %v", versions, want)
	}

	// Attach to a certificate and a thing group; the data plane sees both
	// (the group's through the certificate's thing, ancestors included).
	if _, err := c.CreatePolicy(ctx, &iotsdk.CreatePolicyInput{PolicyName: aws.String("site"), PolicyDocument: aws.String(publishOnly("site"))}); err != nil {
		t.Fatal(err)
	}
	cert, err := c.CreateKeysAndCertificate(ctx, &iotsdk.CreateKeysAndCertificateInput{SetAsActive: true})
	if err != nil {
		t.Fatal(err)
	}
	root, err := c.CreateThingGroup(ctx, &iotsdk.CreateThingGroupInput{ThingGroupName: aws.String("root")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateThingGroup(ctx, &iotsdk.CreateThingGroupInput{ThingGroupName: aws.String("leaf"), ParentGroupName: aws.String("root")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateThing(ctx, &iotsdk.CreateThingInput{ThingName: aws.String("dev1")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AttachThingPrincipal(ctx, &iotsdk.AttachThingPrincipalInput{ThingName: aws.String("dev1"), Principal: cert.CertificateArn}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddThingToThingGroup(ctx, &iotsdk.AddThingToThingGroupInput{ThingGroupName: aws.String("leaf"), ThingName: aws.String("dev1")}); err != nil {
		t.Fatal(err)
	}
	for _, a := range []struct{ policy, target string }{{"dev", aws.ToString(cert.CertificateArn)}, {"site", aws.ToString(root.ThingGroupArn)}, {"dev", aws.ToString(root.ThingGroupArn)}} {
		if _, err := c.AttachPolicy(ctx, &iotsdk.AttachPolicyInput{PolicyName: aws.String(a.policy), Target: aws.String(a.target)}); err != nil {
			t.Fatalf("AttachPolicy(%s, %s): %v", a.policy, a.target, err)
		}
	}
	if got, want := srv.PoliciesForCertificate(aws.ToString(cert.CertificateId)), []string{publishOnly("b"), publishOnly("site")}; !cmp.Equal(got, want) {
		t.Errorf("PoliciesForCertificate (-want +got):\n%s", cmp.Diff(want, got))
	}
	ap, err := c.ListAttachedPolicies(ctx, &iotsdk.ListAttachedPoliciesInput{Target: cert.CertificateArn})
	if err != nil || len(ap.Policies) != 1 || aws.ToString(ap.Policies[0].PolicyName) != "dev" {
		t.Errorf("ListAttachedPolicies(cert) = %+v, %v", ap, err)
	}
	leafARN := strings.Replace(aws.ToString(root.ThingGroupArn), "/root", "/leaf", 1)
	ap, err = c.ListAttachedPolicies(ctx, &iotsdk.ListAttachedPoliciesInput{Target: aws.String(leafARN), Recursive: true})
	if err != nil || len(ap.Policies) != 2 {
		t.Errorf("ListAttachedPolicies(leaf, recursive) = %+v, %v; want dev and site", ap, err)
	}
	tg, err := c.ListTargetsForPolicy(ctx, &iotsdk.ListTargetsForPolicyInput{PolicyName: aws.String("dev")})
	if err != nil || !cmp.Equal(tg.Targets, []string{aws.ToString(cert.CertificateArn), aws.ToString(root.ThingGroupArn)}) {
		t.Errorf("ListTargetsForPolicy(dev) = %v, %v", tg.Targets, err)
	}
	lp, err := c.ListPolicies(ctx, &iotsdk.ListPoliciesInput{AscendingOrder: true})
	if err != nil || len(lp.Policies) != 2 || aws.ToString(lp.Policies[0].PolicyName) != "dev" {
		t.Errorf("ListPolicies = %+v, %v", lp, err)
	}

	// Detach everything, drop the other versions, delete.
	for _, target := range tg.Targets {
		if _, err := c.DetachPolicy(ctx, &iotsdk.DetachPolicyInput{PolicyName: aws.String("dev"), Target: aws.String(target)}); err != nil {
			t.Fatalf("DetachPolicy: %v", err)
		}
	}
	if _, err := c.DeletePolicyVersion(ctx, &iotsdk.DeletePolicyVersionInput{PolicyName: aws.String("dev"), PolicyVersionId: aws.String("2")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeletePolicy(ctx, &iotsdk.DeletePolicyInput{PolicyName: aws.String("dev")}); err != nil {
		t.Fatalf("DeletePolicy: %v", err)
	}
	if got := srv.PoliciesForCertificate(aws.ToString(cert.CertificateId)); !cmp.Equal(got, []string{publishOnly("site")}) {
		t.Errorf("PoliciesForCertificate after delete = %v", got)
	}
}

func TestPolicyErrors(t *testing.T) {
	ctx := context.Background()
	_, c := newClient(t, iot.Options{AccountID: "123456789012"})
	for _, n := range []string{"attached", "versions", "full"} {
		if _, err := c.CreatePolicy(ctx, &iotsdk.CreatePolicyInput{PolicyName: aws.String(n), PolicyDocument: aws.String(allowAll)}); err != nil {
			t.Fatal(err)
		}
	}
	cert, err := c.CreateKeysAndCertificate(ctx, &iotsdk.CreateKeysAndCertificateInput{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AttachPolicy(ctx, &iotsdk.AttachPolicyInput{PolicyName: aws.String("attached"), Target: cert.CertificateArn}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreatePolicyVersion(ctx, &iotsdk.CreatePolicyVersionInput{PolicyName: aws.String("versions"), PolicyDocument: aws.String(allowAll)}); err != nil {
		t.Fatal(err)
	}
	for range 4 {
		if _, err := c.CreatePolicyVersion(ctx, &iotsdk.CreatePolicyVersionInput{PolicyName: aws.String("full"), PolicyDocument: aws.String(allowAll)}); err != nil {
			t.Fatal(err)
		}
	}
	malformed := []struct{ name, doc string }{
		{"not JSON", `{`},
		{"no Version", `{"Statement":[{"Effect":"Allow","Action":"iot:*","Resource":"*"}]}`},
		{"old Version", `{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Action":"iot:*","Resource":"*"}]}`},
		{"no Statement", `{"Version":"2012-10-17"}`},
		{"bad Effect", `{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Action":"iot:*","Resource":"*"}]}`},
		{"non-IoT action", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`},
		{"no Resource", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Connect"}]}`},
		{"unknown element", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:*","Resource":"*","Principal":"*"}]}`},
		{"too long", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:*","Resource":"` + strings.Repeat("x", 2048) + `"}]}`},
	}
	var cases []errorCase
	for _, m := range malformed {
		cases = append(cases, errorCase{"CreatePolicy " + m.name, func() error {
			_, err := c.CreatePolicy(ctx, &iotsdk.CreatePolicyInput{PolicyName: aws.String("bad"), PolicyDocument: aws.String(m.doc)})
			return err
		}, is[types.MalformedPolicyException]()})
	}
	cases = append(cases, []errorCase{
		{"CreatePolicy exists", func() error {
			_, err := c.CreatePolicy(ctx, &iotsdk.CreatePolicyInput{PolicyName: aws.String("full"), PolicyDocument: aws.String(allowAll)})
			return err
		}, is[types.ResourceAlreadyExistsException]()},
		{"CreatePolicy bad name", func() error {
			_, err := c.CreatePolicy(ctx, &iotsdk.CreatePolicyInput{PolicyName: aws.String("a b"), PolicyDocument: aws.String(allowAll)})
			return err
		}, is[types.InvalidRequestException]()},
		{"GetPolicy missing", func() error {
			_, err := c.GetPolicy(ctx, &iotsdk.GetPolicyInput{PolicyName: aws.String("nope")})
			return err
		}, is[types.ResourceNotFoundException]()},
		{"DeletePolicy missing", func() error {
			_, err := c.DeletePolicy(ctx, &iotsdk.DeletePolicyInput{PolicyName: aws.String("nope")})
			return err
		}, is[types.ResourceNotFoundException]()},
		{"DeletePolicy attached", func() error {
			_, err := c.DeletePolicy(ctx, &iotsdk.DeletePolicyInput{PolicyName: aws.String("attached")})
			return err
		}, is[types.DeleteConflictException]()},
		{"DeletePolicy with versions", func() error {
			_, err := c.DeletePolicy(ctx, &iotsdk.DeletePolicyInput{PolicyName: aws.String("versions")})
			return err
		}, is[types.DeleteConflictException]()},
		{"CreatePolicyVersion sixth", func() error {
			_, err := c.CreatePolicyVersion(ctx, &iotsdk.CreatePolicyVersionInput{PolicyName: aws.String("full"), PolicyDocument: aws.String(allowAll)})
			return err
		}, is[types.VersionsLimitExceededException]()},
		{"CreatePolicyVersion missing", func() error {
			_, err := c.CreatePolicyVersion(ctx, &iotsdk.CreatePolicyVersionInput{PolicyName: aws.String("nope"), PolicyDocument: aws.String(allowAll)})
			return err
		}, is[types.ResourceNotFoundException]()},
		{"CreatePolicyVersion malformed", func() error {
			_, err := c.CreatePolicyVersion(ctx, &iotsdk.CreatePolicyVersionInput{PolicyName: aws.String("versions"), PolicyDocument: aws.String("[]")})
			return err
		}, is[types.MalformedPolicyException]()},
		{"GetPolicyVersion missing version", func() error {
			_, err := c.GetPolicyVersion(ctx, &iotsdk.GetPolicyVersionInput{PolicyName: aws.String("full"), PolicyVersionId: aws.String("9")})
			return err
		}, is[types.ResourceNotFoundException]()},
		{"SetDefaultPolicyVersion missing version", func() error {
			_, err := c.SetDefaultPolicyVersion(ctx, &iotsdk.SetDefaultPolicyVersionInput{PolicyName: aws.String("full"), PolicyVersionId: aws.String("9")})
			return err
		}, is[types.ResourceNotFoundException]()},
		{"DeletePolicyVersion default", func() error {
			_, err := c.DeletePolicyVersion(ctx, &iotsdk.DeletePolicyVersionInput{PolicyName: aws.String("full"), PolicyVersionId: aws.String("1")})
			return err
		}, is[types.DeleteConflictException]()},
		{"ListPolicyVersions missing", func() error {
			_, err := c.ListPolicyVersions(ctx, &iotsdk.ListPolicyVersionsInput{PolicyName: aws.String("nope")})
			return err
		}, is[types.ResourceNotFoundException]()},
		{"AttachPolicy missing policy", func() error {
			_, err := c.AttachPolicy(ctx, &iotsdk.AttachPolicyInput{PolicyName: aws.String("nope"), Target: cert.CertificateArn})
			return err
		}, is[types.ResourceNotFoundException]()},
		{"AttachPolicy missing group", func() error {
			_, err := c.AttachPolicy(ctx, &iotsdk.AttachPolicyInput{PolicyName: aws.String("full"), Target: aws.String("arn:aws:iot:us-east-1:123456789012:thinggroup/nope")})
			return err
		}, is[types.ResourceNotFoundException]()},
		{"AttachPolicy bad target", func() error {
			_, err := c.AttachPolicy(ctx, &iotsdk.AttachPolicyInput{PolicyName: aws.String("full"), Target: aws.String("arn:aws:iot:us-east-1:123456789012:thing/x")})
			return err
		}, is[types.InvalidRequestException]()},
		{"ListAttachedPolicies missing cert", func() error {
			_, err := c.ListAttachedPolicies(ctx, &iotsdk.ListAttachedPoliciesInput{Target: aws.String("arn:aws:iot:us-east-1:123456789012:cert/" + strings.Repeat("0", 64))})
			return err
		}, is[types.ResourceNotFoundException]()},
		{"ListTargetsForPolicy missing", func() error {
			_, err := c.ListTargetsForPolicy(ctx, &iotsdk.ListTargetsForPolicyInput{PolicyName: aws.String("nope")})
			return err
		}, is[types.ResourceNotFoundException]()},
	}...)
	runErrorCases(t, cases)
}

func TestPolicyLimitPerTarget(t *testing.T) {
	ctx := context.Background()
	_, c := newClient(t, iot.Options{})
	cert, err := c.CreateKeysAndCertificate(ctx, &iotsdk.CreateKeysAndCertificateInput{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 11 {
		name := fmt.Sprintf("p%d", i)
		if _, err := c.CreatePolicy(ctx, &iotsdk.CreatePolicyInput{PolicyName: aws.String(name), PolicyDocument: aws.String(allowAll)}); err != nil {
			t.Fatal(err)
		}
		_, err := c.AttachPolicy(ctx, &iotsdk.AttachPolicyInput{PolicyName: aws.String(name), Target: cert.CertificateArn},
			func(o *iotsdk.Options) { o.RetryMaxAttempts = 1 })
		if i < 10 && err != nil {
			t.Fatalf("AttachPolicy %d: %v", i, err)
		}
		if i == 10 && !is[types.LimitExceededException]()(err) {
			t.Errorf("AttachPolicy eleventh = %v, want LimitExceededException", err)
		}
	}
}
