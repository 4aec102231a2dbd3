package tdm

import "time"

// This file holds the typed structures Extract fills. Every URN is kept as
// written; map keys are Key(id). Pos fields name the token a problem would
// be reported at: XxxPos is the position of the value of argument xxx.

// Property is a @propertyType with its facets [DOC
// ug:iot-tg-models-tdm-propertytype; spec §2.3].
type Property struct {
	ID, DataType, InstanceOf string
	// Primitive is the canonical built-in type ("int16", "string",
	// "float64", ...; aliases resolved) when DataType is a bare keyword,
	// and "" when it is a URN or absent.
	Primitive            string
	Description          string
	MinValue, MaxValue   *float64 // minValue/min, maxValue/max
	MinLength, MaxLength *int64
	IsAbstract           bool
	IsGlobalID           bool
	Uom                  string
	Accuracy             *float64
	SemTypeIDs           []string
	// Directives holds the definition's directives other than the
	// defining one, as written.
	Directives                      []*Directive
	Pos, DataTypePos, InstanceOfPos Pos
}

// Enum is an @enumType and its values.
type Enum struct {
	ID     string
	Values []EnumValue
	Pos    Pos
}

// EnumValue is one `NAME @enumValue(value: n)` member; Value is nil when
// the member has no @enumValue.
type EnumValue struct {
	Name  string
	Value *int64
	Pos   Pos
}

// State is a @stateType.
type State struct {
	ID string
	// Members lists the @property members (Name + Property), as before
	// Fields existed.
	Members []Param
	// Fields lists every member with its usage facets.
	Fields []StateMember
	// Implements is the parent state's URN from `implements Parent
	// @stateType(id: parentURN)`; ImplementsName is Parent. With the plain
	// GraphQL form `implements Parent` only the name is known.
	Implements, ImplementsName string
	Directives                 []*Directive
	Pos, ImplementsPos         Pos
}

// StateMember is one member of a state: `name: TypeName @property(id: ...,
// facets)` (or @state / @enum).
type StateMember struct {
	Name     string
	TypeName string // as written: "Celsius", "[Reading]", "Int!"
	List     bool   // written [TypeName]
	// Ref is the usage directive's name in lower case: "property",
	// "state" or "enum"; ID its id.
	Ref, ID string
	// Usage facets [DOC ug:iot-tg-models-tdm-propertytype], from the
	// directive's arguments (or the member's own arguments).
	IsRequired, IsReadOnly   bool
	Default                  string // Source text, "" when absent
	Condition, Expr          string
	Multiplicity             string // "Multivalued", "Singlevalued" or as written
	Pos, IDPos, ConditionPos Pos
}

// Event is an @eventType.
type Event struct {
	ID, Payload     string
	Pos, PayloadPos Pos
}

// Action is an @actionType: its non-return members are inputs.
type Action struct {
	ID     string
	Params []Param // Name + Property (PropertyPos: the @property id)
	Return string  // property id of the `return` member, "" for void
	Pos    Pos
	// ReturnPos is the position of the return member's @property id.
	ReturnPos Pos
}

// Capability is a @capabilityType.
type Capability struct {
	ID      string
	State   string
	Actions map[string]string // member name -> action URN
	Events  map[string]string // member name -> event URN
	// Members lists the state, action and event members in order, with
	// positions.
	Members []CapabilityMember
	// Implements is the parent capability's URN (see State.Implements).
	Implements, ImplementsName string
	Pos, ImplementsPos         Pos
}

// CapabilityMember is `name: T @state|@action|@event(id: ...)`.
type CapabilityMember struct {
	Name, Ref, ID string // Ref: "state", "action" or "event"
	Pos, IDPos    Pos
}

// DeviceModel is a @deviceModel.
type DeviceModel struct {
	ID, Capability     string
	Pos, CapabilityPos Pos
}

// Device is a `query ... @device` definition bound to a protocol.
type Device struct {
	ID, DeviceModel, Protocol, CapabilityID string // Protocol: "MQTT" or "MODBUS"
	ServerID                                string // Modbus(serverId:)
	Actions                                 []DeviceAction
	Events                                  []DeviceEvent
	Pos                                     Pos
	// CapabilityName is the capability block's name as written (free text:
	// only its id counts, spec §2.5).
	CapabilityName string
	// State lists the state { member(name:, property:) } wire mappings.
	State []WireField
	// Positions: the deviceModel argument, the protocol block, the
	// capability block and its id, serverId.
	DeviceModelPos, ProtocolPos, CapabilityBlockPos, CapabilityPos, ServerIDPos Pos
}

// WireField maps a state member to a field of the device's messages.
type WireField struct {
	Member, Name, Property string
	Pos, PropertyPos       Pos
}

// DeviceAction is one Action(name:) block of a device or service.
type DeviceAction struct {
	Name             string
	Params           []Param
	Operation        string // the block after params: "Publish", "ReadHoldingRegisters", "HttpPost", ...
	RequestTopic     string // raw, e.g. "$macro(${systemRuntime.deviceId}/capture)"
	RequestParams    []Param
	ResponseTopic    string
	ResponseProperty string
	Pos              Pos
	// HasResponse says a Response block is present (the action waits for
	// a result).
	HasResponse bool
	// Exactly one of Modbus, HTTP and Lambda is set for Modbus devices,
	// REST services and AwsLambda services.
	Modbus *ModbusRequest
	HTTP   *HTTPRequest
	Lambda *LambdaRequest
	// Positions: the name argument, the operation block, the response
	// property, the topics.
	NamePos, OperationPos, ResponsePropertyPos Pos
	RequestTopicPos, ResponseTopicPos          Pos
}

// The Modbus operations [DOC ug:iot-tg-protocols-modbus]; they map 1:1 to
// the Greengrass Modbus-RTU Protocol Adapter connector's requests.
var ModbusOperations = []string{
	"ReadCoils", "ReadDiscreteInputs", "ReadHoldingRegisters", "ReadInputRegisters",
	"WriteSingleCoil", "WriteSingleRegister", "WriteMultipleRegisters",
}

// ModbusRequest is the Request(Address:, ReadCount:|WriteCount:) of a
// Modbus operation; absent arguments are nil.
type ModbusRequest struct {
	Operation             string // canonical spelling from ModbusOperations
	Read                  bool   // a Read* operation
	Address               *int64
	ReadCount, WriteCount *int64
	Pos                   Pos // the Request
}

// HTTPRequest is the Request of a REST service's HttpGet/HttpPost.
type HTTPRequest struct {
	Method                                string // "GET" or "POST"
	URL, Auth, AWSServiceName             string // url is raw ($macro(...))
	HeaderParams, QueryParams, BodyParams []Param
	Pos, URLPos                           Pos
}

// LambdaRequest is the Request(arn:) of InvokeGreengrassLambda or
// InvokeCloudLambda; the request params are DeviceAction.RequestParams.
type LambdaRequest struct {
	Cloud  bool   // InvokeCloudLambda
	ARN    string // raw, may be a $macro(...)
	ARNPos Pos
}

// DeviceEvent is one Event(name:) block of an MQTT device.
type DeviceEvent struct {
	Name, Topic, PayloadProperty          string
	Pos                                   Pos
	NamePos, PayloadPropertyPos, TopicPos Pos
}

// Param is a param(name:, property:, value:) entry, or an action argument
// (Name + Value, the expression text). Pos is the entry (or argument);
// PropertyPos the property URN; ValuePos the value.
type Param struct {
	Name, Property, Value      string
	Pos, PropertyPos, ValuePos Pos
}

// Service is a `query ... @service` definition (REST or Lambda).
type Service struct {
	ID, Protocol, CapabilityID string // Protocol: "REST" or "AWSLAMBDA" (upper-cased block name)
	Actions                    []DeviceAction
	Pos                        Pos
	CapabilityName             string
	ProtocolPos, CapabilityPos Pos
}

// Mapping is a `query ... @mapping` definition [DOC
// ug:iot-tg-models-tdm-iot-mapping]. Mappings are stored and checked, not
// applied (spec §2.8).
type Mapping struct {
	ID, Name                    string
	From, To                    MappingEnd
	Forward, Reverse, Symmetric []MapEntry
	Pos                         Pos
}

// MappingEnd is `"<property URN> <alias>"`.
type MappingEnd struct {
	Property, Alias string
	Pos             Pos
}

// MapEntry is one map(expr: "source => target"). Source and Target are the
// raw halves; SourceExpr and TargetExpr are nil where a half does not
// parse with ParseExpr (the guide's mapping examples contain syntax
// errors), and Err says why.
type MapEntry struct {
	Expr                   string
	Source, Target         string
	SourceExpr, TargetExpr Expr
	Err                    *Error
	Pos                    Pos
}

// Flow is a `query ... @workflowType` definition.
type Flow struct {
	ID, Name  string
	Params    []FlowParam
	Variables []Variable
	Steps     []Step
	Pos       Pos
	// Directives holds the directives other than @workflowType, as
	// written (console exports: @triggers, @annotation).
	Directives []*Directive
	// TriggersDefinition is the text of a console @triggers(definition:).
	TriggersDefinition string
	Annotations        []Annotation
}

// Annotation is a console @annotation(type:, id:, x:, y:).
type Annotation struct {
	Type, ID string
	X, Y     float64
}

// Position is a console @position(x:, y:).
type Position struct{ X, Y float64 }

// FlowParam is one flow parameter.
type FlowParam struct {
	Name, Type string
	Default    *Value
	Pos        Pos
}

// Variable is one member of the flow's variables block.
type Variable struct {
	Name, Property   string
	Pos, PropertyPos Pos
}

// Step is one step(...) of a flow.
type Step struct {
	Name, Description, Condition string
	InEvents, OutEvents          []string
	Activity                     Activity
	Pos                          Pos
	OnError                      *OnError
	OnSuccess                    *OnSuccess
	Directives                   []*Directive // as written (@position)
	Position                     *Position
	// Positions: the name and condition values, each event name.
	NamePos, ConditionPos   Pos
	InEventPos, OutEventPos []Pos
}

// The Activity kinds Extract names; other blocks keep their name as
// written.
const (
	ActivityDevice     = "DEVICE"
	ActivityWebservice = "WEBSERVICE"
)

// Activity is the single activity block of a step.
type Activity struct {
	Kind        string // "DEVICE", "WEBSERVICE", or the block name as written ("ChoiceActivity")
	DeviceModel string
	DeviceID    string // expression naming the thing, e.g. "${camera}"
	Device      string // @device(id:) pinning a concrete device, if any
	Service     string
	Out         string
	Action      string
	Args        []Param // Name + Value (the expression text); Pos: the argument
	Pos         Pos
	// Choice is set for a ChoiceActivity.
	Choice *Choice
	// Positions: deviceModel, deviceId, @device id, webservice, out and
	// the action call.
	DeviceModelPos, DeviceIDPos, DevicePos, ServicePos, OutPos, ActionPos Pos
}

// IsChoice reports whether a is a ChoiceActivity.
func (a *Activity) IsChoice() bool { return a.Choice != nil }

// Choice is a console-exported ChoiceActivity [OBS ws:models/flows; DOC
// ug:iot-tg-workflows-choice-nodes].
type Choice struct {
	Title   string
	Rules   []ChoiceRule
	Default *ChoiceRule // nil when the default rule is missing
}

// ChoiceRule is rule(name:|title:, expr:) { setEvent(name:) }, or the
// default rule (no Expr).
type ChoiceRule struct {
	Name, Title, Expr string
	Parsed            Expr // nil when Expr is empty or does not parse
	SetEvent          string
	Pos, ExprPos      Pos
	SetEventPos       Pos
}

// OnError is a step's OnError { Retries { Retry(...) } Catches { Catch(...) } }
// [DOC ug:iot-tg-models-tdm-iot-workflow]; parsed and checked, executed by
// the runtime.
type OnError struct {
	Retries []Retry
	Catches []Catch
	Pos     Pos
}

// Retry is Retry(name:, errorEquals: [...] | condition:, interval:,
// backoffRate:, maxAttempts:) with AWS Step Functions semantics.
type Retry struct {
	Name        string
	ErrorEquals []string
	Condition   string
	Interval    string // as written
	BackoffRate *float64
	MaxAttempts *int64
	Pos         Pos
}

// Catch is Catch(name:, condition:, expr: | raiseEvent:).
type Catch struct {
	Name, Condition, Expr, RaiseEvent string
	Pos, RaiseEventPos                Pos
}

// OnSuccess is a step's OnSuccess { Check(name:, condition:) { OnPass {...}
// OnFail {...} } }.
type OnSuccess struct {
	Checks []SuccessCheck
	Pos    Pos
}

// SuccessCheck is one Check of OnSuccess.
type SuccessCheck struct {
	Name, Condition string
	OnPass, OnFail  *Branch
	Pos             Pos
}

// Branch is an OnPass or OnFail block: the events it raises
// (raiseEvent(name:) / setEvent(name:) or a raiseEvent: argument) and its
// fields as written.
type Branch struct {
	Events []string
	Fields []*Field
	Pos    Pos
}

// System is a `type ... @systemType` definition.
type System struct {
	ID, Description string
	Things          []Role
	Workflows       []Role
	Services        []Role
	Pos             Pos
	// Systems lists nested @system members.
	Systems    []Role
	Directives []*Directive
}

// Role is a system member: role name and the id it refers to.
type Role struct {
	Name, ID   string
	Pos, IDPos Pos
}

// Deployment is a `query ... @deployment` definition (flow configuration).
type Deployment struct {
	ID, SystemID string
	Bindings     []Binding
	Triggers     []Trigger
	Pos          Pos
	SystemIDPos  Pos
	Directives   []*Directive
}

// Binding binds a system role to a registry thing.
type Binding struct {
	Role, ThingName string
	Pos             Pos
}

// Trigger is one entry of a deployment's triggers block.
type Trigger struct {
	Name, Description, Condition string
	Actions                      []string
	Pos                          Pos
	// Interval is the period of an `every N unit` condition (0 otherwise).
	Interval time.Duration
	// ConditionExpr is the parsed event condition (nil for timers and
	// when it does not parse); ActionExprs the parsed actions (nil
	// entries where one does not parse). Positions are document positions.
	ConditionExpr Expr
	ActionExprs   []Expr
	ConditionPos  Pos
	ActionPos     []Pos
	Directives    []*Directive
	Position      *Position
}
