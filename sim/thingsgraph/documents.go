package thingsgraph

import (
	"fmt"
	"strings"
	"time"

	"github.com/tgsim/tgsim/sim/tdm"
)

// Document is one TDM definition document to validate offline.
type Document struct {
	Name string // file name, used in messages
	Text string
}

// Problem is one problem found in a document, at a position, optionally
// attributed to an entity.
type Problem struct {
	Document string
	Line     int
	Col      int
	EntityID string
	Message  string
	// Warning marks advice (an event nobody waits for, a choice without a
	// default rule): it does not fail an upload.
	Warning bool
}

// String returns "name:line:col: <entity id>: message" (without the entity
// id when there is none): the service's own message (an upload's
// failureReason entry, an InvalidRequestException's text) prefixed by the
// document name.
func (p Problem) String() string {
	return p.Document + ":" + p.reason()
}

func (p Problem) reason() string {
	e := &tdm.Error{Pos: tdm.Pos{Line: p.Line, Col: p.Col}, EntityID: p.EntityID, Msg: p.Message}
	if p.Warning {
		e.Severity = tdm.SeverityWarning
	}
	return e.Error()
}

// ValidateDocuments runs, offline, the checks the service makes on the same
// documents: parsing and extraction, the namespace rules of an upload, the
// one-definition rules of CreateFlowTemplate / CreateSystemTemplate /
// CreateSystemInstance, and tdm.Check against the preloaded public
// namespace plus every entity, flow and system of the documents
// themselves. A document holding a flow, a system or a deployment is
// checked as that operation's definition; any other as an upload.
// Checks that need account state (thing associations, stored templates of
// earlier calls) are not made.
func ValidateDocuments(docs []Document, region, account string) []Problem {
	var problems []Problem
	add := func(doc string, errs tdm.ErrorList) {
		for _, e := range errs {
			problems = append(problems, Problem{Document: doc, Line: e.Pos.Line, Col: e.Pos.Col, EntityID: e.EntityID, Message: e.Msg, Warning: e.IsWarning()})
		}
	}
	pub, err := loadPublic(time.Time{})
	if err != nil {
		return []Problem{{Document: "(public namespace)", Line: 1, Col: 1, Message: err.Error()}}
	}
	pubSnap := pub.latest()
	nsName := accountNamespaceName(region, account)
	sets := make([]*tdm.Set, len(docs))
	all := map[string]*tdm.Entity{}
	for i, d := range docs {
		set, errs := parseDocument(d.Text)
		if len(errs) > 0 {
			add(d.Name, errs)
			continue
		}
		sets[i] = set
		for _, e := range set.Entities {
			if _, dup := all[tdm.Key(e.ID)]; !dup {
				all[tdm.Key(e.ID)] = e
			}
		}
	}
	resolve := func(k string) *tdm.Entity {
		if e := all[k]; e != nil {
			return e
		}
		return pubSnap.entity(k)
	}
	for i, d := range docs {
		set := sets[i]
		if set == nil {
			continue
		}
		if kind := templateKind(set); kind != "" {
			if errs := oneDefinitionProblems(set, kind, nsName); len(errs) > 0 {
				add(d.Name, errs)
				continue
			}
		} else if errs := uploadProblems(set, nsName); len(errs) > 0 {
			add(d.Name, errs)
			continue
		}
		// Diagnose is Check plus warnings: the CLI shows both.
		add(d.Name, set.Diagnose(resolve))
	}
	return problems
}

// parseDocument parses and extracts a definition document.
func parseDocument(text string) (*tdm.Set, tdm.ErrorList) {
	doc, err := tdm.Parse(text)
	if err != nil {
		if l, ok := err.(tdm.ErrorList); ok {
			return nil, l
		}
		return nil, tdm.ErrorList{{Pos: tdm.Pos{Line: 1, Col: 1}, Msg: err.Error()}}
	}
	set, errs := tdm.ExtractSource(doc, text)
	if len(errs) > 0 {
		return nil, errs
	}
	return set, nil
}

// namespaceEntityKinds may be uploaded; flows, systems and deployments have
// their own operations [API UploadEntityDefinitions].
var namespaceEntityKinds = map[tdm.Kind]bool{
	tdm.KindProperty: true, tdm.KindEnum: true, tdm.KindState: true, tdm.KindEvent: true,
	tdm.KindAction: true, tdm.KindCapability: true, tdm.KindDeviceModel: true,
	tdm.KindDevice: true, tdm.KindService: true, tdm.KindMapping: true,
}

// templateKind is the kind of the first flow, system or deployment of a
// document, or "".
func templateKind(set *tdm.Set) tdm.Kind {
	for _, e := range set.Entities {
		if !namespaceEntityKinds[e.Kind] {
			return e.Kind
		}
	}
	return ""
}

func inNamespace(id, nsName string) bool {
	u, err := tdm.ParseURN(id)
	return err == nil && (u.Namespace == nsName || strings.HasPrefix(u.Namespace, nsName+"/"))
}

// uploadProblems are the namespace rules of UploadEntityDefinitions: only
// namespace entity kinds, each in the account namespace [API].
func uploadProblems(set *tdm.Set, nsName string) tdm.ErrorList {
	var errs tdm.ErrorList
	for _, e := range set.Entities {
		switch {
		case !namespaceEntityKinds[e.Kind]:
			errs = append(errs, &tdm.Error{Pos: e.Pos, EntityID: e.ID, Msg: fmt.Sprintf("a %s cannot be uploaded as an entity; use %s", e.Kind, kindOp(e.Kind))})
		case !inNamespace(e.ID, nsName):
			u, _ := tdm.ParseURN(e.ID)
			errs = append(errs, &tdm.Error{Pos: e.Pos, EntityID: e.ID, Msg: fmt.Sprintf("entities must be created in the account namespace %s, not %q", nsName, u.Namespace)})
		}
	}
	return errs
}

func kindOp(k tdm.Kind) string {
	switch k {
	case tdm.KindFlow:
		return "CreateFlowTemplate"
	case tdm.KindSystem:
		return "CreateSystemTemplate"
	}
	return "CreateSystemInstance"
}

// oneDefinitionProblems are the rules of a Create*Template or
// CreateSystemInstance definition: exactly one definition, of kind, in the
// account namespace.
func oneDefinitionProblems(set *tdm.Set, kind tdm.Kind, nsName string) tdm.ErrorList {
	var errs tdm.ErrorList
	var found *tdm.Entity
	for _, e := range set.Entities {
		switch {
		case e.Kind != kind:
			errs = append(errs, &tdm.Error{Pos: e.Pos, EntityID: e.ID, Msg: fmt.Sprintf("is a %s; this document must hold exactly one %s", e.Kind, kind)})
		case found != nil:
			errs = append(errs, &tdm.Error{Pos: e.Pos, EntityID: e.ID, Msg: fmt.Sprintf("a second %s; this document must hold exactly one", kind)})
		default:
			found = e
			if !inNamespace(e.ID, nsName) {
				u, _ := tdm.ParseURN(e.ID)
				errs = append(errs, &tdm.Error{Pos: e.Pos, EntityID: e.ID, Msg: fmt.Sprintf("must be in the account namespace %s, not %q", nsName, u.Namespace)})
			}
		}
	}
	if found == nil && len(errs) == 0 {
		errs = append(errs, &tdm.Error{Pos: tdm.Pos{Line: 1, Col: 1}, Msg: fmt.Sprintf("no %s definition found", kind)})
	}
	return errs
}

// parseOne parses a definition member that must hold exactly one
// definition of kind in the account namespace nsName.
func parseOne(doc *definitionDocument, kind tdm.Kind, nsName string) (*tdm.Set, *tdm.Entity, error) {
	if err := doc.validate("definition"); err != nil {
		return nil, nil, err
	}
	set, errs := parseDocument(doc.Text)
	if len(errs) == 0 {
		errs = oneDefinitionProblems(set, kind, nsName)
	}
	if len(errs) > 0 {
		return nil, nil, invalidRequest("definition.text: %v", errs)
	}
	for _, e := range set.Entities {
		return set, e, nil
	}
	return nil, nil, invalidRequest("definition.text: no %s definition found", kind)
}
