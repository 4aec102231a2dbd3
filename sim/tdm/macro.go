package tdm

import (
	"fmt"
	"strings"
	"time"
)

// ExpandMacro expands a topic or value template: an optional $macro( ... )
// or macro( ... ) wrapper around text in which each ${path} is replaced by
// lookup(path) [DOC ug:iot-tg-protocols-mqtt, iot-tg-models-tdm-expressions].
// Text without a wrapper is expanded the same way (the guide once writes
// ${systemRuntime.deviceId} without it). An unknown path, an unclosed ${ or
// a wrapper without its closing ')' is an error.
func ExpandMacro(s string, lookup func(path string) (string, bool)) (string, error) {
	body := s
	t := strings.TrimSpace(s)
	for _, pre := range []string{"$macro(", "macro("} {
		if len(t) >= len(pre) && strings.EqualFold(t[:len(pre)], pre) {
			if !strings.HasSuffix(t, ")") {
				return "", fmt.Errorf("macro %q: %s is not closed; expected ')' at the end", s, t[:len(pre)])
			}
			body = t[len(pre) : len(t)-1]
			break
		}
	}
	var b strings.Builder
	for {
		i := strings.Index(body, "${")
		if i < 0 {
			b.WriteString(body)
			return b.String(), nil
		}
		b.WriteString(body[:i])
		depth, j := 1, i+2
		for ; j < len(body) && depth > 0; j++ {
			switch body[j] {
			case '{':
				depth++
			case '}':
				depth--
			}
		}
		if depth > 0 {
			return "", fmt.Errorf("macro %q: ${ is not closed; expected '}'", s)
		}
		path := strings.TrimSpace(body[i+2 : j-1])
		if path == "" {
			return "", fmt.Errorf("macro %q: empty ${}", s)
		}
		var v string
		ok := false
		if lookup != nil {
			v, ok = lookup(path)
		}
		if !ok {
			return "", fmt.Errorf("macro %q: unknown variable ${%s}", s, path)
		}
		b.WriteString(v)
		body = body[j:]
	}
}

// ParseEvery parses a time trigger condition `every N unit` with unit one of
// seconds, minutes, hours, days, weeks, months, years (singular accepted,
// case-insensitive) [DOC ug:iot-tg-models-tdm-iot-trigger]. N must be a
// positive integer.
//
// Divergence: a month is 30 days and a year 365 days; TG's calendar
// arithmetic is undocumented.
func ParseEvery(s string) (time.Duration, bool) {
	f := strings.Fields(s)
	if len(f) != 3 || !strings.EqualFold(f[0], "every") || !isDigits(f[1]) || len(f[1]) > 12 {
		return 0, false
	}
	n := time.Duration(0)
	for i := 0; i < len(f[1]); i++ {
		n = n*10 + time.Duration(f[1][i]-'0')
	}
	if n <= 0 {
		return 0, false
	}
	day := 24 * time.Hour
	var unit time.Duration
	switch strings.TrimSuffix(strings.ToLower(f[2]), "s") {
	case "second":
		unit = time.Second
	case "minute":
		unit = time.Minute
	case "hour":
		unit = time.Hour
	case "day":
		unit = day
	case "week":
		unit = 7 * day
	case "month":
		unit = 30 * day
	case "year":
		unit = 365 * day
	default:
		return 0, false
	}
	if n > (1<<63-1)/unit {
		return 0, false
	}
	return n * unit, true
}
