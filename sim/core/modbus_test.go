package core

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"
)

type captureFn struct {
	mu  sync.Mutex
	got []Message
}

func (f *captureFn) Handle(_ context.Context, m Message) {
	f.mu.Lock()
	f.got = append(f.got, m)
	f.mu.Unlock()
}

func (f *captureFn) Close() error { return nil }

func (f *captureFn) wait(t *testing.T, n int) []Message {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		f.mu.Lock()
		if len(f.got) >= n {
			out := append([]Message(nil), f.got...)
			f.mu.Unlock()
			return out
		}
		f.mu.Unlock()
	}
	t.Fatalf("waited for %d messages, have %d", n, len(f.got))
	return nil
}

// TestModbusAdapter: the simulated adapter connector answers the runtime's
// requests from its ARN, by the subscription table, and keeps register
// values.
func TestModbusAdapter(t *testing.T) {
	c, _ := startTestCore(t)
	const adapter = "arn:aws:greengrass:us-east-1::/connectors/ModbusRTUProtocolAdapter/versions/1"
	const tg = "arn:aws:lambda:us-east-1:000000000000:function:ThingsGraphRuntime:1"
	tab, err := NewTable([]Route{
		{ID: "1", Source: tg, Subject: "modbus/adapter/request", Target: adapter},
		{ID: "2", Source: adapter, Subject: "modbus/adapter/response", Target: tg},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.table.Store(tab)
	fn := &captureFn{}
	c.funcs.Store(&functionSet{byARN: map[string]*hostedFunction{
		tg:      startHosted(tg, fn, 10),
		adapter: startHosted(adapter, &modbusAdapter{bank: &c.modbus, publish: func(topic string, p []byte) error { return c.publishFrom(adapter, topic, p) }}, 10),
	}})
	c.SetModbusRegister(3, 0, 0xfff6)
	send := func(req string) {
		t.Helper()
		if err := c.publishFrom(tg, "modbus/adapter/request", []byte(req)); err != nil {
			t.Fatal(err)
		}
	}
	send(`{"request":{"operation":"ReadHoldingRegistersRequest","device":3,"address":0,"count":2},"id":"a"}`)
	send(`{"request":{"operation":"WriteSingleRegisterRequest","device":3,"address":4,"value":42},"id":"b"}`)
	send(`{"request":{"operation":"Teleport","device":3},"id":"c"}`)
	got := fn.wait(t, 3)
	type resp struct {
		Response struct {
			Status  string
			Payload struct {
				FunctionCode int   `json:"function_code"`
				Registers    []int `json:"registers"`
			}
		}
		ID string
	}
	var rs []resp
	for _, m := range got {
		if m.Topic != "modbus/adapter/response" || m.Source != adapter {
			t.Errorf("message %s from %s, want the adapter's response", m.Topic, m.Source)
		}
		var r resp
		if err := json.Unmarshal(m.Payload, &r); err != nil {
			t.Fatal(err)
		}
		rs = append(rs, r)
	}
	if rs[0].ID != "a" || rs[0].Response.Status != "success" || rs[0].Response.Payload.FunctionCode != 3 ||
		len(rs[0].Response.Payload.Registers) != 2 || rs[0].Response.Payload.Registers[0] != 0xfff6 {
		t.Errorf("read answer = %+v", rs[0])
	}
	if rs[1].ID != "b" || rs[1].Response.Status != "success" || c.ModbusRegister(3, 4) != 42 {
		t.Errorf("write answer = %+v, register 4 = %d", rs[1], c.ModbusRegister(3, 4))
	}
	if rs[2].ID != "c" || rs[2].Response.Status != "fail" {
		t.Errorf("unknown operation answer = %+v", rs[2])
	}
}
