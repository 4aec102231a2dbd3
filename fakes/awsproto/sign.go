package awsproto

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// DoSigned sends a SigV4-signed request for one of tgsim's own routes (the
// core's deployment channel, the runtime's execution reports): what an SDK
// client would send, for paths no SDK knows. body may be nil.
func DoSigned(ctx context.Context, cfg aws.Config, method, url, service string, body []byte) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if cfg.Credentials == nil {
		return nil, fmt.Errorf("signing %s %s: no credentials", method, url)
	}
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return nil, fmt.Errorf("signing %s %s: %w", method, url, err)
	}
	sum := sha256.Sum256(body)
	region := cfg.Region
	if region == "" {
		region = "us-east-1"
	}
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), service, region, time.Now()); err != nil {
		return nil, err
	}
	client := http.DefaultClient
	if hc, ok := cfg.HTTPClient.(*http.Client); ok && hc != nil {
		client = hc
	}
	return client.Do(req)
}
