package tdm

import (
	"strings"
	"testing"
)

func TestExpandMacro(t *testing.T) {
	vars := map[string]string{"systemRuntime.deviceId": "Room215Camera", "ip.value": "1.2.3.4", "systemConfig.awsRegion": "us-east-1"}
	lookup := func(p string) (string, bool) { v, ok := vars[p]; return v, ok }
	tests := []struct{ name, src, want, err string }{
		{"macro wrapper", "$macro(${systemRuntime.deviceId}/capture)", "Room215Camera/capture", ""},
		{"macro without dollar", "macro(${systemRuntime.deviceId}/capture/finished)", "Room215Camera/capture/finished", ""},
		{"no wrapper", "${systemRuntime.deviceId}/motion", "Room215Camera/motion", ""},
		{"literal", "modbus/adapter/request", "modbus/adapter/request", ""},
		{"json body", `$macro({"ip":"${ip.value}"})`, `{"ip":"1.2.3.4"}`, ""},
		{"url", "$macro(https://svc.${ systemConfig.awsRegion }.amazonaws.com)", "https://svc.us-east-1.amazonaws.com", ""},
		{"unknown path", "$macro(${nope}/x)", "", `macro "$macro(${nope}/x)": unknown variable ${nope}`},
		{"unclosed wrapper", "$macro(${systemRuntime.deviceId}/x", "", `macro "$macro(${systemRuntime.deviceId}/x": $macro( is not closed; expected ')' at the end`},
		{"unclosed placeholder", "$macro(${systemRuntime.deviceId/x)", "", `macro "$macro(${systemRuntime.deviceId/x)": ${ is not closed; expected '}'`},
		{"empty placeholder", "a${}b", "", `macro "a${}b": empty ${}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ExpandMacro(tt.src, lookup)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Errorf("ExpandMacro(%q) = %q, %v; want error %q", tt.src, got, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ExpandMacro(%q) = %q, %v; want %q", tt.src, got, err, tt.want)
			}
		})
	}
}

func TestParseURN(t *testing.T) {
	tests := []struct {
		name, src string
		want      URN
		err       string
	}{
		{"public", "urn:tdm:aws/examples:deviceModel:Camera", URN{"aws/examples", "deviceModel", "Camera"}, ""},
		{"account", "urn:tdm:us-east-1/000000000000/default:Workflow:SecurityFlow", URN{"us-east-1/000000000000/default", "Workflow", "SecurityFlow"}, ""},
		{"gov region", "urn:tdm:us-gov-west-1/1/default/devices:device:a/b_c", URN{"us-gov-west-1/1/default/devices", "device", "a/b_c"}, ""},
		{"empty metatype allowed by pattern", "urn:tdm:aws::x", URN{"aws", "", "x"}, ""},
		{"prefix", "urn:xyz:aws:property:A", URN{}, `urn "urn:xyz:aws:property:A" must start with "urn:tdm:"`},
		{"parts", "urn:tdm:aws:property", URN{}, `urn "urn:tdm:aws:property" must have the form urn:tdm:<namespace>:<metatype>:<name>`},
		{"space in account", "urn:tdm:REGION/ACCOUNT ID/default:System:S", URN{}, `urn "urn:tdm:REGION/ACCOUNT ID/default:System:S": namespace "REGION/ACCOUNT ID/default" must be REGION/ACCOUNT/name or /-separated names of letters, digits and underscores`},
		{"region alone", "urn:tdm:us-east-1/000:device:D", URN{}, `urn "urn:tdm:us-east-1/000:device:D": namespace "us-east-1/000" must be REGION/ACCOUNT/name or /-separated names of letters, digits and underscores`},
		{"digit metatype", "urn:tdm:aws:prop1:A", URN{}, `urn "urn:tdm:aws:prop1:A": metatype "prop1" may contain letters only`},
		{"dot in name", "urn:tdm:aws:property:a.b", URN{}, `urn "urn:tdm:aws:property:a.b": name "a.b" must be /-separated segments of letters, digits and underscores`},
		{"empty segment", "urn:tdm:aws:property:a//b", URN{}, `urn "urn:tdm:aws:property:a//b": name "a//b" must be /-separated segments of letters, digits and underscores`},
		{"too long", "urn:tdm:aws:property:" + strings.Repeat("a", 140), URN{}, `urn "urn:tdm:aws:property:` + strings.Repeat("a", 140) + `" is 161 characters long; the maximum is 160`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseURN(tt.src)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Errorf("ParseURN(%q) = %v, %v; want error %q", tt.src, got, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ParseURN(%q) = %v, %v; want %v", tt.src, got, err, tt.want)
			}
			if got.String() != tt.src {
				t.Errorf("ParseURN(%q).String() = %q", tt.src, got.String())
			}
		})
	}
}

func TestKeyAndSameURN(t *testing.T) {
	tests := []struct {
		name, a, b string
		same       bool
	}{
		{"metatype case", "urn:tdm:aws/examples:Device:X", "urn:tdm:aws/examples:device:X", true},
		{"name case", "urn:tdm:aws/examples:device:X", "urn:tdm:aws/examples:device:x", false},
		{"namespace case", "urn:tdm:AWS:device:X", "urn:tdm:aws:device:X", false},
		{"not urns", "abc", "abc", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SameURN(tt.a, tt.b); got != tt.same {
				t.Errorf("SameURN(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.same)
			}
		})
	}
	if got, want := Key("urn:tdm:us-east-1/0/default:DeviceModel:Cam"), "urn:tdm:us-east-1/0/default:devicemodel:Cam"; got != want {
		t.Errorf("Key = %q, want %q", got, want)
	}
}
