package iot

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/tgsim/tgsim/fakes/awsproto"
)

// ruleActionKinds are the members of the model's Action shape.
var ruleActionKinds = []string{"dynamoDB", "dynamoDBv2", "lambda", "sns", "sqs", "kinesis", "republish", "s3", "firehose",
	"cloudwatchMetric", "cloudwatchAlarm", "cloudwatchLogs", "elasticsearch", "salesforce", "iotAnalytics", "iotEvents",
	"iotSiteWise", "stepFunctions", "timestream", "http", "kafka", "openSearch", "location"}

// maxRuleActions: AWS IoT quotas — 10 actions per rule.
const maxRuleActions = 10

// SQL versions (AwsIotSqlVersion); AWS: the default is 2015-10-08.
var sqlVersions = []string{"2015-10-08", "2016-03-23", "beta"}

// MarshalJSON writes the action as the model's Action union: {Kind: Params}.
func (a RuleAction) MarshalJSON() ([]byte, error) {
	params := a.Params
	if len(params) == 0 {
		params = []byte("{}")
	}
	return json.Marshal(map[string]json.RawMessage{a.Kind: params})
}

// RoleARN returns the action's roleArn member, "" when it has none.
func (a RuleAction) RoleARN() string {
	var p struct {
		RoleArn string `json:"roleArn"`
	}
	_ = json.Unmarshal(a.Params, &p)
	return p.RoleArn
}

func parseRuleAction(member string, raw json.RawMessage) (RuleAction, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return RuleAction{}, invalidRequest("%s must be an object.", member)
	}
	if len(m) != 1 {
		return RuleAction{}, invalidRequest("%s must set exactly one action type; it sets %d.", member, len(m))
	}
	for kind, params := range m {
		if !slices.Contains(ruleActionKinds, kind) {
			return RuleAction{}, invalidRequest("%s: unknown action type %q.", member, kind)
		}
		if !bytes.HasPrefix(bytes.TrimSpace(params), []byte("{")) {
			return RuleAction{}, invalidRequest("%s.%s must be an object.", member, kind)
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, params); err != nil {
			return RuleAction{}, invalidRequest("%s.%s: %v", member, kind, err)
		}
		a := RuleAction{Kind: kind, Params: compact.Bytes()}
		if kind == "republish" {
			var p struct {
				Topic string `json:"topic"`
			}
			_ = json.Unmarshal(a.Params, &p)
			if p.Topic == "" {
				return RuleAction{}, invalidRequest("%s.republish.topic is required.", member)
			}
		}
		if role := a.RoleARN(); role != "" {
			if ra, err := awsproto.ParseARN(role); err != nil || ra.Service != "iam" || !strings.HasPrefix(ra.Resource, "role/") {
				return RuleAction{}, invalidRequest("%s.%s.roleArn %q is not an IAM role ARN.", member, kind, role)
			}
		}
		return a, nil
	}
	panic("unreachable")
}

type topicRulePayload struct {
	SQL              string            `json:"sql"`
	Description      string            `json:"description"`
	Actions          []json.RawMessage `json:"actions"`
	RuleDisabled     bool              `json:"ruleDisabled"`
	AwsIotSQLVersion string            `json:"awsIotSqlVersion"`
	ErrorAction      json.RawMessage   `json:"errorAction"`
}

// validateRuleName checks RuleName: 1–128 of ^[a-zA-Z0-9_]+$.
func validateRuleName(v string) error {
	ok := func(c byte) bool {
		return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
	}
	switch {
	case v == "":
		return validationError("ruleName", v, "Member must have length greater than or equal to 1")
	case len(v) > 128:
		return validationError("ruleName", v, "Member must have length less than or equal to 128")
	case !allChars(v, ok):
		return validationError("ruleName", v, "Member must satisfy regular expression pattern: ^[a-zA-Z0-9_]+$")
	}
	return nil
}

// topicRule decodes and validates the payload of CreateTopicRule and
// ReplaceTopicRule, including iam:PassRole for every role it names.
func (s *Service) topicRule(ctx context.Context, r *http.Request, name string) (TopicRule, error) {
	var in topicRulePayload
	if err := decode(r, &in); err != nil {
		return TopicRule{}, err
	}
	if in.SQL == "" {
		return TopicRule{}, invalidRequest("topicRulePayload.sql is required.")
	}
	q, err := ParseSQL(in.SQL)
	if err != nil {
		return TopicRule{}, sqlParse("%v", err)
	}
	if in.AwsIotSQLVersion == "" {
		in.AwsIotSQLVersion = sqlVersions[0]
	}
	if !slices.Contains(sqlVersions, in.AwsIotSQLVersion) {
		return TopicRule{}, invalidRequest("awsIotSqlVersion %q is not one of %s.", in.AwsIotSQLVersion, strings.Join(sqlVersions, ", "))
	}
	// AWS: Description — at most 2028 characters (the model leaves it
	// unbounded; the console and CLI enforce it).
	if len(in.Description) > 2028 {
		return TopicRule{}, validationError("topicRulePayload.description", in.Description, "Member must have length less than or equal to 2028")
	}
	if in.Actions == nil {
		return TopicRule{}, invalidRequest("topicRulePayload.actions is required.")
	}
	if len(in.Actions) > maxRuleActions {
		return TopicRule{}, invalidRequest("A rule can have at most %d actions; found %d.", maxRuleActions, len(in.Actions))
	}
	account, region := s.scope(ctx)
	rule := TopicRule{
		Name: name, ARN: "arn:aws:iot:" + region + ":" + account + ":rule/" + name, SQL: in.SQL, Query: q,
		Description: in.Description, Disabled: in.RuleDisabled, SQLVersion: in.AwsIotSQLVersion, CreatedAt: s.opts.Now(),
		Actions: []RuleAction{},
	}
	for i, raw := range in.Actions {
		a, err := parseRuleAction("topicRulePayload.actions["+strconv.Itoa(i)+"]", raw)
		if err != nil {
			return TopicRule{}, err
		}
		rule.Actions = append(rule.Actions, a)
	}
	if len(in.ErrorAction) > 0 && !bytes.Equal(bytes.TrimSpace(in.ErrorAction), []byte("null")) {
		a, err := parseRuleAction("topicRulePayload.errorAction", in.ErrorAction)
		if err != nil {
			return TopicRule{}, err
		}
		rule.ErrorAction = &a
	}
	// AWS: "Rules engine: pass role" — handing a role to a rule action
	// needs iam:PassRole on it, for the service iot.amazonaws.com.
	authz := awsproto.AuthorizerFrom(ctx)
	for _, a := range append(slices.Clone(rule.Actions), derefActions(rule.ErrorAction)...) {
		if role := a.RoleARN(); role != "" {
			if err := authz.Authorize(ctx, "iam:PassRole", role, map[string][]string{"iam:PassedToService": {"iot.amazonaws.com"}}); err != nil {
				return TopicRule{}, err
			}
		}
	}
	return rule, nil
}

func derefActions(a *RuleAction) []RuleAction {
	if a == nil {
		return nil
	}
	return []RuleAction{*a}
}

// CreateTopicRule is POST /rules/{ruleName}; the body is the
// topicRulePayload itself.
func (s *Service) CreateTopicRule(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("ruleName")
	if err := validateRuleName(name); err != nil {
		return err
	}
	rule, err := s.topicRule(r.Context(), r, name)
	if err != nil {
		return err
	}
	if err := s.backend.PutTopicRule(r.Context(), rule, false); err != nil {
		return err
	}
	s.rulesGen.Add(1)
	return writeJSON(w, struct{}{})
}

// ReplaceTopicRule is PATCH /rules/{ruleName}.
func (s *Service) ReplaceTopicRule(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("ruleName")
	if err := validateRuleName(name); err != nil {
		return err
	}
	rule, err := s.topicRule(r.Context(), r, name)
	if err != nil {
		return err
	}
	if err := s.backend.PutTopicRule(r.Context(), rule, true); err != nil {
		return err
	}
	s.rulesGen.Add(1)
	return writeJSON(w, struct{}{})
}

// GetTopicRule is GET /rules/{ruleName}.
func (s *Service) GetTopicRule(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("ruleName")
	if err := validateRuleName(name); err != nil {
		return err
	}
	rule, err := s.backend.GetTopicRule(r.Context(), name)
	if err != nil {
		return err
	}
	type topicRule struct {
		RuleName         string       `json:"ruleName"`
		SQL              string       `json:"sql"`
		Description      string       `json:"description,omitempty"`
		CreatedAt        epoch        `json:"createdAt"`
		Actions          []RuleAction `json:"actions"`
		RuleDisabled     bool         `json:"ruleDisabled"`
		AwsIotSQLVersion string       `json:"awsIotSqlVersion"`
		ErrorAction      *RuleAction  `json:"errorAction,omitempty"`
	}
	return writeJSON(w, struct {
		RuleArn string    `json:"ruleArn"`
		Rule    topicRule `json:"rule"`
	}{rule.ARN, topicRule{rule.Name, rule.SQL, rule.Description, epoch(rule.CreatedAt), rule.Actions, rule.Disabled, rule.SQLVersion, rule.ErrorAction}})
}

// ListTopicRules is GET /rules?topic&ruleDisabled&maxResults&nextToken.
// Divergence: topic keeps the rules whose FROM filter equals it or matches
// it as a topic name; AWS documents only "the topic".
func (s *Service) ListTopicRules(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit, err := maxResults(r, "maxResults", 50)
	if err != nil {
		return err
	}
	var disabled *bool
	switch v := q.Get("ruleDisabled"); v {
	case "true", "false":
		b := v == "true"
		disabled = &b
	case "":
	default:
		return validationError("ruleDisabled", v, "Member must be a boolean")
	}
	all, err := s.backend.ListTopicRules(r.Context())
	if err != nil {
		return err
	}
	topic := q.Get("topic")
	all = slices.DeleteFunc(all, func(rule TopicRule) bool {
		filter := rule.Query.Topic
		return topic != "" && filter != topic && !MatchTopic(filter, topic) ||
			disabled != nil && rule.Disabled != *disabled
	})
	items, next, err := page(all, func(rule TopicRule) string { return rule.Name }, q.Get("nextToken"), limit)
	if err != nil {
		return err
	}
	type item struct {
		RuleArn      string `json:"ruleArn"`
		RuleName     string `json:"ruleName"`
		TopicPattern string `json:"topicPattern"`
		CreatedAt    epoch  `json:"createdAt"`
		RuleDisabled bool   `json:"ruleDisabled"`
	}
	out := struct {
		Rules     []item `json:"rules"`
		NextToken string `json:"nextToken,omitempty"`
	}{Rules: []item{}, NextToken: next}
	for _, rule := range items {
		out.Rules = append(out.Rules, item{rule.ARN, rule.Name, rule.Query.Topic, epoch(rule.CreatedAt), rule.Disabled})
	}
	return writeJSON(w, out)
}

// DeleteTopicRule is DELETE /rules/{ruleName}.
func (s *Service) DeleteTopicRule(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("ruleName")
	if err := validateRuleName(name); err != nil {
		return err
	}
	if err := s.backend.DeleteTopicRule(r.Context(), name); err != nil {
		return err
	}
	s.rulesGen.Add(1)
	return writeJSON(w, struct{}{})
}

// EnableTopicRule is POST /rules/{ruleName}/enable.
func (s *Service) EnableTopicRule(w http.ResponseWriter, r *http.Request) error {
	return s.setRuleDisabled(w, r, false)
}

// DisableTopicRule is POST /rules/{ruleName}/disable.
func (s *Service) DisableTopicRule(w http.ResponseWriter, r *http.Request) error {
	return s.setRuleDisabled(w, r, true)
}

func (s *Service) setRuleDisabled(w http.ResponseWriter, r *http.Request, disabled bool) error {
	name := r.PathValue("ruleName")
	if err := validateRuleName(name); err != nil {
		return err
	}
	if err := s.backend.SetTopicRuleDisabled(r.Context(), name, disabled); err != nil {
		return err
	}
	s.rulesGen.Add(1)
	return writeJSON(w, struct{}{})
}

// TopicRules returns every topic rule with its parsed SQL, ordered by
// name, for a rules engine. Safe for concurrent use.
func (s *Service) TopicRules() []TopicRule {
	rules, err := s.backend.ListTopicRules(context.Background())
	if err != nil {
		return nil
	}
	for i := range rules {
		if rules[i].Query == nil {
			// A Backend that does not keep the AST: parse again (the SQL
			// was validated when stored).
			if q, err := ParseSQL(rules[i].SQL); err == nil {
				rules[i].Query = q
			}
		}
	}
	return rules
}

// MatchTopic reports whether an MQTT topic name matches a topic filter.
// [MQTT-4.7.1-2] '#' matches the parent level and any below;
// [MQTT-4.7.1-3] '+' matches one level. [MQTT-4.7.2-1] filters starting
// with a wildcard do not match topics starting with '$'.
func MatchTopic(filter, topic string) bool {
	if strings.HasPrefix(topic, "$") && (strings.HasPrefix(filter, "+") || strings.HasPrefix(filter, "#")) {
		return false
	}
	fl, tl := strings.Split(filter, "/"), strings.Split(topic, "/")
	for i, f := range fl {
		if f == "#" {
			return true
		}
		if i >= len(tl) {
			return false
		}
		if f != "+" && f != tl[i] {
			return false
		}
	}
	return len(fl) == len(tl)
}
