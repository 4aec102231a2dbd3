package iot_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	iotsdk "github.com/aws/aws-sdk-go-v2/service/iot"
	"github.com/aws/aws-sdk-go-v2/service/iot/types"

	"github.com/tgsim/tgsim/fakes/iot"
)

type sink struct {
	mu   sync.Mutex
	got  []string
	wake chan struct{}
}

func (s *sink) add(v string) {
	s.mu.Lock()
	s.got = append(s.got, v)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *sink) wait(t *testing.T, n int) []string {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		s.mu.Lock()
		if len(s.got) >= n {
			out := append([]string(nil), s.got...)
			s.mu.Unlock()
			return out
		}
		s.mu.Unlock()
		select {
		case <-s.wake:
		case <-time.After(10 * time.Millisecond):
		case <-deadline:
			t.Fatalf("waited for %d actions, have %v", n, s.got)
		}
	}
}

// TestRulesEngine: enabled rules whose FROM and WHERE match run their
// actions in arrival order; republish substitutes templates and asks for
// the role; a failed action runs the error action; disabling a rule takes
// effect for the next message.
func TestRulesEngine(t *testing.T) {
	ctx := context.Background()
	srv, c := newClient(t, iot.Options{AccountID: "123456789012"})
	role := "arn:aws:iam::123456789012:role/rules"
	rule := func(name, sql string, actions []types.Action, errAction *types.Action) {
		t.Helper()
		if _, err := c.CreateTopicRule(ctx, &iotsdk.CreateTopicRuleInput{RuleName: aws.String(name), TopicRulePayload: &types.TopicRulePayload{
			Sql: aws.String(sql), Actions: actions, ErrorAction: errAction, AwsIotSqlVersion: aws.String("2016-03-23"),
		}}); err != nil {
			t.Fatalf("CreateTopicRule %s: %v", name, err)
		}
	}
	rule("hot", "SELECT temp, topic(2) AS room FROM 'sensors/+/temp' WHERE temp > 30",
		[]types.Action{{Republish: &types.RepublishAction{Topic: aws.String("alerts/${topic(2)}"), RoleArn: aws.String(role), Qos: aws.Int32(1)}}}, nil)
	rule("tolambda", "SELECT encode(*, 'base64') AS payload, topic() AS topic FROM 'cmd/#'",
		[]types.Action{{Lambda: &types.LambdaAction{FunctionArn: aws.String("arn:aws:lambda:us-east-1:123456789012:function:fn")}}},
		&types.Action{Republish: &types.RepublishAction{Topic: aws.String("errors"), RoleArn: aws.String(role)}})

	out := &sink{wake: make(chan struct{}, 1)}
	var denyRepublish bool
	var mu sync.Mutex
	eng := srv.Service.NewRulesEngine(iot.RulesOptions{
		Republish: func(_ context.Context, topic string, qos int, payload []byte) error {
			out.add("republish " + topic + " " + string(payload))
			return nil
		},
		Invoke: func(_ context.Context, arn string, payload []byte) error {
			if strings.Contains(string(payload), "Ym9vbQ==") { // "boom"
				return errors.New("function failed")
			}
			out.add("invoke " + arn[strings.LastIndexByte(arn, ':')+1:] + " " + string(payload))
			return nil
		},
		Authorize: func(_ context.Context, roleARN, action, resource string) error {
			mu.Lock()
			defer mu.Unlock()
			if roleARN != role || action != "iot:Publish" {
				t.Errorf("Authorize(%s, %s, %s)", roleARN, action, resource)
			}
			if denyRepublish {
				return errors.New("AccessDenied")
			}
			return nil
		},
	})
	defer eng.Close()
	eng.Handle(iot.Message{Topic: "sensors/kitchen/temp", Payload: []byte(`{"temp": 35}`), ClientID: "s1"})
	eng.Handle(iot.Message{Topic: "sensors/kitchen/temp", Payload: []byte(`{"temp": 20}`), ClientID: "s1"})
	eng.Handle(iot.Message{Topic: "cmd/a/b", Payload: []byte{0xff, 0x00}})
	eng.Handle(iot.Message{Topic: "cmd/x", Payload: []byte("boom")})
	got := out.wait(t, 3)
	want := []string{
		`republish alerts/kitchen {"temp":35,"room":"kitchen"}`,
		`invoke fn {"payload":"/wA=","topic":"cmd/a/b"}`,
	}
	for i, w := range want {
		if got[i] != w {
			t.Errorf("action %d = %s, want %s", i, got[i], w)
		}
	}
	// The failed lambda ran the error action with AWS's document.
	var doc struct {
		RuleName, Topic, Base64OriginalPayload string
		Failures                               []struct{ FailedAction, FailedResource, ErrorMessage string }
	}
	if !strings.HasPrefix(got[2], "republish errors ") {
		t.Fatalf("action 2 = %s, want the error action", got[2])
	}
	if err := json.Unmarshal([]byte(strings.TrimPrefix(got[2], "republish errors ")), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.RuleName != "tolambda" || doc.Topic != "cmd/x" || doc.Base64OriginalPayload != "Ym9vbQ==" ||
		len(doc.Failures) != 1 || doc.Failures[0].FailedAction != "LambdaAction" || doc.Failures[0].ErrorMessage != "function failed" {
		t.Errorf("error action document = %+v", doc)
	}
	if errs := eng.Errors(); len(errs) != 1 || errs[0].Rule != "tolambda" || errs[0].Action != "lambda" {
		t.Errorf("Errors() = %+v", errs)
	}

	// A role that may not publish fails the republish; disabled rules are skipped.
	mu.Lock()
	denyRepublish = true
	mu.Unlock()
	if _, err := c.DisableTopicRule(ctx, &iotsdk.DisableTopicRuleInput{RuleName: aws.String("tolambda")}); err != nil {
		t.Fatal(err)
	}
	eng.Handle(iot.Message{Topic: "cmd/a", Payload: []byte("x")})
	eng.Handle(iot.Message{Topic: "sensors/hall/temp", Payload: []byte(`{"temp": 40}`)})
	deadline := time.Now().Add(5 * time.Second)
	for eng.Stats().Messages < 6 || len(eng.Errors()) < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("stats %+v errors %+v", eng.Stats(), eng.Errors())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if errs := eng.Errors(); errs[1].Rule != "hot" || errs[1].Action != "republish" || !strings.Contains(errs[1].Err, "AccessDenied") {
		t.Errorf("second error = %+v", errs[1])
	}
	if st := eng.Stats(); st.Matched != 4 || st.Failures != 2 || st.Dropped != 0 {
		t.Errorf("stats = %+v, want 4 matched (hot twice, tolambda twice), 2 failures", st)
	}
	if n := len(out.wait(t, 3)); n != 3 {
		t.Errorf("%d actions after the role lost iot:Publish and the rule was disabled, want still 3", n)
	}
}
