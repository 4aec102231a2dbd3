package scenario

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/greengrass"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iot"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	awsv1 "github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/awserr"
	credsv1 "github.com/aws/aws-sdk-go/aws/credentials"
	"github.com/aws/aws-sdk-go/aws/session"
	"github.com/aws/aws-sdk-go/service/iotdataplane"
	"github.com/aws/aws-sdk-go/service/iotthingsgraph"
	"github.com/aws/smithy-go"
)

// identity is one set of credentials and every official client built on them.
type identity struct {
	name string // "" for the account root
	arn  string
	tg   *iotthingsgraph.IoTThingsGraph
	iot  *iot.Client
	gg   *greengrass.Client
	s3   *s3.Client
	iam  *iam.Client
	sts  *sts.Client
	// data is AWS IoT's HTTPS data plane (Publish): aws-sdk-go-v2 has no
	// iotdataplane module on the proxy this project builds from, so the
	// v1 client is the official one here.
	data *iotdataplane.IoTDataPlane
}

func (r *runner) newIdentity(name, arn, akid, secret, token string) *identity {
	cfg := r.h.AWS.Copy()
	cfg.Credentials = credentials.NewStaticCredentialsProvider(akid, secret, token)
	ep := aws.String(r.h.URL)
	log := r.log
	sess := session.Must(session.NewSession(&awsv1.Config{
		Region: awsv1.String(r.h.Region()), Endpoint: awsv1.String(r.h.URL),
		Credentials: credsv1.NewStaticCredentials(akid, secret, token),
		MaxRetries:  awsv1.Int(0),
		// The v1 client logs "This operation, X, has been deprecated" on
		// every Things Graph call (the service is discontinued): keep it
		// out of reports.
		Logger: awsv1.LoggerFunc(func(args ...any) { log.Debug("aws-sdk-go", "message", fmt.Sprint(args...)) }),
	}))
	return &identity{
		name: name, arn: arn,
		// Things Graph has no aws-sdk-go-v2 client; the v1 client is the
		// official Go client for it.
		tg:   iotthingsgraph.New(sess),
		data: iotdataplane.New(sess),
		iot:  iot.NewFromConfig(cfg, func(o *iot.Options) { o.BaseEndpoint = ep }),
		gg:   greengrass.NewFromConfig(cfg, func(o *greengrass.Options) { o.BaseEndpoint = ep }),
		s3:   s3.NewFromConfig(cfg, func(o *s3.Options) { o.BaseEndpoint = ep; o.UsePathStyle = true }),
		iam:  iam.NewFromConfig(cfg, func(o *iam.Options) { o.BaseEndpoint = ep }),
		sts:  sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = ep }),
	}
}

// as returns the identity of a scenario user, or the root for "".
func (r *runner) as(name string) *identity {
	if name == "" {
		return r.root
	}
	return r.users[name]
}

// setupIAM creates the file's managed policies and users, each with an
// access key, as the account root.
func (r *runner) setupIAM(ctx context.Context) error {
	arns := map[string]string{}
	for _, p := range r.f.IAM.Policies {
		doc, err := r.policyDocument(p)
		if err != nil {
			return err
		}
		out, err := r.root.iam.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(p.Name), PolicyDocument: aws.String(doc)})
		if err != nil {
			return fmt.Errorf("iam CreatePolicy %s: %w", p.Name, err)
		}
		arns[p.Name] = aws.ToString(out.Policy.Arn)
	}
	resolve := func(s string) string {
		if a, ok := arns[s]; ok {
			return a
		}
		return s
	}
	for _, u := range r.f.IAM.Users {
		in := &iam.CreateUserInput{UserName: aws.String(u.Name)}
		if u.Boundary != "" {
			in.PermissionsBoundary = aws.String(resolve(u.Boundary))
		}
		out, err := r.root.iam.CreateUser(ctx, in)
		if err != nil {
			return fmt.Errorf("iam CreateUser %s: %w", u.Name, err)
		}
		for _, p := range u.Policies {
			if _, err := r.root.iam.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String(u.Name), PolicyArn: aws.String(resolve(p))}); err != nil {
				return fmt.Errorf("iam AttachUserPolicy %s → %s: %w", u.Name, p, err)
			}
		}
		for _, name := range sortedKeys(u.Inline) {
			doc, err := jsonDocument(u.Inline[name])
			if err != nil {
				return fmt.Errorf("iam.users %s inline %s: %w", u.Name, name, err)
			}
			if _, err := r.root.iam.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(u.Name), PolicyName: aws.String(name), PolicyDocument: aws.String(doc)}); err != nil {
				return fmt.Errorf("iam PutUserPolicy %s %s: %w", u.Name, name, err)
			}
		}
		key, err := r.root.iam.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(u.Name)})
		if err != nil {
			return fmt.Errorf("iam CreateAccessKey %s: %w", u.Name, err)
		}
		r.users[u.Name] = r.newIdentity(u.Name, aws.ToString(out.User.Arn), aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey), "")
	}
	for _, role := range r.f.IAM.Roles {
		trust := role.Trust
		if trust == nil {
			svc := role.Service
			if svc == "" {
				svc = "iotthingsgraph.amazonaws.com"
			}
			trust = map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
				"Effect": "Allow", "Principal": map[string]any{"Service": svc}, "Action": "sts:AssumeRole"}}}
		}
		doc, err := jsonDocument(trust)
		if err != nil {
			return fmt.Errorf("iam.roles %s trust: %w", role.Name, err)
		}
		if _, err := r.root.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(role.Name), AssumeRolePolicyDocument: aws.String(doc)}); err != nil {
			return fmt.Errorf("iam CreateRole %s: %w", role.Name, err)
		}
		for _, p := range role.Policies {
			if _, err := r.root.iam.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(role.Name), PolicyArn: aws.String(resolve(p))}); err != nil {
				return fmt.Errorf("iam AttachRolePolicy %s → %s: %w", role.Name, p, err)
			}
		}
		for _, name := range sortedKeys(role.Inline) {
			doc, err := jsonDocument(role.Inline[name])
			if err != nil {
				return fmt.Errorf("iam.roles %s inline %s: %w", role.Name, name, err)
			}
			if _, err := r.root.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(role.Name), PolicyName: aws.String(name), PolicyDocument: aws.String(doc)}); err != nil {
				return fmt.Errorf("iam PutRolePolicy %s %s: %w", role.Name, name, err)
			}
		}
	}
	return nil
}

func (r *runner) policyDocument(p PolicySpec) (string, error) {
	if p.File != "" {
		b, err := os.ReadFile(r.f.resolve(p.File))
		if err != nil {
			return "", fmt.Errorf("iam.policies %s: %w", p.Name, err)
		}
		return string(b), nil
	}
	doc, err := jsonDocument(p.Document)
	if err != nil {
		return "", fmt.Errorf("iam.policies %s: %w", p.Name, err)
	}
	return doc, nil
}

// jsonDocument turns a YAML-written policy into JSON; a string is taken as
// JSON already (the policy as printed).
func jsonDocument(v any) (string, error) {
	if s, ok := v.(string); ok {
		return s, nil
	}
	b, err := json.Marshal(normalizeYAML(v))
	return string(b), err
}

// normalizeYAML turns map[any]any (nested YAML) into map[string]any.
func normalizeYAML(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = normalizeYAML(e)
		}
		return out
	case map[any]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[fmt.Sprint(k)] = normalizeYAML(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalizeYAML(e)
		}
		return out
	}
	return v
}

// errorOf returns the AWS error code and message of a client error.
func errorOf(err error) (code, message string) {
	var v1 awserr.Error
	if errors.As(err, &v1) {
		return v1.Code(), v1.Message()
	}
	var v2 smithy.APIError
	if errors.As(err, &v2) {
		return v2.ErrorCode(), v2.ErrorMessage()
	}
	return "", err.Error()
}

// outcome checks a call's result against an expectation. Without one, an
// error stops the run (returned); with one, the result becomes a check.
func (r *runner) outcome(name string, want *Outcome, err error) error {
	if want == nil {
		return err
	}
	if want.Error == "" {
		detail := "succeeded"
		if err != nil {
			code, msg := errorOf(err)
			detail = fmt.Sprintf("failed with %s: %s; want success", code, msg)
		}
		r.check(name, err == nil, "%s", detail)
		return nil
	}
	if err == nil {
		r.check(name, false, "succeeded; want %s containing %q", want.Error, want.Message)
		return nil
	}
	code, msg := errorOf(err)
	r.check(name, code == want.Error && strings.Contains(msg, want.Message), "%s: %s", code, msg)
	return nil
}

// callAPI calls any operation through the official client by reflection:
// Operation(ctx, *Input) for aws-sdk-go-v2 clients, OperationWithContext
// for the v1 Things Graph client. The input map is decoded into the input
// struct as JSON (member names match case-insensitively).
func (r *runner) callAPI(ctx context.Context, id *identity, service, op string, input map[string]any) error {
	_, err := r.callAPIOutput(ctx, id, service, op, input)
	return err
}

// callAPIOutput is callAPI that also returns the operation's output
// struct (nil on error).
func (r *runner) callAPIOutput(ctx context.Context, id *identity, service, op string, input map[string]any) (any, error) {
	var client any
	method := op
	switch service {
	case "iotthingsgraph":
		client, method = id.tg, op+"WithContext"
	case "s3":
		client = id.s3
	case "greengrass":
		client = id.gg
	case "iot":
		client = id.iot
	case "iam":
		client = id.iam
	case "sts":
		client = id.sts
	case "iot-data":
		client, method = id.data, op+"WithContext"
	}
	m := reflect.ValueOf(client).MethodByName(method)
	if !m.IsValid() || m.Type().NumIn() < 2 {
		return nil, fmt.Errorf("%s has no operation %s", service, op)
	}
	in := reflect.New(m.Type().In(1).Elem())
	expanded, err := r.expandFiles(normalizeYAML(input))
	if err != nil {
		return nil, err
	}
	if expanded, err = r.expandCertIDs(expanded); err != nil {
		return nil, fmt.Errorf("%s %s input: %w", service, op, err)
	}
	if m, ok := expanded.(map[string]any); ok && service == "iot-data" {
		expanded = blobPayload(m)
	}
	b, err := json.Marshal(expanded)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, in.Interface()); err != nil {
		return nil, fmt.Errorf("%s %s input: %w", service, op, err)
	}
	out := m.Call([]reflect.Value{reflect.ValueOf(ctx), in})
	if errV := out[len(out)-1]; !errV.IsNil() {
		return nil, errV.Interface().(error)
	}
	return out[0].Interface(), nil
}

// blobPayload lets a scenario write iot-data's blob member "payload" as
// the aws CLI's users think of it: a string is sent as its bytes, and a
// YAML object or list as its JSON. (The client's input struct wants
// base64 in JSON, which nobody writes by hand.)
func blobPayload(input map[string]any) map[string]any {
	v, ok := input["payload"]
	if !ok {
		return input
	}
	out := make(map[string]any, len(input))
	for k, e := range input {
		out[k] = e
	}
	var b []byte
	switch x := v.(type) {
	case string:
		b = []byte(x)
	default:
		b, _ = json.Marshal(x)
	}
	out["payload"] = base64.StdEncoding.EncodeToString(b)
	return out
}

// expandFiles replaces every string "file://PATH" with the contents of
// PATH (relative to the scenario), the aws CLI's convention.
func (r *runner) expandFiles(v any) (any, error) {
	return mapStrings(v, func(x string) (string, error) {
		p, ok := strings.CutPrefix(x, "file://")
		if !ok {
			return x, nil
		}
		b, err := os.ReadFile(r.f.resolve(p))
		if err != nil {
			return "", err
		}
		return string(b), nil
	})
}

// mapStrings applies f to every string in a decoded YAML/JSON value, in
// place for maps and slices; the first error stops it.
func mapStrings(v any, f func(string) (string, error)) (any, error) {
	switch x := v.(type) {
	case string:
		return f(x)
	case map[string]any:
		for k, e := range x {
			n, err := mapStrings(e, f)
			if err != nil {
				return nil, err
			}
			x[k] = n
		}
	case []any:
		for i, e := range x {
			n, err := mapStrings(e, f)
			if err != nil {
				return nil, err
			}
			x[i] = n
		}
	}
	return v, nil
}

// certIDRef names a setup thing's certificate id in a call's input:
// "{{certificateId:Room215Motion}}". The scenario never sees the id
// otherwise (AWS IoT makes it: the SHA-256 of the certificate).
var certIDRef = regexp.MustCompile(`\{\{certificateId:([^}]*)\}\}`)

// expandCertIDs replaces every {{certificateId:THING}} in the strings of v.
func (r *runner) expandCertIDs(v any) (any, error) {
	return mapStrings(v, func(x string) (string, error) {
		var missing string
		out := certIDRef.ReplaceAllStringFunc(x, func(m string) string {
			thing := certIDRef.FindStringSubmatch(m)[1]
			pair, ok := r.certs[thing]
			if !ok || len(pair.Certificate) == 0 {
				missing = thing
				return m
			}
			sum := sha256.Sum256(pair.Certificate[0])
			return hex.EncodeToString(sum[:])
		})
		if missing != "" {
			return "", fmt.Errorf("{{certificateId:%s}}: %s is not a thing of setup.things", missing, missing)
		}
		return out, nil
	})
}
