package iot_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	iotsdk "github.com/aws/aws-sdk-go-v2/service/iot"
	"github.com/aws/aws-sdk-go-v2/service/iot/types"
	"github.com/google/go-cmp/cmp"

	"github.com/tgsim/tgsim/fakes/awsproto"
	"github.com/tgsim/tgsim/fakes/iot"
)

// passRoleRecorder allows iam:PassRole only on allowed roles and records
// every question.
type passRoleRecorder struct {
	allowed string
	mu      sync.Mutex
	asked   []string
}

func (p *passRoleRecorder) Authorize(_ context.Context, action, resource string, cond map[string][]string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.asked = append(p.asked, action+" "+resource+" "+strings.Join(cond["iam:PassedToService"], ","))
	if action == "iam:PassRole" && resource == p.allowed {
		return nil
	}
	return awsproto.NewError(http.StatusForbidden, "AccessDeniedException", "not authorized to perform %s on %s", action, resource)
}

// newRuleClient serves svc with an Authorizer in every request's context,
// as the edge does.
func newRuleClient(t *testing.T, authz awsproto.Authorizer) (*iot.Service, *iotsdk.Client) {
	t.Helper()
	svc, err := iot.New(iot.Options{AccountID: "123456789012"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		svc.ServeHTTP(w, r.WithContext(awsproto.WithAuthorizer(r.Context(), authz)))
	}))
	t.Cleanup(srv.Close)
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")}
	return svc, iotsdk.NewFromConfig(cfg, func(o *iotsdk.Options) { o.BaseEndpoint = aws.String(srv.URL); o.RetryMaxAttempts = 1 })
}

const (
	goodRole = "arn:aws:iam::123456789012:role/iot-rules"
	badRole  = "arn:aws:iam::123456789012:role/admin"
)

func republish(topic, role string) types.Action {
	return types.Action{Republish: &types.RepublishAction{Topic: aws.String(topic), RoleArn: aws.String(role)}}
}

func TestTopicRules(t *testing.T) {
	ctx := context.Background()
	rec := &passRoleRecorder{allowed: goodRole}
	svc, c := newRuleClient(t, rec)

	payload := &types.TopicRulePayload{
		Sql:         aws.String("SELECT temp, topic(2) AS device FROM 'dev/+/temp' WHERE temp > 30"),
		Description: aws.String("hot"),
		Actions:     []types.Action{republish("alerts/hot", goodRole)},
		ErrorAction: &types.Action{Republish: &types.RepublishAction{Topic: aws.String("errors"), RoleArn: aws.String(goodRole)}},
	}
	if _, err := c.CreateTopicRule(ctx, &iotsdk.CreateTopicRuleInput{RuleName: aws.String("hot_devices"), TopicRulePayload: payload}); err != nil {
		t.Fatalf("CreateTopicRule: %v", err)
	}
	if want := []string{"iam:PassRole " + goodRole + " iot.amazonaws.com", "iam:PassRole " + goodRole + " iot.amazonaws.com"}; !cmp.Equal(rec.asked, want) {
		t.Errorf("authorization questions (-want +got):\n%s", cmp.Diff(want, rec.asked))
	}
	got, err := c.GetTopicRule(ctx, &iotsdk.GetTopicRuleInput{RuleName: aws.String("hot_devices")})
	if err != nil {
		t.Fatalf("GetTopicRule: %v", err)
	}
	r := got.Rule
	if aws.ToString(got.RuleArn) != "arn:aws:iot:us-east-1:123456789012:rule/hot_devices" || aws.ToString(r.Sql) != aws.ToString(payload.Sql) ||
		aws.ToString(r.AwsIotSqlVersion) != "2015-10-08" || aws.ToBool(r.RuleDisabled) || len(r.Actions) != 1 ||
		aws.ToString(r.Actions[0].Republish.Topic) != "alerts/hot" || aws.ToString(r.ErrorAction.Republish.Topic) != "errors" || r.CreatedAt == nil {
		t.Errorf("GetTopicRule = %+v", r)
	}

	if _, err := c.CreateTopicRule(ctx, &iotsdk.CreateTopicRuleInput{RuleName: aws.String("all_status"), TopicRulePayload: &types.TopicRulePayload{
		Sql: aws.String("SELECT * FROM 'status/#'"), Actions: []types.Action{}, RuleDisabled: aws.Bool(true), AwsIotSqlVersion: aws.String("2016-03-23")}}); err != nil {
		t.Fatal(err)
	}
	list := func(in *iotsdk.ListTopicRulesInput) []string {
		t.Helper()
		out, err := c.ListTopicRules(ctx, in)
		if err != nil {
			t.Fatalf("ListTopicRules: %v", err)
		}
		var names []string
		for _, it := range out.Rules {
			names = append(names, aws.ToString(it.RuleName)+"@"+aws.ToString(it.TopicPattern))
		}
		return names
	}
	if got, want := list(&iotsdk.ListTopicRulesInput{}), []string{"all_status@status/#", "hot_devices@dev/+/temp"}; !cmp.Equal(got, want) {
		t.Errorf("ListTopicRules = %v, want %v", got, want)
	}
	if got, want := list(&iotsdk.ListTopicRulesInput{Topic: aws.String("dev/+/temp")}), []string{"hot_devices@dev/+/temp"}; !cmp.Equal(got, want) {
		t.Errorf("ListTopicRules(topic filter) = %v, want %v", got, want)
	}
	if got, want := list(&iotsdk.ListTopicRulesInput{Topic: aws.String("status/a/b")}), []string{"all_status@status/#"}; !cmp.Equal(got, want) {
		t.Errorf("ListTopicRules(topic) = %v, want %v", got, want)
	}
	if got, want := list(&iotsdk.ListTopicRulesInput{RuleDisabled: aws.Bool(true)}), []string{"all_status@status/#"}; !cmp.Equal(got, want) {
		t.Errorf("ListTopicRules(disabled) = %v, want %v", got, want)
	}

	if _, err := c.EnableTopicRule(ctx, &iotsdk.EnableTopicRuleInput{RuleName: aws.String("all_status")}); err != nil {
		t.Fatalf("EnableTopicRule: %v", err)
	}
	if _, err := c.DisableTopicRule(ctx, &iotsdk.DisableTopicRuleInput{RuleName: aws.String("hot_devices")}); err != nil {
		t.Fatalf("DisableTopicRule: %v", err)
	}
	if _, err := c.ReplaceTopicRule(ctx, &iotsdk.ReplaceTopicRuleInput{RuleName: aws.String("all_status"), TopicRulePayload: &types.TopicRulePayload{
		Sql: aws.String("SELECT clientid() AS c FROM 'status/+'"), Actions: []types.Action{republish("out", goodRole)}}}); err != nil {
		t.Fatalf("ReplaceTopicRule: %v", err)
	}

	rules := svc.TopicRules()
	if len(rules) != 2 {
		t.Fatalf("TopicRules() = %d rules, want 2", len(rules))
	}
	status, hot := rules[0], rules[1]
	if status.Query.Topic != "status/+" || status.Query.Fields[0].Alias != "c" || status.Disabled || status.Actions[0].Kind != "republish" || status.Actions[0].RoleARN() != goodRole {
		t.Errorf("TopicRules()[0] = %+v", status)
	}
	if !hot.Disabled || hot.Query.Where == nil || hot.Query.Where.String() != "(temp > 30)" {
		t.Errorf("TopicRules()[1] = %+v", hot)
	}

	if _, err := c.DeleteTopicRule(ctx, &iotsdk.DeleteTopicRuleInput{RuleName: aws.String("hot_devices")}); err != nil {
		t.Fatalf("DeleteTopicRule: %v", err)
	}
	if len(svc.TopicRules()) != 1 {
		t.Errorf("TopicRules() after delete = %d rules, want 1", len(svc.TopicRules()))
	}
}

func TestTopicRuleErrors(t *testing.T) {
	ctx := context.Background()
	_, c := newRuleClient(t, &passRoleRecorder{allowed: goodRole})
	if _, err := c.CreateTopicRule(ctx, &iotsdk.CreateTopicRuleInput{RuleName: aws.String("taken"), TopicRulePayload: &types.TopicRulePayload{
		Sql: aws.String("SELECT * FROM 'a'"), Actions: []types.Action{}}}); err != nil {
		t.Fatal(err)
	}
	create := func(name, sql string, actions ...types.Action) func() error {
		return func() error {
			_, err := c.CreateTopicRule(ctx, &iotsdk.CreateTopicRuleInput{RuleName: aws.String(name), TopicRulePayload: &types.TopicRulePayload{
				Sql: aws.String(sql), Actions: append([]types.Action{}, actions...)}})
			return err
		}
	}
	tooMany := make([]types.Action, 11)
	for i := range tooMany {
		tooMany[i] = types.Action{Republish: &types.RepublishAction{Topic: aws.String("x"), RoleArn: aws.String(goodRole)}}
	}
	accessDenied := func(err error) bool { return hasCode(err, "AccessDeniedException") }
	runErrorCases(t, []errorCase{
		{"CreateTopicRule bad name", create("has-dash", "SELECT * FROM 'a'"), is[types.InvalidRequestException]()},
		{"CreateTopicRule exists", create("taken", "SELECT * FROM 'a'"), is[types.ResourceAlreadyExistsException]()},
		{"CreateTopicRule SQL syntax", create("r1", "SELECT * FORM 'a'"), func(err error) bool {
			return is[types.SqlParseException]()(err) && strings.Contains(err.Error(), "line 1:10")
		}},
		{"CreateTopicRule SQL bad topic", create("r1", "SELECT * FROM 'a/#/b'"), is[types.SqlParseException]()},
		{"CreateTopicRule SQL unknown function", create("r1", "SELECT nope() FROM 'a'"), is[types.SqlParseException]()},
		{"CreateTopicRule too many actions", create("r1", "SELECT * FROM 'a'", tooMany...), is[types.InvalidRequestException]()},
		{"CreateTopicRule republish with empty topic", create("r1", "SELECT * FROM 'a'", republish("", goodRole)), is[types.InvalidRequestException]()},
		{"CreateTopicRule role not a role ARN", create("r1", "SELECT * FROM 'a'", republish("x", "arn:aws:s3:::bucket")), is[types.InvalidRequestException]()},
		{"CreateTopicRule PassRole denied", create("r1", "SELECT * FROM 'a'", republish("x", badRole)), accessDenied},
		{"CreateTopicRule PassRole denied in errorAction", func() error {
			_, err := c.CreateTopicRule(ctx, &iotsdk.CreateTopicRuleInput{RuleName: aws.String("r1"), TopicRulePayload: &types.TopicRulePayload{
				Sql: aws.String("SELECT * FROM 'a'"), Actions: []types.Action{}, ErrorAction: &types.Action{Republish: &types.RepublishAction{Topic: aws.String("e"), RoleArn: aws.String(badRole)}}}})
			return err
		}, accessDenied},
		{"CreateTopicRule bad SQL version", func() error {
			_, err := c.CreateTopicRule(ctx, &iotsdk.CreateTopicRuleInput{RuleName: aws.String("r1"), TopicRulePayload: &types.TopicRulePayload{
				Sql: aws.String("SELECT * FROM 'a'"), Actions: []types.Action{}, AwsIotSqlVersion: aws.String("2020-01-01")}})
			return err
		}, is[types.InvalidRequestException]()},
		{"GetTopicRule missing", func() error {
			_, err := c.GetTopicRule(ctx, &iotsdk.GetTopicRuleInput{RuleName: aws.String("nope")})
			return err
		}, is[types.UnauthorizedException]()},
		{"ReplaceTopicRule missing", func() error {
			_, err := c.ReplaceTopicRule(ctx, &iotsdk.ReplaceTopicRuleInput{RuleName: aws.String("nope"), TopicRulePayload: &types.TopicRulePayload{
				Sql: aws.String("SELECT * FROM 'a'"), Actions: []types.Action{}}})
			return err
		}, is[types.UnauthorizedException]()},
		{"ReplaceTopicRule SQL syntax", func() error {
			_, err := c.ReplaceTopicRule(ctx, &iotsdk.ReplaceTopicRuleInput{RuleName: aws.String("taken"), TopicRulePayload: &types.TopicRulePayload{
				Sql: aws.String("SELECT FROM 'a'"), Actions: []types.Action{}}})
			return err
		}, is[types.SqlParseException]()},
		{"DeleteTopicRule missing", func() error {
			_, err := c.DeleteTopicRule(ctx, &iotsdk.DeleteTopicRuleInput{RuleName: aws.String("nope")})
			return err
		}, is[types.UnauthorizedException]()},
		{"EnableTopicRule missing", func() error {
			_, err := c.EnableTopicRule(ctx, &iotsdk.EnableTopicRuleInput{RuleName: aws.String("nope")})
			return err
		}, is[types.UnauthorizedException]()},
		{"DisableTopicRule missing", func() error {
			_, err := c.DisableTopicRule(ctx, &iotsdk.DisableTopicRuleInput{RuleName: aws.String("nope")})
			return err
		}, is[types.UnauthorizedException]()},
		{"ListTopicRules bad maxResults", func() error {
			_, err := c.ListTopicRules(ctx, &iotsdk.ListTopicRulesInput{MaxResults: aws.Int32(0)})
			return err
		}, is[types.InvalidRequestException]()},
	})
}
