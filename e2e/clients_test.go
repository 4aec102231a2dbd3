package e2e_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tgsim/tgsim/sim/harness"
)

const scenarioTimeout = 90 * time.Second

// awsCLIs finds every distinct aws CLI on PATH, one per major version
// (the image has v1 from pip, Debian's awscli package is v2).
func awsCLIs() map[string]string {
	out := map[string]string{}
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		p := filepath.Join(dir, "aws")
		if st, err := os.Stat(p); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
			continue
		}
		v, err := exec.Command(p, "--version").CombinedOutput()
		if err != nil {
			continue
		}
		major, _, _ := strings.Cut(strings.TrimPrefix(strings.Fields(string(v))[0], "aws-cli/"), ".")
		if _, seen := out["v"+major]; !seen {
			out["v"+major] = p
		}
	}
	return out
}

// awsCLI runs one aws CLI against the harness, with the root credentials
// unless creds (access key id, secret[, session token]) are given.
func awsCLI(ctx context.Context, bin string, h *harness.Harness, creds []string, args ...string) (stdout, stderr string, code int) {
	id, secret := h.Credentials()
	token := ""
	if len(creds) >= 2 {
		id, secret = creds[0], creds[1]
	}
	if len(creds) == 3 {
		token = creds[2]
	}
	cmd := exec.CommandContext(ctx, bin, append([]string{"--endpoint-url", h.URL, "--output", "json"}, args...)...)
	cmd.Env = append(os.Environ(),
		"AWS_ACCESS_KEY_ID="+id, "AWS_SECRET_ACCESS_KEY="+secret, "AWS_SESSION_TOKEN="+token, "AWS_DEFAULT_REGION="+h.Region(),
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER=")
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	code = 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		Fail("running aws: " + err.Error())
	}
	return o.String(), e.String(), code
}

var _ = Describe("real clients against tgsim up", Label("clients"), Ordered, func() {
	var h *harness.Harness

	BeforeAll(func() {
		var err error
		h, err = harness.Start(harness.Options{})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { Expect(h.Close()).To(Succeed()) })
	})

	It("answers the health check with JSON", func() {
		resp, err := http.Get(h.URL + "/_tgsim/health")
		Expect(err).NotTo(HaveOccurred())
		defer resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(http.StatusOK))
		var body map[string]any
		Expect(json.NewDecoder(resp.Body).Decode(&body)).To(Succeed())
		Expect(body).To(HaveKeyWithValue("status", "ok"))
	})

	// signed builds a Things Graph request signed with the root credentials
	// (or, with secret set, with a wrong secret).
	signed := func(target, secret string) *http.Request {
		body := "{}"
		req, _ := http.NewRequest(http.MethodPost, h.URL+"/", strings.NewReader(body))
		req.Header.Set("X-Amz-Target", target)
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		id, sec := h.Credentials()
		if secret != "" {
			sec = secret
		}
		sum := sha256.Sum256([]byte(body))
		err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: id, SecretAccessKey: sec}, req,
			hex.EncodeToString(sum[:]), "iotthingsgraph", h.Region(), time.Now())
		Expect(err).NotTo(HaveOccurred())
		return req
	}

	It("refuses a wrong signature in AWS shape and keeps serving", func() {
		resp, err := http.DefaultClient.Do(signed("IotThingsGraphFrontEndService.GetUploadStatus", "not-the-secret"))
		Expect(err).NotTo(HaveOccurred())
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(http.StatusBadRequest))
		Expect(resp.Header.Get("X-Amzn-Errortype")).To(Equal("InvalidSignatureException"))
		Expect(string(b)).To(ContainSubstring("The request signature we calculated does not match the signature you provided"))
		Expect(string(b)).NotTo(ContainSubstring("not-the-secret"))
	})

	It("answers an unknown Things Graph operation in AWS shape and keeps serving", func() {
		resp, err := http.DefaultClient.Do(signed("IotThingsGraphFrontEndService.FlyToTheMoon", ""))
		Expect(err).NotTo(HaveOccurred())
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(http.StatusBadRequest))
		Expect(resp.Header.Get("X-Amzn-Errortype")).To(Equal("UnknownOperationException"))
		Expect(string(b)).To(ContainSubstring("FlyToTheMoon"))
		resp, err = http.Get(h.URL + "/_tgsim/health")
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(http.StatusOK))
	})

	clis := awsCLIs()
	It("finds an aws CLI", func() {
		if len(clis) == 0 {
			Skip("no aws CLI on PATH (apt-get install awscli); .ci/run installs it")
		}
	})
	for _, version := range sortedKeys(clis) {
		bin := clis[version]
		Context("with the aws CLI "+version+" ("+bin+")", func() {
			aws := func(ctx context.Context, args ...string) (string, string, int) {
				return awsCLI(ctx, bin, h, nil, args...)
			}
			as := func(ctx context.Context, creds []string, args ...string) (string, string, int) {
				return awsCLI(ctx, bin, h, creds, args...)
			}

			It("creates IAM users and simulates policies", func(ctx SpecContext) {
				_, stderr, code := aws(ctx, "iam", "create-user", "--user-name", "cli-user-"+version)
				Expect(code).To(Equal(0), stderr)
				out, stderr, code := aws(ctx, "iam", "simulate-custom-policy",
					"--policy-input-list", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iotthingsgraph:*","Resource":"*"},{"Effect":"Deny","Action":"iotthingsgraph:DeploySystemInstance","Resource":"*"}]}`,
					"--action-names", "iotthingsgraph:CreateSystemInstance", "iotthingsgraph:DeploySystemInstance", "greengrass:CreateDeployment")
				Expect(code).To(Equal(0), stderr)
				var sim struct {
					EvaluationResults []struct{ EvalActionName, EvalDecision string }
				}
				Expect(json.Unmarshal([]byte(out), &sim)).To(Succeed())
				got := map[string]string{}
				for _, r := range sim.EvaluationResults {
					got[r.EvalActionName] = r.EvalDecision
				}
				Expect(got).To(Equal(map[string]string{
					"iotthingsgraph:CreateSystemInstance": "allowed",
					"iotthingsgraph:DeploySystemInstance": "explicitDeny",
					"greengrass:CreateDeployment":         "implicitDeny",
				}))
			})

			It("assumes a role with a user's keys and acts as the session", func(ctx SpecContext) {
				user, role := "assumer-"+version, "cli-role-"+version
				_, stderr, code := aws(ctx, "iam", "create-user", "--user-name", user)
				Expect(code).To(Equal(0), stderr)
				out, stderr, code := aws(ctx, "iam", "create-access-key", "--user-name", user)
				Expect(code).To(Equal(0), stderr)
				var key struct {
					AccessKey struct{ AccessKeyId, SecretAccessKey string }
				}
				Expect(json.Unmarshal([]byte(out), &key)).To(Succeed())
				userCreds := []string{key.AccessKey.AccessKeyId, key.AccessKey.SecretAccessKey}
				trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:user/` + user + `"},"Action":"sts:AssumeRole"}]}`
				_, stderr, code = aws(ctx, "iam", "create-role", "--role-name", role, "--assume-role-policy-document", trust)
				Expect(code).To(Equal(0), stderr)

				out, stderr, code = as(ctx, userCreds, "sts", "assume-role", "--role-arn", "arn:aws:iam::000000000000:role/"+role, "--role-session-name", "demo")
				Expect(code).To(Equal(0), stderr)
				var assumed struct {
					Credentials struct{ AccessKeyId, SecretAccessKey, SessionToken string }
				}
				Expect(json.Unmarshal([]byte(out), &assumed)).To(Succeed())
				c := assumed.Credentials
				out, stderr, code = as(ctx, []string{c.AccessKeyId, c.SecretAccessKey, c.SessionToken}, "sts", "get-caller-identity")
				Expect(code).To(Equal(0), stderr)
				Expect(out).To(ContainSubstring("arn:aws:sts::000000000000:assumed-role/" + role + "/demo"))

				// The session has no permissions: the role has no policies.
				_, stderr, code = as(ctx, []string{c.AccessKeyId, c.SecretAccessKey, c.SessionToken}, "iotthingsgraph", "get-upload-status", "--upload-id", "x")
				Expect(code).NotTo(Equal(0))
				Expect(stderr).To(ContainSubstring("AccessDeniedException"))
				Expect(stderr).To(ContainSubstring("assumed-role/" + role + "/demo is not authorized to perform: iotthingsgraph:GetUploadStatus"))
			})

			It("creates and lists S3 buckets", func(ctx SpecContext) {
				_, stderr, code := aws(ctx, "s3api", "create-bucket", "--bucket", "cli-bucket-"+version)
				Expect(code).To(Equal(0), stderr)
				out, stderr, code := aws(ctx, "s3", "ls")
				Expect(code).To(Equal(0), stderr)
				Expect(out).To(ContainSubstring("cli-bucket-" + version))
			})

			It("gets ResourceNotFoundException for an unknown upload id", func(ctx SpecContext) {
				_, stderr, code := aws(ctx, "iotthingsgraph", "get-upload-status", "--upload-id", "X")
				Expect(code).NotTo(Equal(0))
				Expect(stderr).To(ContainSubstring("ResourceNotFoundException"))
			})

			It("gets InvalidRequestException naming line and column for malformed TDM", func(ctx SpecContext) {
				doc := `{"language":"GRAPHQL","text":"{\n type X @propertyType(id: \"urn:tdm:us-east-1/000000000000/default:property:X\" {ignore:void}\n}"}`
				_, stderr, code := aws(ctx, "iotthingsgraph", "upload-entity-definitions", "--document", doc)
				Expect(code).NotTo(Equal(0))
				Expect(stderr).To(ContainSubstring("InvalidRequestException"))
				Expect(stderr).To(MatchRegexp(`2:\d+`), "the message names line 2 and a column")
			})

			It("uploads entities and reads the upload status", func(ctx SpecContext) {
				doc := `{"language":"GRAPHQL","text":"{ type Lux @propertyType(id: \"urn:tdm:us-east-1/000000000000/default:property:Lux` + version + `\", dataType: FLOAT32) {ignore:void} }"}`
				out, stderr, code := aws(ctx, "iotthingsgraph", "upload-entity-definitions", "--document", doc)
				Expect(code).To(Equal(0), stderr)
				var up struct {
					UploadID string `json:"uploadId"`
				}
				Expect(json.Unmarshal([]byte(out), &up)).To(Succeed())
				out, stderr, code = aws(ctx, "iotthingsgraph", "get-upload-status", "--upload-id", up.UploadID)
				Expect(code).To(Equal(0), stderr)
				Expect(out).To(ContainSubstring(`"uploadStatus": "SUCCEEDED"`))
			})

			It("calls STS, IoT and Greengrass", func(ctx SpecContext) {
				out, stderr, code := aws(ctx, "sts", "get-caller-identity")
				Expect(code).To(Equal(0), stderr)
				Expect(out).To(ContainSubstring(`"Account": "000000000000"`))
				_, stderr, code = aws(ctx, "iot", "create-thing", "--thing-name", "cli-thing-"+version)
				Expect(code).To(Equal(0), stderr)
				out, stderr, code = aws(ctx, "iot", "list-things")
				Expect(code).To(Equal(0), stderr)
				Expect(out).To(ContainSubstring("cli-thing-" + version))
				_, stderr, code = aws(ctx, "greengrass", "create-group", "--name", "cli-group-"+version)
				Expect(code).To(Equal(0), stderr)
				out, stderr, code = aws(ctx, "greengrass", "list-groups")
				Expect(code).To(Equal(0), stderr)
				Expect(out).To(ContainSubstring("cli-group-" + version))
			})
		})
	}
})

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
