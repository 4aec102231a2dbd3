package tdm

import (
	"strings"
)

// innerPos is where the text of a string value starts: one rune after the
// opening quote. [INF] Positions inside a string are exact when no escape
// sequence precedes them on the line (escapes shift later columns).
func innerPos(v *Value) Pos {
	if v == nil {
		return Pos{1, 1}
	}
	if v.Kind == ValueString {
		return Pos{v.Pos.Line, v.Pos.Col + 1}
	}
	return v.Pos
}

// expr parses the expression in a string value, reporting a syntax error
// at its document position with what as context; nil when absent or bad.
func (x *extractor) expr(v *Value, what string) Expr {
	if v == nil {
		return nil
	}
	src, ok := v.StringValue()
	if !ok || strings.TrimSpace(src) == "" {
		x.errorf(v.Pos, "%s must be a non-empty expression string, found %s", what, describeValue(v))
		return nil
	}
	e, err := parseExprAt(src, innerPos(v))
	if err != nil {
		pe := err.(*Error)
		x.errorf(pe.Pos, "%s: %s", what, pe.Msg)
		return nil
	}
	return e
}

// position reads @position(x:, y:) among ds.
func (x *extractor) position(ds []*Directive) *Position {
	d := findDirective(ds, "position")
	if d == nil {
		return nil
	}
	p := &Position{}
	if v := x.number(d.ArgValue("x"), "@position(x:)"); v != nil {
		p.X = *v
	}
	if v := x.number(d.ArgValue("y"), "@position(y:)"); v != nil {
		p.Y = *v
	}
	return p
}

func (x *extractor) flow(e *Entity, dir *Directive) *Flow {
	d := e.Def
	fl := &Flow{ID: e.ID, Name: d.Name, Pos: d.Pos, Directives: otherDirectives(d, dir)}
	for _, p := range d.Params {
		fl.Params = append(fl.Params, FlowParam{Name: p.Name, Type: p.Type, Default: p.Default, Pos: p.Pos})
	}
	for _, od := range fl.Directives {
		switch {
		case strings.EqualFold(od.Name, "triggers"):
			fl.TriggersDefinition = od.ArgString("definition")
		case strings.EqualFold(od.Name, "annotation"):
			an := Annotation{Type: od.ArgString("type"), ID: od.ArgString("id")}
			if v := x.number(od.ArgValue("x"), "@annotation(x:)"); v != nil {
				an.X = *v
			}
			if v := x.number(od.ArgValue("y"), "@annotation(y:)"); v != nil {
				an.Y = *v
			}
			fl.Annotations = append(fl.Annotations, an)
		}
	}
	if vars := d.Child("variables"); vars != nil {
		for _, v := range vars.Fields {
			vr := Variable{Name: v.Name, Pos: v.Pos, PropertyPos: v.Pos}
			if u, id, pos := x.usage(v, "property"); u != nil {
				vr.Property, vr.PropertyPos = id, pos
			} else {
				x.errorf(v.Pos, "flow variable %s has no @property(id: ...) giving its type", v.Name)
			}
			fl.Variables = append(fl.Variables, vr)
		}
	}
	for _, f := range d.Fields {
		if !strings.EqualFold(f.Name, "variables") && !strings.EqualFold(f.Name, "steps") && !strings.EqualFold(f.Name, "ignore") {
			x.errorf(f.Pos, "unexpected block %s in flow %s; expected variables { ... } and steps { ... }", f.Name, d.Name)
		}
	}
	steps := d.Child("steps")
	if steps == nil {
		x.errorf(d.Pos, "flow %s has no steps { ... } block", d.Name)
		return fl
	}
	for _, sf := range steps.Fields {
		if !strings.EqualFold(sf.Name, "step") {
			x.errorf(sf.Pos, "unexpected %s in steps; expected step(name: \"...\") { <Activity> }", sf.Name)
			continue
		}
		fl.Steps = append(fl.Steps, x.step(sf))
	}
	return fl
}

func (x *extractor) step(sf *Field) Step {
	st := Step{
		Name:        sf.ArgString("name"),
		Description: sf.ArgString("description"),
		Condition:   sf.ArgString("condition"),
		InEvents:    sf.ArgValue("inEvent").Strings(),
		OutEvents:   sf.ArgValue("outEvent").Strings(),
		Pos:         sf.Pos,
		NamePos:     sf.Pos,
		Directives:  sf.Directives,
		Position:    x.position(sf.Directives),
	}
	if v := sf.ArgValue("name"); v != nil {
		st.NamePos = v.Pos
	} else {
		x.errorf(sf.Pos, "step has no name argument")
	}
	if v := sf.ArgValue("condition"); v != nil {
		st.ConditionPos = v.Pos
		x.expr(v, "step "+quote(st.Name)+" condition")
	}
	st.InEventPos = eventPositions(sf.ArgValue("inEvent"))
	st.OutEventPos = eventPositions(sf.ArgValue("outEvent"))
	var activity *Field
	for _, c := range sf.Fields {
		switch {
		case strings.EqualFold(c.Name, "OnError"):
			st.OnError = x.onError(c)
		case strings.EqualFold(c.Name, "OnSuccess"):
			st.OnSuccess = x.onSuccess(c)
		case activity == nil:
			activity = c
		default:
			x.errorf(c.Pos, "step %q has a second activity %s; a step holds one activity (plus OnError / OnSuccess)", st.Name, c.Name)
		}
	}
	if activity == nil {
		x.errorf(sf.Pos, "step %q has no activity; expected DeviceActivity(...) { action } or WebserviceActivity(...) { action }", st.Name)
	} else {
		st.Activity = x.activity(activity, st.Name)
	}
	return st
}

func quote(s string) string { return "\"" + s + "\"" }

// eventPositions returns the position of each string of an event list.
func eventPositions(v *Value) []Pos {
	if v == nil {
		return nil
	}
	if _, ok := v.StringValue(); ok {
		return []Pos{v.Pos}
	}
	var out []Pos
	for _, it := range v.List {
		if _, ok := it.StringValue(); ok {
			out = append(out, it.Pos)
		}
	}
	return out
}

func (x *extractor) activity(f *Field, step string) Activity {
	a := Activity{Kind: f.Name, Pos: f.Pos}
	switch {
	case strings.EqualFold(f.Name, "DeviceActivity"):
		a.Kind = ActivityDevice
		if v := f.ArgValue("deviceModel"); v != nil {
			a.DeviceModel, a.DeviceModelPos = x.ref(v, "argument deviceModel", "deviceModel")
		}
		if v := f.ArgValue("deviceId"); v != nil {
			a.DeviceID, a.DeviceIDPos = v.Source(), v.Pos
		}
		if dd := f.Directive("device"); dd != nil {
			if v := dd.ArgValue("id"); v != nil {
				a.Device, a.DevicePos = x.ref(v, "@device(id:)", "device")
			}
		}
	case strings.EqualFold(f.Name, "WebserviceActivity"):
		a.Kind = ActivityWebservice
		if v := f.ArgValue("webservice"); v != nil {
			a.Service, a.ServicePos = x.ref(v, "argument webservice", "service")
		}
	case strings.EqualFold(f.Name, "ChoiceActivity"):
		a.Choice = x.choice(f, step)
		return a
	default:
		x.errorf(f.Pos, "unknown activity %s in step %q; expected DeviceActivity, WebserviceActivity or ChoiceActivity", f.Name, step)
		return a
	}
	if v := f.ArgValue("out"); v != nil {
		a.Out, a.OutPos = v.Source(), v.Pos
	}
	if len(f.Fields) == 0 {
		x.errorf(f.Pos, "%s of step %q calls no action; expected { <action>(<param>: \"...\") }", f.Name, step)
		return a
	}
	call := f.Fields[0]
	a.Action, a.ActionPos = call.Name, call.Pos
	for _, arg := range call.Args {
		a.Args = append(a.Args, Param{Name: arg.Name, Value: arg.Value.Source(), Pos: arg.Pos, ValuePos: arg.Value.Pos})
	}
	if len(f.Fields) > 1 {
		x.errorf(f.Fields[1].Pos, "%s of step %q calls a second action %s; an activity calls one action", f.Name, step, f.Fields[1].Name)
	}
	return a
}

// choice reads ChoiceActivity { rule(name: .., expr: "${...}") {
// setEvent(name: "E") } ... default [{ setEvent(name: "D") }] } [OBS
// ws:models/flows].
func (x *extractor) choice(f *Field, step string) *Choice {
	c := &Choice{Title: f.ArgString("title")}
	if c.Title == "" {
		c.Title = f.ArgString("name")
	}
	for _, r := range f.Fields {
		isDefault := strings.EqualFold(r.Name, "default")
		if !isDefault && !strings.EqualFold(r.Name, "rule") {
			x.errorf(r.Pos, "unexpected %s in the ChoiceActivity of step %q; expected rule(expr: \"${...}\") { setEvent(name: \"...\") } or default", r.Name, step)
			continue
		}
		cr := ChoiceRule{Name: r.ArgString("name"), Title: r.ArgString("title"), Pos: r.Pos, ExprPos: r.Pos, SetEventPos: r.Pos}
		if se := r.Child("setEvent"); se != nil {
			cr.SetEvent, cr.SetEventPos = se.ArgString("name"), se.Pos
			if v := se.ArgValue("name"); v != nil {
				cr.SetEventPos = v.Pos
			}
		}
		if isDefault {
			if c.Default != nil {
				x.errorf(r.Pos, "second default rule in the ChoiceActivity of step %q", step)
			}
			c.Default = &cr
			continue
		}
		if v := r.ArgValue("expr"); v != nil {
			cr.Expr, cr.ExprPos = v.Source(), v.Pos
			cr.Parsed = x.expr(v, "rule expr")
		} else {
			x.errorf(r.Pos, "rule of the ChoiceActivity of step %q has no expr argument", step)
		}
		if r.Child("setEvent") == nil {
			x.errorf(r.Pos, "rule of the ChoiceActivity of step %q sets no event; expected { setEvent(name: \"...\") }", step)
		}
		c.Rules = append(c.Rules, cr)
	}
	return c
}

func (x *extractor) onError(f *Field) *OnError {
	oe := &OnError{Pos: f.Pos}
	for _, c := range f.Fields {
		switch {
		case strings.EqualFold(c.Name, "Retries"):
			for _, r := range c.Fields {
				if !strings.EqualFold(r.Name, "Retry") {
					x.errorf(r.Pos, "unexpected %s in Retries; expected Retry(name:, errorEquals: [...] | condition:, interval:, backoffRate:, maxAttempts:)", r.Name)
					continue
				}
				rt := Retry{Name: r.ArgString("name"), ErrorEquals: r.ArgValue("errorEquals").Strings(), Condition: r.ArgString("condition"), Pos: r.Pos}
				if v := r.ArgValue("interval"); v != nil {
					rt.Interval = v.Source()
				}
				rt.BackoffRate = x.number(r.ArgValue("backoffRate"), "backoffRate")
				rt.MaxAttempts = x.integer(r.ArgValue("maxAttempts"), "maxAttempts")
				if len(rt.ErrorEquals) == 0 && rt.Condition == "" {
					x.errorf(r.Pos, "Retry %q needs errorEquals: [...] or condition: to say which errors it retries", rt.Name)
				}
				oe.Retries = append(oe.Retries, rt)
			}
		case strings.EqualFold(c.Name, "Catches"):
			for _, r := range c.Fields {
				if !strings.EqualFold(r.Name, "Catch") {
					x.errorf(r.Pos, "unexpected %s in Catches; expected Catch(name:, condition:, expr: | raiseEvent:)", r.Name)
					continue
				}
				ct := Catch{Name: r.ArgString("name"), Condition: r.ArgString("condition"), Expr: r.ArgString("expr"), RaiseEvent: r.ArgString("raiseEvent"), Pos: r.Pos, RaiseEventPos: r.Pos}
				if v := r.ArgValue("raiseEvent"); v != nil {
					ct.RaiseEventPos = v.Pos
				}
				if ct.Expr == "" && ct.RaiseEvent == "" {
					x.errorf(r.Pos, "Catch %q needs expr: or raiseEvent: to say what happens", ct.Name)
				}
				oe.Catches = append(oe.Catches, ct)
			}
		default:
			x.errorf(c.Pos, "unexpected %s in OnError; expected Retries { ... } and Catches { ... }", c.Name)
		}
	}
	return oe
}

func (x *extractor) onSuccess(f *Field) *OnSuccess {
	os := &OnSuccess{Pos: f.Pos}
	for _, c := range f.Fields {
		if !strings.EqualFold(c.Name, "Check") {
			x.errorf(c.Pos, "unexpected %s in OnSuccess; expected Check(name:, condition:) { OnPass { ... } OnFail { ... } }", c.Name)
			continue
		}
		sc := SuccessCheck{Name: c.ArgString("name"), Condition: c.ArgString("condition"), Pos: c.Pos}
		if v := c.ArgValue("condition"); v != nil {
			x.expr(v, "Check "+quote(sc.Name)+" condition")
		} else {
			x.errorf(c.Pos, "Check %q has no condition argument", sc.Name)
		}
		sc.OnPass = branch(c.Child("OnPass"))
		sc.OnFail = branch(c.Child("OnFail"))
		os.Checks = append(os.Checks, sc)
	}
	return os
}

// branch collects the events an OnPass / OnFail block raises.
func branch(f *Field) *Branch {
	if f == nil {
		return nil
	}
	b := &Branch{Fields: f.Fields, Pos: f.Pos}
	if ev := f.ArgString("raiseEvent"); ev != "" {
		b.Events = append(b.Events, ev)
	}
	for _, c := range f.Fields {
		if strings.EqualFold(c.Name, "raiseEvent") || strings.EqualFold(c.Name, "setEvent") {
			if n := c.ArgString("name"); n != "" {
				b.Events = append(b.Events, n)
			}
		}
	}
	return b
}

func (x *extractor) system(e *Entity, dir *Directive) *System {
	d := e.Def
	sys := &System{ID: e.ID, Description: dir.ArgString("description"), Pos: d.Pos, Directives: otherDirectives(d, dir)}
	for _, f := range d.Fields {
		if strings.EqualFold(f.Name, "ignore") && len(f.Directives) == 0 {
			continue
		}
		u, id, pos := x.usage(f, "thing", "workflow", "service", "system")
		if u == nil {
			if f.Directive("expr") == nil {
				x.errorf(f.Pos, "system member %s has no @thing, @workflow, @service or @system directive", f.Name)
			}
			continue
		}
		r := Role{Name: f.Name, ID: id, Pos: f.Pos, IDPos: pos}
		switch strings.ToLower(u.Name) {
		case "thing":
			sys.Things = append(sys.Things, r)
		case "workflow":
			sys.Workflows = append(sys.Workflows, r)
		case "service":
			sys.Services = append(sys.Services, r)
		case "system":
			sys.Systems = append(sys.Systems, r)
		}
	}
	return sys
}

func (x *extractor) deployment(e *Entity, dir *Directive) *Deployment {
	d := e.Def
	dep := &Deployment{ID: e.ID, Pos: d.Pos, Directives: otherDirectives(d, dir)}
	if v := dir.ArgValue("systemId"); v != nil {
		dep.SystemID, dep.SystemIDPos = x.ref(v, "argument systemId", "system")
	} else {
		x.errorf(dir.Pos, "@%s has no systemId argument", dir.Name)
	}
	for _, f := range d.Fields {
		if strings.EqualFold(f.Name, "triggers") {
			for _, t := range f.Fields {
				dep.Triggers = append(dep.Triggers, x.trigger(t))
			}
			continue
		}
		if strings.EqualFold(f.Name, "ignore") && len(f.Args) == 0 {
			continue
		}
		a := f.Arg("deviceId")
		if a == nil {
			x.errorf(f.Pos, "binding %s has no deviceId argument; expected %s(deviceId: \"<thing name>\")", f.Name, f.Name)
			continue
		}
		s, _ := a.Value.StringValue()
		dep.Bindings = append(dep.Bindings, Binding{Role: f.Name, ThingName: s, Pos: f.Pos})
	}
	return dep
}

func (x *extractor) trigger(t *Field) Trigger {
	tr := Trigger{Name: t.Name, Description: t.ArgString("description"), Pos: t.Pos, ConditionPos: t.Pos, Directives: t.Directives, Position: x.position(t.Directives)}
	cond := t.Child("condition")
	tr.Condition = cond.ArgString("expr")
	if v := cond.ArgValue("expr"); v != nil {
		tr.ConditionPos = v.Pos
		if every, ok := ParseEvery(tr.Condition); ok {
			tr.Interval = every
		} else if f := strings.Fields(tr.Condition); len(f) > 0 && strings.EqualFold(f[0], "every") {
			x.errorf(v.Pos, "trigger %s: malformed time condition %q; expected every <N> seconds|minutes|hours|days|weeks|months|years with N a positive integer", t.Name, tr.Condition)
		} else {
			tr.ConditionExpr = x.expr(v, "trigger "+t.Name+" condition")
		}
	}
	for _, a := range t.Children("action") {
		v := a.ArgValue("expr")
		tr.Actions = append(tr.Actions, a.ArgString("expr"))
		tr.ActionPos = append(tr.ActionPos, a.Pos)
		if v == nil {
			tr.ActionExprs = append(tr.ActionExprs, nil)
			x.errorf(a.Pos, "trigger %s: action has no expr argument; expected action(expr: \"ThingsGraph.startFlow('<flow role>', ...)\")", t.Name)
			continue
		}
		tr.ActionPos[len(tr.ActionPos)-1] = v.Pos
		tr.ActionExprs = append(tr.ActionExprs, x.expr(v, "trigger "+t.Name+" action"))
	}
	if cond == nil || len(tr.Actions) == 0 {
		x.errorf(t.Pos, "trigger %s needs condition(expr: ...) and at least one action(expr: ...)", t.Name)
	}
	return tr
}

func (x *extractor) mapping(e *Entity, dir *Directive) *Mapping {
	m := &Mapping{ID: e.ID, Name: dir.ArgString("name"), Pos: e.Pos}
	end := func(arg string) MappingEnd {
		v := dir.ArgValue(arg)
		if v == nil {
			x.errorf(dir.Pos, "@%s has no %s argument; expected %s: \"<property URN> <alias>\"", dir.Name, arg, arg)
			return MappingEnd{Pos: dir.Pos}
		}
		me := MappingEnd{Pos: v.Pos}
		s, _ := v.StringValue()
		f := strings.Fields(s)
		if len(f) != 2 {
			x.errorf(v.Pos, "%s: %q must be \"<property URN> <alias>\"", arg, s)
			if len(f) == 0 {
				return me
			}
		}
		me.Property = f[0]
		if len(f) > 1 {
			me.Alias = f[1]
		}
		if _, err := ParseURN(me.Property); err != nil {
			x.errorf(v.Pos, "%s: %v", arg, err)
		}
		return me
	}
	m.From, m.To = end("from"), end("to")
	for _, f := range e.Def.Fields {
		var list *[]MapEntry
		switch {
		case strings.EqualFold(f.Name, "forward"):
			list = &m.Forward
		case strings.EqualFold(f.Name, "reverse"):
			list = &m.Reverse
		case strings.EqualFold(f.Name, "symmetric"):
			list = &m.Symmetric
		case strings.EqualFold(f.Name, "ignore"):
			continue
		default:
			x.errorf(f.Pos, "unexpected block %s in mapping; expected forward, reverse or symmetric { map(expr: \"source => target\") }", f.Name)
			continue
		}
		for _, c := range f.Fields {
			*list = append(*list, mapEntry(c))
		}
	}
	return m
}

// mapEntry splits map(expr: "source => target") and parses both halves
// where they parse; problems stay in MapEntry.Err (spec §2.8: the guide's
// own mapping examples do not parse).
func mapEntry(c *Field) MapEntry {
	me := MapEntry{Pos: c.Pos}
	v := c.ArgValue("expr")
	if !strings.EqualFold(c.Name, "map") || v == nil {
		me.Err = errorf(c.Pos, "", "expected map(expr: \"source => target\"), found %s", c.Name)
		return me
	}
	me.Expr, me.Pos = v.Source(), v.Pos
	i := arrowIndex(me.Expr)
	if i < 0 {
		me.Err = errorf(v.Pos, "", "map expr %q has no '=>' between source and target", me.Expr)
		return me
	}
	me.Source, me.Target = strings.TrimSpace(me.Expr[:i]), strings.TrimSpace(me.Expr[i+2:])
	at := innerPos(v)
	var err error
	if me.SourceExpr, err = parseExprAt(me.Source, at); err != nil {
		me.Err = err.(*Error)
	}
	if me.TargetExpr, err = parseExprAt(me.Target, at); err != nil && me.Err == nil {
		me.Err = err.(*Error)
	}
	return me
}

// arrowIndex finds "=>" outside quotes.
func arrowIndex(s string) int {
	var q byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case q != 0 && c == '\\':
			i++
		case q != 0:
			if c == q {
				q = 0
			}
		case c == '"' || c == '\'':
			q = c
		case c == '=' && i+1 < len(s) && s[i+1] == '>':
			return i
		}
	}
	return -1
}
