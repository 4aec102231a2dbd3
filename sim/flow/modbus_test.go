package flow

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tgsim/tgsim/sim/tdm"
)

func TestModbusRegisterCodec(t *testing.T) {
	tests := []struct {
		name     string
		value    any
		property string
		regs     []int
		back     any // decodeRegisters of regs; nil: not checked
	}{
		{"bool", true, "urn:tdm:aws:Property:Boolean", []int{1}, true},
		{"int16 negative", -2.0, "urn:tdm:aws:Property:Int16", []int{0xfffe}, -2.0},
		{"uint16", 65535.0, "urn:tdm:aws:Property:UInt16", []int{0xffff}, 65535.0},
		{"int32 most significant first", 70000.0, "urn:tdm:aws:Property:Int32", []int{0x0001, 0x1170}, 70000.0},
		{"int64", -1.0, "urn:tdm:aws:Property:Int64", []int{0xffff, 0xffff, 0xffff, 0xffff}, -1.0},
		{"float32 by its bits", 1.5, "urn:tdm:aws:Property:Float32", []int{0x3fc0, 0x0000}, 1.5},
		{"float64", 2.0, "urn:tdm:aws:Property:Float64", []int{0x4000, 0, 0, 0}, 2.0},
		{"string two bytes per register, odd byte high", "abc", "urn:tdm:aws:Property:String", []int{0x6162, 0x6300}, "abc"},
		{"int8 list packs two per register", []any{1.0, 2.0, 3.0}, "urn:tdm:aws:Property:Int8", []int{0x0102, 0x0300}, nil},
		{"numeric string", "42", "urn:tdm:aws:Property:Int16", []int{42}, 42.0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			regs, err := encodeRegisters(tt.value, tt.property)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.regs, regs); diff != "" {
				t.Errorf("registers (-want +got):\n%s", diff)
			}
			if tt.back == nil {
				return
			}
			got, err := decodeRegisters(regs, tt.property)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.back, got); diff != "" {
				t.Errorf("decoded (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := encodeRegisters([]any{"a", "b"}, "urn:tdm:aws:Property:String"); err == nil || !strings.Contains(err.Error(), "lists of strings") {
		t.Errorf("list of strings: err = %v", err)
	}
	if _, err := decodeRegisters([]int{1}, "urn:tdm:aws:Property:Int32"); err == nil || !strings.Contains(err.Error(), "needs 2 registers") {
		t.Errorf("short read: err = %v", err)
	}
	if v, _ := decodeRegisters([]int{7, 8}, "urn:tdm:ns:property:Custom"); !cmp.Equal(v, []any{7.0, 8.0}) {
		t.Errorf("other property: %v", v)
	}
}

// fakeAdapter answers Modbus requests as the Greengrass adapter connector
// does, with a register bank per unit.
type fakeAdapter struct {
	mu       sync.Mutex
	rt       *Runtime
	regs     map[int]map[int64]int
	requests []map[string]any
	fail     string // answer every request with this status
}

func (a *fakeAdapter) publish(_ context.Context, topic string, payload []byte) error {
	if topic != ModbusRequestTopic {
		return nil
	}
	var m struct {
		Request map[string]any `json:"request"`
		ID      string         `json:"id"`
	}
	if err := json.Unmarshal(payload, &m); err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.requests = append(a.requests, m.Request)
	unit := int(m.Request["device"].(float64))
	addr := int64(m.Request["address"].(float64))
	if a.regs[unit] == nil {
		a.regs[unit] = map[int64]int{}
	}
	resp := map[string]any{"status": "success", "device": unit, "operation": m.Request["operation"]}
	if a.fail != "" {
		resp = map[string]any{"status": a.fail, "message": "CRC error"}
	}
	switch m.Request["operation"] {
	case "ReadHoldingRegistersRequest":
		var out []int
		for i := int64(0); i < int64(m.Request["count"].(float64)); i++ {
			out = append(out, a.regs[unit][addr+i])
		}
		resp["payload"] = map[string]any{"function_code": 3, "registers": out, "address": addr}
	case "WriteSingleRegisterRequest":
		a.regs[unit][addr] = int(m.Request["value"].(float64))
	}
	b, _ := json.Marshal(map[string]any{"response": resp, "id": m.ID})
	go a.rt.Handle(context.Background(), ModbusResponseTopic, b)
	return nil
}

func modbusPlan(t *testing.T) *Plan {
	t.Helper()
	p := testPlan(t, `{ query Pump($pump: String!) @workflowType(id: "urn:tdm:ns:workflow:Pump") {
  variables { level @property(id: "urn:tdm:aws:Property:Int16") }
  steps {
    step(name: "Read", outEvent: ["read"]) { DeviceActivity(deviceModel: "urn:tdm:ns:deviceModel:Pump", deviceId: "${pump}", out: "level") { getLevel } }
    step(name: "Write", inEvent: ["read"]) { DeviceActivity(deviceModel: "urn:tdm:ns:deviceModel:Pump", deviceId: "${pump}") { setLevel(level: "${level}") } }
  } } }`)
	addr0, addr4, one := int64(0), int64(4), int64(1)
	p.Devices["Pump1"] = &tdm.Device{ID: "urn:tdm:ns:device:ModbusPump", Protocol: "MODBUS", ServerID: "3", Actions: []tdm.DeviceAction{
		{Name: "getLevel", Operation: "ReadHoldingRegisters", ResponseProperty: "urn:tdm:aws:Property:Int16", HasResponse: true,
			Modbus: &tdm.ModbusRequest{Operation: "ReadHoldingRegisters", Read: true, Address: &addr0, ReadCount: &one}},
		{Name: "setLevel", Operation: "WriteSingleRegister", Params: []tdm.Param{{Name: "level", Property: "urn:tdm:aws:Property:Int16"}},
			RequestParams: []tdm.Param{{Name: "level", Property: "urn:tdm:aws:Property:Int16", Value: "${level.value}"}},
			Modbus:        &tdm.ModbusRequest{Operation: "WriteSingleRegister", Address: &addr4}},
	}}
	return p
}

// runPump runs the Pump flow once against the adapter and returns the
// ended execution.
func runPump(t *testing.T, a *fakeAdapter) Execution {
	t.Helper()
	p := modbusPlan(t)
	rt, err := New(Options{Plans: []*Plan{p}, Publish: a.publish, ActionTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	a.rt = rt
	t.Cleanup(func() { rt.Close() })
	if _, err := rt.startFlow(p, "Pump", []any{"Pump1"}, "T"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := rt.WaitExecutions(ctx, func(ex []Execution) bool { return len(ex) == 1 && ex[0].Status != StatusRunning }); err != nil {
		t.Fatal(err)
	}
	return rt.Executions()[0]
}

// TestModbusThroughTheAdapter: a flow reads a holding register and writes
// the value to another, through the adapter's topics, matched by id.
func TestModbusThroughTheAdapter(t *testing.T) {
	a := &fakeAdapter{regs: map[int]map[int64]int{3: {0: 0xfff6}}} // -10
	ex := runPump(t, a)
	if ex.Status != StatusSucceeded {
		t.Fatalf("status %s: %+v", ex.Status, ex.Messages[len(ex.Messages)-1])
	}
	if got := ex.Vars["level"]; got != -10.0 {
		t.Errorf("level = %v, want -10 (0xfff6 as Int16)", got)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	want := []map[string]any{
		{"operation": "ReadHoldingRegistersRequest", "device": 3.0, "address": 0.0, "count": 1.0},
		{"operation": "WriteSingleRegisterRequest", "device": 3.0, "address": 4.0, "value": 65526.0},
	}
	if diff := cmp.Diff(want, a.requests); diff != "" {
		t.Errorf("adapter requests (-want +got):\n%s", diff)
	}
	if a.regs[3][4] != 0xfff6 {
		t.Errorf("register 4 = %#x, want 0xfff6", a.regs[3][4])
	}
}

// TestModbusAdapterFailure: an adapter error fails the step with its
// status and message (States.TaskFailed, catchable).
func TestModbusAdapterFailure(t *testing.T) {
	a := &fakeAdapter{regs: map[int]map[int64]int{}, fail: "exception"}
	ex := runPump(t, a)
	last := ex.Messages[len(ex.Messages)-1]
	if ex.Status != StatusFailed || !strings.Contains(last.Payload, "the Modbus adapter answered ReadHoldingRegisters for thing Pump1: exception: CRC error") {
		t.Errorf("status %s, last message %s", ex.Status, last.Payload)
	}
}
