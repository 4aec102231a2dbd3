package tdm

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func FuzzParse(f *testing.F) {
	for _, src := range readTestdata(f) {
		f.Add(src)
	}
	f.Add("{ type A @x(v: [1, {a: $b}], s: \"\"\"\n  x\n\"\"\") { f: [T]! (a: 'q\\u00e9') @d { g } } }")
	f.Add("{ query F($a: Int = -1.5e3) implements I & J @w(id: \"x\") { s {} } }")
	f.Add("{ type C @stateType(id: \"urn:tdm:ns:state:C\") implements P @stateType(id: \"urn:tdm:ns:state:P\") { v: [R] @property(id: \"urn:tdm:ns:property:R\", isRequired: true) } }")
	f.Add(`{ query F($d: String) @workflowType(id: "urn:tdm:ns:workflow:F") @triggers(definition: "{t {}}") @annotation(type: "tgc:FlowEvent", id: "e", x: 1.5, y: 2) {
  steps { step(name: "c") @position(x: 1, y: 2) { ChoiceActivity { rule(expr: "${d == 'x'}") { setEvent(name: "e") } default } }
    step(name: "s", inEvent: ["e"]) { DeviceActivity(deviceModel: "urn:tdm:ns:deviceModel:M", deviceId: "${d}") @device(id: "urn:tdm:ns:device:D") { a(x: "${(String) d}") }
      OnError { Retries { Retry(name: "r", errorEquals: ["x"], maxAttempts: 2) } Catches { Catch(name: "c", raiseEvent: "f") } }
      OnSuccess { Check(name: "k", condition: "${d}") { OnPass { raiseEvent(name: "p") } OnFail {} } } } } } }`)
	f.Add(`{ query W @device(id: "urn:tdm:ns:device:W", deviceModel: "urn:tdm:ns:deviceModel:M") { Modbus(serverId: "2") { C(id: "urn:tdm:ns:capability:C") {
  Action(name: "g") { Params ReadInputRegisters { Request(Address: 0, ReadCount: 1) Response { responsePayload(property: "urn:tdm:aws:property:Int16") } } } } } }
query L @service(id: "urn:tdm:ns:service:L") { AwsLambda { C(id: "urn:tdm:ns:capability:C") { Action(name: "g") { InvokeCloudLambda { Request(arn: "arn:aws:lambda:r:1:function:f") } } } } }
query M @mapping(id: "urn:tdm:ns:mapping:M", from: "urn:tdm:ns:property:A f", to: "urn:tdm:ns:property:B t") { forward { map(expr: "f.a => t.b") } } }`)
	f.Fuzz(func(t *testing.T, src string) {
		doc, err := Parse(src)
		if err != nil {
			if _, ok := err.(ErrorList); !ok {
				t.Fatalf("Parse error is %T, want ErrorList", err)
			}
			return
		}
		for _, d := range doc.Definitions {
			if d.Start < 0 || d.Start > d.End || d.End > len(src) {
				t.Fatalf("definition %s offsets %d..%d outside source of %d bytes", d.Name, d.Start, d.End, len(src))
			}
		}
		printed := Print(doc)
		again, err := Parse(printed)
		if err != nil {
			t.Fatalf("Parse(Print(doc)) = %v\nprinted:\n%s", err, printed)
		}
		// equalDocs is exact and much cheaper than cmp, which keeps the
		// fuzzer's minimisation fast; cmp explains a failure.
		if !equalDocs(doc, again) {
			t.Fatalf("Parse(Print(doc)) differs (-first +second):\n%s", cmp.Diff(doc, again, astOpts))
		}
		// Extract and Check must not panic on any parsed document.
		s, _ := ExtractSource(doc, src)
		s.Check(func(string) *Entity { return nil })
	})
}

func FuzzParseExpr(f *testing.F) {
	seeds := []string{
		"devices[name == 'motionSensor'].events[name == 'StateChanged'].lastEvent",
		"ThingsGraph.startFlow('SecurityFlow', bindings[name == 'camera'].deviceId, bindings[name == 'screen'].deviceId)",
		"${cameraResult.lastClickedImage}",
		"a ? -b.c[0] : !(d ?? 'x' + 1.5e3) % 10L",
		"[1, \"two\", True, null] != $x && y <= 3 || z >= 4",
		"((String) x).charAt(0) + (Integer) '4' + (int) -y",
		"((string) 'a' + 'b').substring(1).toUpperCase()",
		"tdm.lib.Math.max(image/value, devices[x == 1]/lastEvent) / 2",
		"a ?? b ?? (c ? d : e) ?? 10UL",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	for _, src := range readTestdata(f) {
		doc, err := Parse(src)
		if err != nil {
			continue
		}
		s, _ := Extract(doc)
		for _, dep := range s.Deployments {
			for _, tr := range dep.Triggers {
				f.Add(tr.Condition)
				for _, a := range tr.Actions {
					f.Add(a)
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, src string) {
		e, err := ParseExpr(src)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("ParseExpr error is %T, want *Error", err)
			}
			return
		}
		s := e.String()
		again, err := ParseExpr(s)
		if err != nil {
			t.Fatalf("ParseExpr(%q) (printed) = %v", s, err)
		}
		if diff := cmp.Diff(e, again, astOpts); diff != "" {
			t.Fatalf("ParseExpr(String()) differs for %q (-first +second):\n%s", s, diff)
		}
		// Eval must not panic whatever the tree.
		_, _ = Eval(e, deploymentEnv())
	})
}

// bigDocument repeats the worked example's entities with renamed ids until
// the text reaches size bytes.
func bigDocument(t testing.TB, size int) string {
	body := strings.TrimSpace(combined(t))
	body = body[1 : len(body)-1]
	var b strings.Builder
	b.WriteString("{\n")
	for i := 0; b.Len() < size; i++ {
		r := strings.NewReplacer(
			":Camera", fmt.Sprintf(":Camera%d", i),
			":Screen", fmt.Sprintf(":Screen%d", i),
			":Motion", fmt.Sprintf(":Motion%d", i),
			":RaspberryPi", fmt.Sprintf(":RaspberryPi%d", i),
			":HCSR501", fmt.Sprintf(":HCSR501_%d", i),
			":Capture", fmt.Sprintf(":Capture%d", i),
			":Display", fmt.Sprintf(":Display%d", i),
			":SecurityFlow", fmt.Sprintf(":SecurityFlow%d", i),
			":Room215", fmt.Sprintf(":Room215_%d", i),
		)
		b.WriteString(r.Replace(body))
	}
	b.WriteString("}\n")
	return b.String()
}

func TestBigDocument(t *testing.T) {
	src := bigDocument(t, 64<<10)
	s := mustExtract(t, src)
	if errs := s.Check(nil); errs != nil {
		t.Fatalf("Check(big document) = %v", errs[:1])
	}
}

func BenchmarkParseExtract1MiB(b *testing.B) {
	src := bigDocument(b, 1<<20)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		doc, err := Parse(src)
		if err != nil {
			b.Fatal(err)
		}
		s, errs := ExtractSource(doc, src)
		if errs != nil {
			b.Fatal(errs[:1])
		}
		if errs := s.Check(nil); errs != nil {
			b.Fatal(errs[:1])
		}
	}
}

// equalDocs compares two trees ignoring positions and offsets.
func equalDocs(a, b *Document) bool {
	if len(a.Definitions) != len(b.Definitions) {
		return false
	}
	for i, x := range a.Definitions {
		y := b.Definitions[i]
		if x.Keyword != y.Keyword || x.Name != y.Name || len(x.Params) != len(y.Params) || x.ImplementsAfter != y.ImplementsAfter ||
			strings.Join(x.Implements, "&") != strings.Join(y.Implements, "&") ||
			!equalDirectives(x.Directives, y.Directives) || !equalFields(x.Fields, y.Fields) {
			return false
		}
		for j, p := range x.Params {
			q := y.Params[j]
			if p.Name != q.Name || p.Type != q.Type || !equalValues(p.Default, q.Default) {
				return false
			}
		}
	}
	return true
}

func equalFields(a, b []*Field) bool {
	if len(a) != len(b) {
		return false
	}
	for i, x := range a {
		y := b[i]
		if x.Name != y.Name || x.Type != y.Type || x.HasBody != y.HasBody || !equalArgs(x.Args, y.Args) ||
			!equalDirectives(x.Directives, y.Directives) || !equalFields(x.Fields, y.Fields) {
			return false
		}
	}
	return true
}

func equalDirectives(a, b []*Directive) bool {
	if len(a) != len(b) {
		return false
	}
	for i, x := range a {
		if x.Name != b[i].Name || !equalArgs(x.Args, b[i].Args) {
			return false
		}
	}
	return true
}

func equalArgs(a, b []*Arg) bool {
	if len(a) != len(b) {
		return false
	}
	for i, x := range a {
		if x.Name != b[i].Name || !equalValues(x.Value, b[i].Value) {
			return false
		}
	}
	return true
}

func equalValues(a, b *Value) bool {
	if a == nil || b == nil {
		return a == b
	}
	if a.Kind != b.Kind || a.Text != b.Text || len(a.List) != len(b.List) || !equalArgs(a.Fields, b.Fields) {
		return false
	}
	for i, x := range a.List {
		if !equalValues(x, b.List[i]) {
			return false
		}
	}
	return true
}
