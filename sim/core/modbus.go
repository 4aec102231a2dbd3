package core

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
)

// The Modbus-RTU Protocol Adapter connector, simulated [DOC
// ug:iot-tg-protocols-modbus; AWS: Greengrass v1 developer guide,
// "Modbus-RTU Protocol Adapter connector"]: a group whose connector
// definition has it gets an adapter hosted under the connector's ARN. It
// takes JSON requests routed to it (modbus/adapter/request), applies them
// to the core's simulated Modbus units, and answers on
// modbus/adapter/response from the connector's ARN, so subscriptions
// decide who hears it. The units' coils and registers start at zero and
// keep their values across deployments (SetModbusRegister, ModbusRegister).

const modbusResponseTopic = "modbus/adapter/response"

// isModbusAdapter reports whether a connector ARN is the Modbus-RTU
// Protocol Adapter (any version).
func isModbusAdapter(arn string) bool {
	return strings.Contains(arn, "/connectors/ModbusRTUProtocolAdapter/versions/")
}

// modbusBank is the simulated units' memory: registers (holding and input
// share one space [INF]) and coils (coils and discrete inputs share one).
type modbusBank struct {
	mu    sync.Mutex
	regs  map[int]map[int]uint16
	coils map[int]map[int]bool
}

func (b *modbusBank) reg(unit, addr int) uint16 {
	return b.regs[unit][addr]
}

func (b *modbusBank) setReg(unit, addr int, v uint16) {
	if b.regs == nil {
		b.regs = map[int]map[int]uint16{}
	}
	if b.regs[unit] == nil {
		b.regs[unit] = map[int]uint16{}
	}
	b.regs[unit][addr] = v
}

func (b *modbusBank) setCoil(unit, addr int, v bool) {
	if b.coils == nil {
		b.coils = map[int]map[int]bool{}
	}
	if b.coils[unit] == nil {
		b.coils[unit] = map[int]bool{}
	}
	b.coils[unit][addr] = v
}

// SetModbusRegister sets a simulated unit's register (a scenario's or a
// test's sensor reading).
func (c *Core) SetModbusRegister(unit, addr int, v uint16) {
	c.modbus.mu.Lock()
	defer c.modbus.mu.Unlock()
	c.modbus.setReg(unit, addr, v)
}

// ModbusRegister reads a simulated unit's register.
func (c *Core) ModbusRegister(unit, addr int) uint16 {
	c.modbus.mu.Lock()
	defer c.modbus.mu.Unlock()
	return c.modbus.reg(unit, addr)
}

// modbusAdapter is the hosted connector.
type modbusAdapter struct {
	bank    *modbusBank
	publish func(topic string, payload []byte) error
}

var modbusFunctionCodes = map[string]int{
	"ReadCoilsRequest": 1, "ReadDiscreteInputsRequest": 2, "ReadHoldingRegistersRequest": 3, "ReadInputRegistersRequest": 4,
	"WriteSingleCoilRequest": 5, "WriteSingleRegisterRequest": 6, "WriteMultipleCoilsRequest": 15, "WriteMultipleRegistersRequest": 16,
}

func (a *modbusAdapter) Handle(_ context.Context, m Message) {
	var req struct {
		Request struct {
			Operation string `json:"operation"`
			Device    int    `json:"device"`
			Address   int    `json:"address"`
			Count     int    `json:"count"`
			Value     *int   `json:"value"`
			Values    []int  `json:"values"`
		} `json:"request"`
		ID string `json:"id"`
	}
	if err := json.Unmarshal(m.Payload, &req); err != nil {
		a.answer(map[string]any{"status": "fail", "message": "request is not JSON: " + err.Error()}, "")
		return
	}
	r := req.Request
	fc, ok := modbusFunctionCodes[r.Operation]
	if !ok {
		a.answer(map[string]any{"status": "fail", "device": r.Device, "operation": r.Operation, "message": "unknown operation " + r.Operation}, req.ID)
		return
	}
	payload := map[string]any{"function_code": fc, "address": r.Address}
	a.bank.mu.Lock()
	switch r.Operation {
	case "ReadCoilsRequest", "ReadDiscreteInputsRequest":
		bits := make([]bool, max(r.Count, 1))
		for i := range bits {
			bits[i] = a.bank.coils[r.Device][r.Address+i]
		}
		payload["bits"] = bits
	case "ReadHoldingRegistersRequest", "ReadInputRegistersRequest":
		regs := make([]int, max(r.Count, 1))
		for i := range regs {
			regs[i] = int(a.bank.reg(r.Device, r.Address+i))
		}
		payload["registers"] = regs
	case "WriteSingleCoilRequest":
		a.bank.setCoil(r.Device, r.Address, r.Value != nil && *r.Value != 0)
		payload["value"] = r.Value
	case "WriteSingleRegisterRequest":
		if r.Value != nil {
			a.bank.setReg(r.Device, r.Address, uint16(*r.Value))
		}
		payload["value"] = r.Value
	case "WriteMultipleCoilsRequest":
		for i, v := range r.Values {
			a.bank.setCoil(r.Device, r.Address+i, v != 0)
		}
		payload["quantity"] = len(r.Values)
	case "WriteMultipleRegistersRequest":
		for i, v := range r.Values {
			a.bank.setReg(r.Device, r.Address+i, uint16(v))
		}
		payload["quantity"] = len(r.Values)
	}
	a.bank.mu.Unlock()
	a.answer(map[string]any{"status": "success", "device": r.Device, "operation": r.Operation, "payload": payload}, req.ID)
}

func (a *modbusAdapter) answer(resp map[string]any, id string) {
	b, _ := json.Marshal(map[string]any{"response": resp, "id": id})
	_ = a.publish(modbusResponseTopic, b)
}

func (a *modbusAdapter) Close() error { return nil }
