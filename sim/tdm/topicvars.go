package tdm

import (
	"fmt"
	"strings"
)

// TopicVariables is what a device definition's MQTT topic may contain,
// said the way errors say it: the runtime expands these per bound thing
// and nothing else [DOC ug:iot-tg-protocols-mqtt].
const TopicVariables = "${systemRuntime.deviceId} (the thing's name), ${systemConfig.awsRegion} or ${systemConfig.awsAccountId}"

// TopicLookup resolves a topic's ${...} paths for one bound thing.
func TopicLookup(thing, region, account string) func(path string) (string, bool) {
	return func(path string) (string, bool) {
		switch strings.ToLower(path) {
		case "systemruntime.deviceid":
			return thing, true
		case "systemconfig.awsregion":
			return region, true
		case "systemconfig.awsaccountid", "systemconfig.accountid":
			return account, true
		}
		return "", false
	}
}

// ExpandTopic expands a device definition's topic for one bound thing; an
// unknown variable's error names the ones that exist.
func ExpandTopic(raw, thing, region, account string) (string, error) {
	s, err := ExpandMacro(raw, TopicLookup(thing, region, account))
	if err != nil {
		return "", fmt.Errorf("%w; a topic may use %s", err, TopicVariables)
	}
	return s, nil
}

// topicVars checks, at upload, that a device topic expands for any thing:
// a variable the runtime cannot resolve would otherwise pass every check
// and fail only at DeploySystemInstance.
func (c *checker) topicVars(id, text string, at Pos, what string) {
	if text == "" {
		return
	}
	if _, err := ExpandMacro(text, func(string) (string, bool) { return "", true }); err != nil {
		c.errorf(at, id, "%s: %v", what, err) // the ${...} shape itself
		return
	}
	known := TopicLookup("", "", "")
	for i := 0; ; {
		j := strings.Index(text[i:], "${")
		if j < 0 {
			return
		}
		j += i
		k := j + 2 + strings.IndexByte(text[j+2:], '}')
		path := strings.TrimSpace(text[j+2 : k])
		if _, ok := known(path); !ok {
			c.errorf(offsetPos(at, text, j+2), id, "%s: unknown variable ${%s}; a topic may use %s", what, path, TopicVariables)
		}
		i = k + 1
	}
}
