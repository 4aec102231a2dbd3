package awsproto

import (
	"fmt"
	"strings"
)

// ARN is an Amazon Resource Name: arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE.
type ARN struct {
	Partition, Service, Region, Account, Resource string
}

// ParseARN splits s into its six fields. The resource part may itself hold
// colons. AWS: "Amazon Resource Names (ARNs)", IAM user guide.
func ParseARN(s string) (ARN, error) {
	if !strings.HasPrefix(s, "arn:") {
		return ARN{}, fmt.Errorf("arn %q: must start with \"arn:\"", s)
	}
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 {
		return ARN{}, fmt.Errorf("arn %q: expected 6 colon-separated fields arn:partition:service:region:account:resource, found %d", s, len(parts))
	}
	a := ARN{Partition: parts[1], Service: parts[2], Region: parts[3], Account: parts[4], Resource: parts[5]}
	switch {
	case a.Partition == "":
		return ARN{}, fmt.Errorf("arn %q: partition is empty", s)
	case a.Service == "":
		return ARN{}, fmt.Errorf("arn %q: service is empty", s)
	case a.Resource == "":
		return ARN{}, fmt.Errorf("arn %q: resource is empty", s)
	}
	return a, nil
}

func (a ARN) String() string {
	return "arn:" + a.Partition + ":" + a.Service + ":" + a.Region + ":" + a.Account + ":" + a.Resource
}
