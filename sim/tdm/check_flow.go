package tdm

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// offsetPos is the document position of byte off of the decoded text of
// the string token at at (see innerPos for the precision).
func offsetPos(at Pos, text string, off int) Pos {
	p := Pos{at.Line, at.Col + 1}
	head := text[:off]
	if i := strings.LastIndexByte(head, '\n'); i >= 0 {
		p.Line += strings.Count(head, "\n")
		p.Col = 1 + utf8.RuneCountInString(head[i+1:])
		return p
	}
	p.Col += utf8.RuneCountInString(head)
	return p
}

// systemNames are the names every ${...} may use [DOC
// ug:iot-tg-models-tdm-iot-service; spec §2.7].
var systemNames = map[string]string{"systemConfig": "", "systemRuntime": ""}

// templates checks each ${...} of text (the decoded string at at): it
// must parse, and its free names must be in allowed or systemNames.
// expected describes allowed for the message.
func (c *checker) templates(id, text string, at Pos, allowed map[string]string, what string, expected ...string) {
	for i := 0; ; {
		j := strings.Index(text[i:], "${")
		if j < 0 {
			return
		}
		j += i
		depth, k := 1, j+2
		for ; k < len(text) && depth > 0; k++ {
			switch text[k] {
			case '{':
				depth++
			case '}':
				depth--
			}
		}
		if depth > 0 {
			c.errorf(offsetPos(at, text, j), id, "%s: ${ is not closed; expected '}'", what)
			return
		}
		e, err := parseExprAt(text[j+2:k-1], offsetPos(at, text, j+2))
		if err != nil {
			pe := err.(*Error)
			c.errorf(pe.Pos, id, "%s: %s", what, pe.Msg)
		} else {
			for _, n := range freeNames(e) {
				if hasMember(allowed, n.Name) || hasMember(systemNames, n.Name) {
					continue
				}
				exp := "one of " + memberList(allowed) + ", systemConfig or systemRuntime"
				if len(expected) > 0 {
					exp = expected[0]
				}
				c.errorf(n.Pos, id, "%s: unknown name %s in ${...}; expected %s", what, n.Name, exp)
			}
		}
		i = k
	}
}

// freeNames returns the names an expression reads from its environment:
// roots of paths, not member names, filter predicates (evaluated per
// element), function names or library roots.
func freeNames(e Expr) []*Ident {
	var out []*Ident
	var walk func(Expr)
	walk = func(e Expr) {
		switch e := e.(type) {
		case *Ident:
			out = append(out, e)
		case *Template:
			walk(e.X)
		case *ListLit:
			for _, x := range e.Elems {
				walk(x)
			}
		case *Member:
			walk(e.X)
		case *Index:
			walk(e.X)
			if !isPredicate(e.Index) {
				walk(e.Index)
			}
		case *Call:
			name := dottedName(e.Fun)
			root, _, _ := strings.Cut(name, ".")
			_, isMath := mathFunc(name)
			switch {
			case isMath, name != "" && !strings.Contains(name, "."):
			case strings.EqualFold(root, "ThingsGraph"), strings.EqualFold(root, "tdm"):
			default:
				if m, ok := e.Fun.(*Member); ok {
					walk(m.X)
				}
			}
			for _, a := range e.Args {
				walk(a)
			}
		case *Unary:
			walk(e.X)
		case *Binary:
			walk(e.X)
			walk(e.Y)
		case *Cond:
			walk(e.C)
			walk(e.Then)
			walk(e.Else)
		case *Cast:
			walk(e.X)
		}
	}
	walk(e)
	return out
}

// emitted collects the events a flow's steps emit: outEvents, choice
// setEvents, catch raiseEvents, OnSuccess branch events.
func emittedEvents(f *Flow) map[string]bool {
	m := map[string]bool{}
	for _, st := range f.Steps {
		for _, ev := range st.OutEvents {
			m[ev] = true
		}
		if ch := st.Activity.Choice; ch != nil {
			for _, r := range ch.Rules {
				m[r.SetEvent] = true
			}
			if ch.Default != nil {
				m[ch.Default.SetEvent] = true
			}
		}
		if st.OnError != nil {
			for _, ct := range st.OnError.Catches {
				m[ct.RaiseEvent] = true
			}
		}
		if st.OnSuccess != nil {
			for _, sc := range st.OnSuccess.Checks {
				for _, b := range []*Branch{sc.OnPass, sc.OnFail} {
					if b != nil {
						for _, ev := range b.Events {
							m[ev] = true
						}
					}
				}
			}
		}
	}
	delete(m, "")
	return m
}

func (c *checker) flow(f *Flow) {
	names := map[string]string{}
	for _, p := range f.Params {
		names[p.Name] = "parameter"
	}
	for _, v := range f.Variables {
		c.need(v.PropertyPos, f.ID, "variable "+v.Name, v.Property, KindProperty)
		names[v.Name] = "variable"
	}
	expected := "a parameter or variable of the flow (" + memberList(names) + "), systemConfig or systemRuntime"
	emitted := emittedEvents(f)
	consumed := map[string]bool{}
	for _, st := range f.Steps {
		for _, ev := range st.InEvents {
			consumed[ev] = true
		}
	}
	seen := map[string]*Step{}
	for i := range f.Steps {
		st := &f.Steps[i]
		if prev := seen[st.Name]; prev != nil && st.Name != "" {
			c.errorf(st.NamePos, f.ID, "duplicate step name %q: the step at %d:%d already uses it; step names are unique in a flow", st.Name, prev.Pos.Line, prev.Pos.Col)
		}
		seen[st.Name] = st
		for j, ev := range st.InEvents {
			if !emitted[ev] {
				c.errorf(posAt(st.InEventPos, j, st.Pos), f.ID, "step %q: inEvent %q is not emitted by any step (outEvent, choice rule setEvent or Catch raiseEvent); emitted: %s", st.Name, ev, setList(emitted))
			}
		}
		for j, ev := range st.OutEvents {
			if !consumed[ev] {
				c.warnf(posAt(st.OutEventPos, j, st.Pos), f.ID, "step %q: outEvent %q is not the inEvent of any step", st.Name, ev)
			}
		}
		c.templates(f.ID, st.Condition, st.ConditionPos, names, "step "+quote(st.Name)+" condition", expected)
		c.activity(f, st, names, expected, consumed)
	}
}

func posAt(ps []Pos, i int, def Pos) Pos {
	if i < len(ps) {
		return ps[i]
	}
	return def
}

func setList(m map[string]bool) string {
	l := map[string]string{}
	for k := range m {
		l[k] = ""
	}
	return memberList(l)
}

func (c *checker) activity(f *Flow, st *Step, names map[string]string, expected string, consumed map[string]bool) {
	a := &st.Activity
	step := "step " + quote(st.Name)
	if ch := a.Choice; ch != nil {
		for _, r := range ch.Rules {
			c.templates(f.ID, r.Expr, r.ExprPos, names, step+" rule expr", expected)
			if r.SetEvent != "" && !consumed[r.SetEvent] {
				c.warnf(r.SetEventPos, f.ID, "%s: setEvent %q is not the inEvent of any step", step, r.SetEvent)
			}
		}
		if ch.Default == nil {
			c.warnf(a.Pos, f.ID, "%s: ChoiceActivity has no default rule; add default { setEvent(name: \"...\") } (the console requires one)", step)
		}
		return
	}
	var params []Param // the action's parameters, when known
	known := false
	switch a.Kind {
	case ActivityDevice:
		if a.DeviceModel == "" {
			c.errorf(a.Pos, f.ID, "%s: DeviceActivity has no deviceModel argument", step)
			return
		}
		if a.DeviceID == "" && a.Device == "" {
			c.warnf(a.Pos, f.ID, "%s: DeviceActivity has no deviceId argument naming the thing; expected deviceId: \"${<flow parameter>}\"", step)
		}
		c.templates(f.ID, a.DeviceID, a.DeviceIDPos, names, step+" deviceId", expected)
		if c.need(a.DeviceModelPos, f.ID, step+" deviceModel", a.DeviceModel, KindDeviceModel) == nil {
			return
		}
		if c.need(a.DevicePos, f.ID, step+" @device", a.Device, KindDevice) != nil {
			if s := c.set(a.Device); s != nil {
				if d := s.Devices[Key(a.Device)]; d != nil && d.DeviceModel != "" && !SameURN(d.DeviceModel, a.DeviceModel) {
					c.errorf(a.DevicePos, f.ID, "%s: pinned device %s implements device model %s, not %s", step, a.Device, d.DeviceModel, a.DeviceModel)
				}
			}
		}
		m := c.model(a.DeviceModel)
		if m == nil {
			return
		}
		cp := c.capability(m.Capability)
		if cp == nil || a.Action == "" {
			break
		}
		acts, _ := c.members(cp)
		actID, ok := member(acts, a.Action)
		if !ok {
			c.errorf(a.ActionPos, f.ID, "%s: action %q is not a member of capability %s of device model %s (members: %s)", step, a.Action, cp.ID, m.ID, memberList(acts))
			break
		}
		if def := c.action(actID); def != nil {
			params, known = def.Params, true
		}
	case ActivityWebservice:
		if a.Service == "" {
			c.errorf(a.Pos, f.ID, "%s: WebserviceActivity has no webservice argument", step)
			return
		}
		if c.need(a.ServicePos, f.ID, step+" webservice", a.Service, KindService) == nil {
			return
		}
		s := c.set(a.Service)
		if s == nil {
			break
		}
		svc := s.Services[Key(a.Service)]
		var sa *DeviceAction
		acts := map[string]string{}
		for i := range svc.Actions {
			acts[svc.Actions[i].Name] = ""
			if strings.EqualFold(svc.Actions[i].Name, a.Action) {
				sa = &svc.Actions[i]
			}
		}
		if a.Action != "" && sa == nil {
			c.errorf(a.ActionPos, f.ID, "%s: service %s has no action %q (actions: %s)", step, svc.ID, a.Action, memberList(acts))
			break
		}
		if sa == nil {
			break
		}
		params, known = sa.Params, true
		if cp := c.capability(svc.CapabilityID); cp != nil {
			acts, _ := c.members(cp)
			if id, ok := member(acts, a.Action); ok {
				if def := c.action(id); def != nil {
					params = def.Params
				}
			}
		}
	default:
		return
	}
	if a.Out != "" {
		if v, ok := member(names, a.Out); !ok || v != "variable" {
			c.errorf(a.OutPos, f.ID, "%s: out %q is not a declared variable; declare it in variables { %s @property(id: \"<property URN>\") }", step, a.Out, a.Out)
		}
	}
	pnames := map[string]string{}
	for _, p := range params {
		pnames[p.Name] = p.Property
	}
	for _, arg := range a.Args {
		if known && !hasMember(pnames, arg.Name) {
			c.errorf(arg.Pos, f.ID, "%s: action %q has no parameter %q (parameters: %s)", step, a.Action, arg.Name, memberList(pnames))
		}
		c.templates(f.ID, arg.Value, arg.ValuePos, names, step+" argument "+arg.Name, expected)
	}
	if known {
		for _, p := range params {
			found := false
			for _, arg := range a.Args {
				found = found || strings.EqualFold(arg.Name, p.Name)
			}
			if !found {
				c.warnf(a.ActionPos, f.ID, "%s: action %q is called without its parameter %q", step, a.Action, p.Name)
			}
		}
	}
}

func (c *checker) system(sys *System) {
	roles := map[string]Pos{}
	groups := []struct {
		what  string
		roles []Role
		kinds []Kind
	}{
		{"thing", sys.Things, []Kind{KindDeviceModel, KindDevice}},
		{"workflow", sys.Workflows, []Kind{KindFlow}},
		{"service", sys.Services, []Kind{KindService}},
		{"system", sys.Systems, []Kind{KindSystem}},
	}
	for _, g := range groups {
		for _, r := range g.roles {
			if p, dup := roles[r.Name]; dup {
				c.errorf(r.Pos, sys.ID, "role %s is already defined at %d:%d; role names are unique in a system", r.Name, p.Line, p.Col)
			}
			roles[r.Name] = r.Pos
			if r.ID == "" {
				continue
			}
			c.need(r.IDPos, sys.ID, g.what+" "+quote(r.Name), r.ID, g.kinds...)
		}
	}
}

func roleNames(rs []Role) map[string]string {
	m := map[string]string{}
	for _, r := range rs {
		m[r.Name] = r.ID
	}
	return m
}

// exactRole finds a role by exact name; when only a case-insensitive match
// exists it returns that name as a hint.
func exactRole(rs []Role, name string) (r *Role, hint string) {
	for i := range rs {
		if rs[i].Name == name {
			return &rs[i], ""
		}
	}
	for i := range rs {
		if strings.EqualFold(rs[i].Name, name) {
			return nil, fmt.Sprintf(" (did you mean %q? roles match exactly)", rs[i].Name)
		}
	}
	return nil, ""
}

func (c *checker) deployment(dep *Deployment) {
	if c.need(dep.SystemIDPos, dep.ID, "systemId", dep.SystemID, KindSystem) == nil {
		return
	}
	s := c.set(dep.SystemID)
	if s == nil {
		return
	}
	sys := s.Systems[Key(dep.SystemID)]
	bound := map[string]Pos{}
	for _, b := range dep.Bindings {
		if p, dup := bound[b.Role]; dup {
			c.errorf(b.Pos, dep.ID, "role %q is already bound at %d:%d", b.Role, p.Line, p.Col)
		}
		bound[b.Role] = b.Pos
		if r, hint := exactRole(sys.Things, b.Role); r == nil {
			c.errorf(b.Pos, dep.ID, "binding %q is not a thing role of system %s%s (thing roles: %s)", b.Role, sys.ID, hint, memberList(roleNames(sys.Things)))
		}
	}
	for _, r := range sys.Things {
		if _, ok := bound[r.Name]; !ok {
			c.errorf(dep.Pos, dep.ID, "thing role %q of system %s (%s) has no binding; add %s(deviceId: \"<thing name>\")", r.Name, sys.ID, r.ID, r.Name)
		}
	}
	for i := range dep.Triggers {
		c.trigger(dep, sys, &dep.Triggers[i])
	}
}

// nameFilter returns the literal of a filter predicate `name == 'lit'`
// (either side), or nil.
func nameFilter(x Expr) *Lit {
	b, ok := x.(*Binary)
	if !ok || b.Op != "==" {
		return nil
	}
	l, r := b.X, b.Y
	if _, ok := r.(*Ident); ok {
		l, r = r, l
	}
	id, ok := l.(*Ident)
	lit, ok2 := r.(*Lit)
	if !ok || !ok2 || !strings.EqualFold(id.Name, "name") {
		return nil
	}
	if _, isStr := lit.Value.(string); !isStr {
		return nil
	}
	return lit
}

func walkExpr(e Expr, fn func(Expr)) {
	if e == nil {
		return
	}
	fn(e)
	switch e := e.(type) {
	case *Template:
		walkExpr(e.X, fn)
	case *ListLit:
		for _, x := range e.Elems {
			walkExpr(x, fn)
		}
	case *Member:
		walkExpr(e.X, fn)
	case *Index:
		walkExpr(e.X, fn)
		walkExpr(e.Index, fn)
	case *Call:
		walkExpr(e.Fun, fn)
		for _, a := range e.Args {
			walkExpr(a, fn)
		}
	case *Unary:
		walkExpr(e.X, fn)
	case *Binary:
		walkExpr(e.X, fn)
		walkExpr(e.Y, fn)
	case *Cond:
		walkExpr(e.C, fn)
		walkExpr(e.Then, fn)
		walkExpr(e.Else, fn)
	case *Cast:
		walkExpr(e.X, fn)
	}
}

// roleRefs checks devices[name == 'role'], devices[...].events[name ==
// 'event'] and bindings[name == 'role'] in a trigger expression.
func (c *checker) roleRefs(dep *Deployment, sys *System, tr *Trigger, e Expr) {
	walkExpr(e, func(x Expr) {
		ix, ok := x.(*Index)
		if !ok {
			return
		}
		lit := nameFilter(ix.Index)
		if lit == nil {
			return
		}
		name := lit.Value.(string)
		if id, ok := ix.X.(*Ident); ok && (strings.EqualFold(id.Name, "devices") || strings.EqualFold(id.Name, "bindings")) {
			if r, hint := exactRole(sys.Things, name); r == nil {
				c.errorf(lit.Pos, dep.ID, "trigger %s: %s[name == '%s'] names no thing role of system %s%s (thing roles: %s)", tr.Name, id.Name, name, sys.ID, hint, memberList(roleNames(sys.Things)))
			}
			return
		}
		// devices[name == 'role'].events[name == 'event']
		m, ok := ix.X.(*Member)
		if !ok || !strings.EqualFold(m.Name, "events") {
			return
		}
		dix, ok := m.X.(*Index)
		if !ok {
			return
		}
		if id, ok := dix.X.(*Ident); !ok || !strings.EqualFold(id.Name, "devices") {
			return
		}
		rl := nameFilter(dix.Index)
		if rl == nil {
			return
		}
		r, _ := exactRole(sys.Things, rl.Value.(string))
		if r == nil {
			return
		}
		cp := c.roleCapability(r.ID)
		if cp == nil {
			return
		}
		_, evs := c.members(cp)
		if !hasMember(evs, name) {
			c.errorf(lit.Pos, dep.ID, "trigger %s: role %s has no event %q; capability %s declares events: %s", tr.Name, r.Name, name, cp.ID, memberList(evs))
		}
	})
}

// roleCapability returns the capability of a system thing (a device model
// or a device).
func (c *checker) roleCapability(id string) *Capability {
	s := c.set(id)
	if s == nil {
		return nil
	}
	if d := s.Devices[Key(id)]; d != nil {
		id = d.DeviceModel
	}
	if m := c.model(id); m != nil {
		return c.capability(m.Capability)
	}
	return nil
}

func (c *checker) trigger(dep *Deployment, sys *System, tr *Trigger) {
	c.roleRefs(dep, sys, tr, tr.ConditionExpr)
	for _, e := range tr.ActionExprs {
		if e == nil {
			continue
		}
		c.roleRefs(dep, sys, tr, e)
		call, ok := e.(*Call)
		if !ok || !strings.EqualFold(dottedName(call.Fun), "ThingsGraph.startFlow") {
			c.errorf(rootPos(e), dep.ID, "trigger %s: action %s is not a call of ThingsGraph.startFlow; the only trigger action is ThingsGraph.startFlow('<flow role>', <argument>...)", tr.Name, e)
			continue
		}
		flows := memberList(roleNames(sys.Workflows))
		if len(call.Args) == 0 {
			c.errorf(rootPos(call), dep.ID, "trigger %s: ThingsGraph.startFlow() names no flow; expected the flow role as first argument (flow roles: %s)", tr.Name, flows)
			continue
		}
		lit, ok := call.Args[0].(*Lit)
		role, isStr := "", false
		if ok {
			role, isStr = lit.Value.(string)
		}
		if !isStr {
			c.errorf(exprPos(call.Args[0]), dep.ID, "trigger %s: the first argument of ThingsGraph.startFlow must be a flow role in quotes, found %s (flow roles: %s)", tr.Name, call.Args[0], flows)
			continue
		}
		r, hint := exactRole(sys.Workflows, role)
		if r == nil {
			c.errorf(lit.Pos, dep.ID, "trigger %s: ThingsGraph.startFlow names flow role %q, which system %s lacks%s (flow roles: %s)", tr.Name, role, sys.ID, hint, flows)
			continue
		}
		s := c.set(r.ID)
		if s == nil {
			continue
		}
		fl := s.Flows[Key(r.ID)]
		if fl == nil {
			continue
		}
		required := 0
		var ps []string
		for _, p := range fl.Params {
			if p.Default == nil {
				required++
			}
			ps = append(ps, "$"+p.Name)
		}
		n := len(call.Args) - 1
		if n < required || n > len(fl.Params) {
			takes := fmt.Sprint(len(fl.Params))
			if required != len(fl.Params) {
				takes = fmt.Sprintf("%d to %d", required, len(fl.Params))
			}
			list := "none"
			if len(ps) > 0 {
				list = strings.Join(ps, ", ")
			}
			c.errorf(rootPos(call), dep.ID, "trigger %s: ThingsGraph.startFlow('%s', ...) passes %d argument(s) after the flow role; flow %s takes %s (%s)", tr.Name, role, n, fl.ID, takes, list)
		}
	}
}

func exprPos(e Expr) Pos { return e.exprPos() }

// rootPos is the position of the leftmost token of a path or call
// (Member and Index nodes sit at their '.' and '[').
func rootPos(e Expr) Pos {
	for {
		switch x := e.(type) {
		case *Member:
			e = x.X
		case *Index:
			e = x.X
		case *Call:
			e = x.Fun
		case *Binary:
			e = x.X
		case *Cond:
			e = x.C
		default:
			return e.exprPos()
		}
	}
}
