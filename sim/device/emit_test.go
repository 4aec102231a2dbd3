package device

import (
	"context"
	"strings"
	"testing"
)

// TestEmitUnknownEventListsEvents: the error for an event the device
// does not have names the ones it has.
func TestEmitUnknownEventListsEvents(t *testing.T) {
	for _, tc := range []struct {
		events []Event
		want   string
	}{
		{[]Event{{Name: "StateChanged"}, {Name: "Tamper"}}, `device S1 has no event "Moved" (its events: StateChanged, Tamper)`},
		{nil, `device S1 has no event "Moved" (its events: none)`},
	} {
		d := &Device{opts: Options{ThingName: "S1", Events: tc.events}}
		err := d.Emit(context.Background(), "Moved", nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Emit = %v, want %q", err, tc.want)
		}
	}
}
