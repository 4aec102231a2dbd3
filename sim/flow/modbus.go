package flow

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/tgsim/tgsim/sim/tdm"
)

// Modbus devices are driven through the Greengrass Modbus-RTU Protocol
// Adapter connector [DOC ug:iot-tg-protocols-modbus, ug:iot-tg-greengrass]:
// the runtime publishes a JSON request on ModbusRequestTopic and reads
// the answer, matched by id, on ModbusResponseTopic. The logged exchange
// in the guide:
//
//	{"request":{"address":4,"count":1,"device":1,"operation":"ReadHoldingRegistersRequest"},"id":"<uuid>"}
//	{"response":{"status":"success","device":1,"operation":"ReadHoldingRegistersRequest",
//	  "payload":{"function_code":3,"registers":[0],"address":4}},"id":"<uuid>"}
//
// Values are encoded into coils and 16-bit registers, and decoded from
// them, by the table of ug:iot-tg-protocols-modbus (encodeModbus,
// decodeRegisters).
const (
	ModbusRequestTopic  = "modbus/adapter/request"
	ModbusResponseTopic = "modbus/adapter/response"
)

// awaitID registers interest in the Modbus response with this id.
func (r *Runtime) awaitID(id string) (<-chan []byte, func()) {
	ch := make(chan []byte, 1)
	r.mu.Lock()
	if r.byID == nil {
		r.byID = map[string]chan []byte{}
	}
	r.byID[id] = ch
	r.mu.Unlock()
	return ch, func() {
		r.mu.Lock()
		delete(r.byID, id)
		r.mu.Unlock()
	}
}

// handleModbusResponse hands a response to the action waiting for its id;
// false when no one waits (a late or foreign answer).
func (r *Runtime) handleModbusResponse(payload []byte) bool {
	var m struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(payload, &m) != nil || m.ID == "" {
		return false
	}
	r.mu.Lock()
	ch := r.byID[m.ID]
	delete(r.byID, m.ID)
	r.mu.Unlock()
	if ch == nil {
		return false
	}
	ch <- payload // buffered, never blocks
	return true
}

// runModbus performs one Modbus action through the adapter.
func (r *Runtime) runModbus(ctx context.Context, ex *Execution, st *tdm.Step, attempt int, thing string, dev *tdm.Device, da *tdm.DeviceAction, reqEnv *mapEnv) (any, map[string]any, error) {
	mb := da.Modbus
	unit, err := strconv.Atoi(dev.ServerID)
	if err != nil {
		return nil, nil, runtimeErr("device %s: Modbus serverId %q is not a number", dev.ID, dev.ServerID)
	}
	req := map[string]any{"operation": mb.Operation + "Request", "device": unit}
	if mb.Address != nil {
		req["address"] = *mb.Address
	}
	if mb.Read {
		count := int64(1)
		if mb.ReadCount != nil {
			count = *mb.ReadCount
		}
		req["count"] = count
	} else {
		var regs []int
		var coils []int
		for _, prm := range da.RequestParams {
			v, err := evalText(prm.Value, reqEnv)
			if err != nil {
				return nil, nil, runtimeErr("request param %s: %v", prm.Name, err)
			}
			if mb.Operation == "WriteSingleCoil" {
				c, err := encodeCoils(v)
				if err != nil {
					return nil, nil, runtimeErr("request param %s: %v", prm.Name, err)
				}
				coils = append(coils, c...)
				continue
			}
			rs, err := encodeRegisters(v, prm.Property)
			if err != nil {
				return nil, nil, runtimeErr("request param %s: %v", prm.Name, err)
			}
			regs = append(regs, rs...)
		}
		switch mb.Operation {
		case "WriteSingleCoil":
			if len(coils) != 1 {
				return nil, nil, runtimeErr("WriteSingleCoil writes one coil; the request params give %d", len(coils))
			}
			req["value"] = coils[0]
		case "WriteSingleRegister":
			if len(regs) != 1 {
				return nil, nil, runtimeErr("WriteSingleRegister writes one register; the request params give %d", len(regs))
			}
			req["value"] = regs[0]
		default: // WriteMultipleRegisters
			if mb.WriteCount != nil && int64(len(regs)) != *mb.WriteCount {
				return nil, nil, runtimeErr("%s declares WriteCount %d; the request params give %d registers", mb.Operation, *mb.WriteCount, len(regs))
			}
			req["values"] = regs
		}
	}
	id := r.opts.NewID()
	payload, _ := json.Marshal(map[string]any{"request": req, "id": id})
	answer, cancel := r.awaitID(id)
	defer cancel()
	info := map[string]any{"thing": thing, "action": da.Name, "modbus": mb.Operation}
	r.record(ex, "ACTIVITY_STARTED", map[string]any{"stepId": st.Name, "activity": st.Activity.Kind, "attempt": attempt, "thing": thing, "action": da.Name})
	r.record(ex, "THING_ACTION_TASK", map[string]any{"stepId": st.Name, "thing": thing, "action": da.Name, "topic": ModbusRequestTopic, "payload": string(payload)})
	if err := r.opts.Publish(ctx, ModbusRequestTopic, payload); err != nil {
		r.record(ex, "THING_ACTION_TASK_FAILED", map[string]any{"stepId": st.Name, "error": err.Error()})
		return nil, info, err
	}
	timer := time.NewTimer(r.opts.ActionTimeout)
	defer timer.Stop()
	var b []byte
	select {
	case b = <-answer:
	case <-timer.C:
		err := timeoutErr("the Modbus adapter did not answer %s for thing %s (unit %d) within %s", mb.Operation, thing, unit, r.opts.ActionTimeout)
		r.record(ex, "THING_ACTION_TASK_FAILED", map[string]any{"stepId": st.Name, "error": err.Error()})
		return nil, info, err
	case <-ctx.Done():
		return nil, info, ctx.Err()
	}
	var resp struct {
		Response struct {
			Status  string `json:"status"`
			Message string `json:"message"`
			Payload struct {
				Registers []int `json:"registers"`
				Bits      []any `json:"bits"`
			} `json:"payload"`
		} `json:"response"`
	}
	if err := json.Unmarshal(b, &resp); err != nil || resp.Response.Status != "success" {
		msg := resp.Response.Status
		if err != nil {
			msg = "unreadable response: " + err.Error()
		} else if resp.Response.Message != "" {
			msg += ": " + resp.Response.Message
		}
		err := taskErr("the Modbus adapter answered %s for thing %s: %s", mb.Operation, thing, msg)
		r.record(ex, "THING_ACTION_TASK_FAILED", map[string]any{"stepId": st.Name, "error": err.Error(), "payload": string(b)})
		return nil, info, err
	}
	r.record(ex, "THING_ACTION_TASK_SUCCEEDED", map[string]any{"stepId": st.Name, "topic": ModbusResponseTopic, "payload": string(b)})
	r.record(ex, "ACKNOWLEDGE_TASK_MESSAGE", map[string]any{"stepId": st.Name})
	if !mb.Read || !da.HasResponse {
		return nil, info, nil
	}
	p := resp.Response.Payload
	if mb.Operation == "ReadCoils" || mb.Operation == "ReadDiscreteInputs" {
		out := make([]bool, len(p.Bits))
		for i, x := range p.Bits {
			switch v := x.(type) {
			case bool:
				out[i] = v
			case float64:
				out[i] = v != 0
			}
		}
		if len(out) == 1 {
			return out[0], info, nil
		}
		return out, info, nil
	}
	v, err := decodeRegisters(p.Registers, da.ResponseProperty)
	if err != nil {
		err = taskErr("decoding %s of thing %s: %v", mb.Operation, thing, err)
		return nil, info, err
	}
	return v, info, nil
}

// propertyType is the primitive a property URN names (Int16, Float32, ...),
// lower-case; "" for other properties.
func propertyType(urn string) string {
	if !strings.HasPrefix(strings.ToLower(urn), "urn:tdm:aws:property:") {
		return ""
	}
	return strings.ToLower(urn[len("urn:tdm:aws:property:"):])
}

// encodeCoils turns a value into coils: booleans as 0/1, numbers as 0 if
// zero else 1, lists element by element.
func encodeCoils(v any) ([]int, error) {
	switch x := v.(type) {
	case bool:
		if x {
			return []int{1}, nil
		}
		return []int{0}, nil
	case float64:
		if x != 0 {
			return []int{1}, nil
		}
		return []int{0}, nil
	case string:
		b, err := strconv.ParseBool(x)
		if err != nil {
			return nil, fmt.Errorf("%q is not a coil value (true/false or a number)", x)
		}
		return encodeCoils(b)
	case []any:
		var out []int
		for _, e := range x {
			c, err := encodeCoils(e)
			if err != nil {
				return nil, err
			}
			out = append(out, c...)
		}
		return out, nil
	}
	return nil, fmt.Errorf("a %T cannot be written to coils", v)
}

// encodeRegisters turns a value of a property type into 16-bit registers
// [DOC ug:iot-tg-protocols-modbus]: booleans one each; 8-bit integers two
// per register (an odd last one in the high byte); 16-bit one; 32-bit two
// and 64-bit four, most significant first; floats by their IEEE bits;
// strings as UTF-8 bytes two per register, an odd last byte in the high
// byte. Lists encode element by element (not lists of strings).
func encodeRegisters(v any, property string) ([]int, error) {
	if list, ok := v.([]any); ok {
		var bytes8 []int
		var out []int
		for _, e := range list {
			if _, isStr := e.(string); isStr {
				return nil, fmt.Errorf("lists of strings cannot be written to registers")
			}
			rs, err := encodeRegisters(e, property)
			if err != nil {
				return nil, err
			}
			if t := propertyType(property); t == "int8" || t == "uint8" {
				bytes8 = append(bytes8, rs[0]>>8)
				continue
			}
			out = append(out, rs...)
		}
		if bytes8 != nil {
			return packBytes(bytes8), nil
		}
		return out, nil
	}
	t := propertyType(property)
	if s, ok := v.(string); ok && t != "string" {
		f, err := strconv.ParseFloat(s, 64)
		if b, berr := strconv.ParseBool(s); berr == nil && (t == "boolean" || t == "bool") {
			v = b
		} else if err != nil {
			return nil, fmt.Errorf("%q is not a %s", s, property)
		} else {
			v = f
		}
	}
	switch x := v.(type) {
	case bool:
		if x {
			return []int{1}, nil
		}
		return []int{0}, nil
	case string:
		b := []byte(x)
		out := make([]int, len(b))
		for i, c := range b {
			out[i] = int(c)
		}
		return packBytes(out), nil
	case float64:
		switch t {
		case "int8", "uint8":
			return []int{(int(int8(int64(x))) & 0xff) << 8}, nil
		case "int32", "uint32":
			u := uint32(int64(x))
			return []int{int(u >> 16), int(u & 0xffff)}, nil
		case "int64", "uint64", "long":
			u := uint64(int64(x))
			return []int{int(u >> 48), int(u >> 32 & 0xffff), int(u >> 16 & 0xffff), int(u & 0xffff)}, nil
		case "float32", "float":
			u := math.Float32bits(float32(x))
			return []int{int(u >> 16), int(u & 0xffff)}, nil
		case "float64", "double":
			u := math.Float64bits(x)
			return []int{int(u >> 48), int(u >> 32 & 0xffff), int(u >> 16 & 0xffff), int(u & 0xffff)}, nil
		default: // Int16, UInt16, and untyped numbers
			return []int{int(uint16(int64(x)))}, nil
		}
	}
	return nil, fmt.Errorf("a %T cannot be written to registers", v)
}

// packBytes puts bytes two per register, high byte first.
func packBytes(b []int) []int {
	var out []int
	for i := 0; i < len(b); i += 2 {
		hi := b[i] & 0xff
		lo := 0
		if i+1 < len(b) {
			lo = b[i+1] & 0xff
		}
		out = append(out, hi<<8|lo)
	}
	return out
}

// decodeRegisters reads a value of the property type from registers, the
// inverse of encodeRegisters; other properties get the registers as a list.
func decodeRegisters(regs []int, property string) (any, error) {
	need := func(n int) error {
		if len(regs) < n {
			return fmt.Errorf("%s needs %d registers, the adapter returned %d", property, n, len(regs))
		}
		return nil
	}
	u := func(n int) uint64 {
		var x uint64
		for _, r := range regs[:n] {
			x = x<<16 | uint64(uint16(r))
		}
		return x
	}
	switch propertyType(property) {
	case "boolean", "bool":
		if err := need(1); err != nil {
			return nil, err
		}
		return regs[0] != 0, nil
	case "int16":
		if err := need(1); err != nil {
			return nil, err
		}
		return float64(int16(uint16(regs[0]))), nil
	case "uint16":
		if err := need(1); err != nil {
			return nil, err
		}
		return float64(uint16(regs[0])), nil
	case "int8":
		if err := need(1); err != nil {
			return nil, err
		}
		return float64(int8(uint16(regs[0]) >> 8)), nil
	case "uint8":
		if err := need(1); err != nil {
			return nil, err
		}
		return float64(uint8(uint16(regs[0]) >> 8)), nil
	case "int32":
		if err := need(2); err != nil {
			return nil, err
		}
		return float64(int32(uint32(u(2)))), nil
	case "uint32":
		if err := need(2); err != nil {
			return nil, err
		}
		return float64(uint32(u(2))), nil
	case "int64", "long":
		if err := need(4); err != nil {
			return nil, err
		}
		return float64(int64(u(4))), nil
	case "uint64":
		if err := need(4); err != nil {
			return nil, err
		}
		return float64(u(4)), nil
	case "float32", "float":
		if err := need(2); err != nil {
			return nil, err
		}
		return float64(math.Float32frombits(uint32(u(2)))), nil
	case "float64", "double":
		if err := need(4); err != nil {
			return nil, err
		}
		return math.Float64frombits(u(4)), nil
	case "string":
		var b []byte
		for _, r := range regs {
			b = append(b, byte(uint16(r)>>8), byte(r))
		}
		return strings.TrimRight(string(b), "\x00"), nil
	}
	out := make([]any, len(regs))
	for i, r := range regs {
		out[i] = float64(r)
	}
	return out, nil
}
