package e2e_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tgsim/tgsim/sim/device"
	"github.com/tgsim/tgsim/sim/harness"
)

// thingsGraphCommands are the 35 commands of `aws iotthingsgraph`, one per
// operation of the API model.
var thingsGraphCommands = strings.Fields(`associate-entity-to-thing create-flow-template
create-system-instance create-system-template delete-flow-template delete-namespace
delete-system-instance delete-system-template deploy-system-instance deprecate-flow-template
deprecate-system-template describe-namespace dissociate-entity-from-thing get-entities
get-flow-template get-flow-template-revisions get-namespace-deletion-status get-system-instance
get-system-template get-system-template-revisions get-upload-status list-flow-execution-messages
list-tags-for-resource search-entities search-flow-executions search-flow-templates
search-system-instances search-system-templates search-things tag-resource
undeploy-system-instance untag-resource update-flow-template update-system-template
upload-entity-definitions`)

// Every Things Graph operation, called through each aws CLI on PATH in the
// order of a flow configuration's life: entities, things, templates, a
// Greengrass system instance deployed to a core tgsim starts, tags,
// searches, an execution driven by virtual devices, undeploy and the
// removal of everything. Each call is checked against the model's output
// shape (spec §3.2–3.3) or, where the state forbids it, against the
// modelled error code.
var _ = Describe("every Things Graph operation through the aws CLI", Label("clients"), Ordered, func() {
	clis := awsCLIs()
	It("finds an aws CLI", func() {
		if len(clis) == 0 {
			Skip("no aws CLI on PATH (apt-get install awscli); .ci/run installs it")
		}
	})

	const (
		ns         = "urn:tdm:us-east-1/000000000000/default"
		nsName     = "us-east-1/000000000000/default"
		nsArn      = "arn:aws:iotthingsgraph:us-east-1:000000000000:Namespace/default"
		deviceID   = ns + ":device:CliCamera"
		propertyID = ns + ":property:CliImageUri"
		flowID     = ns + ":Workflow:SecurityFlow"
		systemID   = ns + ":System:SecurityFlow"
		instanceID = ns + ":Deployment:CliRoom"
		group      = "cliroom"
		bucket     = "cliroom-flows"
	)
	// The account's entities: a property and a camera device that
	// implements the public example capability on its own topics, so the
	// deployment below can only work if the runtime uses this definition.
	entities := `{
# The image URI a CLI camera reports.
type CliImageUri @propertyType(id: "` + propertyID + `", dataType: STRING) {ignore:void}

query CliCamera @device(id: "` + deviceID + `", deviceModel: "urn:tdm:aws/examples:deviceModel:Camera") {
  MQTT {
    CameraCapability(id: "urn:tdm:aws/examples:capability:CameraCapability") {
      state {
        lastClickedImage(name: "lastImage", property: "` + propertyID + `")
      }
      Action(name: "capture") {
        Publish {
          Request(topic: "$macro(${systemRuntime.deviceId}/snap)") {
            params
          }
          Response(topic: "$macro(${systemRuntime.deviceId}/snap/done)") {
            responsePayload(property: "urn:tdm:aws/examples:property:CameraStateProperty")
          }
        }
      }
    }
  }
}
}`
	deployment := `{
query CliRoom @deployment(id: "` + instanceID + `", systemId: "` + systemID + `") {
  motionSensor(deviceId: "CliMotion")
  screen(deviceId: "CliScreen")
  camera(deviceId: "CliCam")
  triggers {MotionEventTrigger(description: "motion starts the flow") {
    condition(expr: "devices[name == 'motionSensor'].events[name == 'StateChanged'].lastEvent")
    action(expr: "ThingsGraph.startFlow('SecurityFlow', bindings[name == 'camera'].deviceId, bindings[name == 'screen'].deviceId)")
  }}
}
}`
	readTDM := func(name string) string {
		b, err := os.ReadFile(filepath.Join("..", "scenarios", "motion-camera", name))
		Expect(err).NotTo(HaveOccurred())
		return string(b)
	}

	for _, version := range sortedKeys(clis) {
		bin := clis[version]
		Context("with the aws CLI "+version+" ("+bin+")", Ordered, func() {
			var (
				h       *harness.Harness
				dir     string
				covered = map[string]bool{}
				// Filled in as the lifecycle goes.
				instanceArn string
				thingArns   = map[string]string{}
				executionID string
			)
			BeforeAll(func() {
				var err error
				h, err = harness.Start(harness.Options{AutoCores: true})
				Expect(err).NotTo(HaveOccurred())
				DeferCleanup(func() { Expect(h.Close()).To(Succeed()) })
				dir = GinkgoT().TempDir()
			})

			// parse reads the CLI's JSON output; no output (an empty
			// response) is an empty object.
			parse := func(out string) map[string]any {
				m := map[string]any{}
				if strings.TrimSpace(out) != "" {
					ExpectWithOffset(2, json.Unmarshal([]byte(out), &m)).To(Succeed(), out)
				}
				return m
			}
			// cli runs any aws command and insists on success.
			cli := func(ctx context.Context, args ...string) map[string]any {
				out, stderr, code := awsCLI(ctx, bin, h, nil, args...)
				ExpectWithOffset(1, code).To(Equal(0), "aws %v\n%s", args, stderr)
				return parse(out)
			}
			// tg runs `aws iotthingsgraph cmd args...` and insists on success.
			tg := func(ctx context.Context, cmd string, args ...string) map[string]any {
				covered[cmd] = true
				out, stderr, code := awsCLI(ctx, bin, h, nil, append([]string{"iotthingsgraph", cmd}, args...)...)
				ExpectWithOffset(1, code).To(Equal(0), "aws iotthingsgraph %s %v\n%s", cmd, args, stderr)
				return parse(out)
			}
			// tgFails runs `aws iotthingsgraph cmd args...` and insists on
			// the modelled error code.
			tgFails := func(ctx context.Context, errorCode, cmd string, args ...string) string {
				covered[cmd] = true
				out, stderr, code := awsCLI(ctx, bin, h, nil, append([]string{"iotthingsgraph", cmd}, args...)...)
				ExpectWithOffset(1, code).NotTo(Equal(0), "aws iotthingsgraph %s %v should fail with %s; it answered\n%s", cmd, args, errorCode, out)
				ExpectWithOffset(1, stderr).To(ContainSubstring("("+errorCode+")"), "aws iotthingsgraph %s %v", cmd, args)
				return stderr
			}
			// definition writes a DefinitionDocument for --definition / --document file://.
			definition := func(name, text string) string {
				b, err := json.Marshal(map[string]string{"language": "GRAPHQL", "text": text})
				Expect(err).NotTo(HaveOccurred())
				p := filepath.Join(dir, name+".json")
				Expect(os.WriteFile(p, b, 0o644)).To(Succeed())
				return "file://" + p
			}
			obj := func(m map[string]any, key string) map[string]any {
				ExpectWithOffset(1, m).To(HaveKey(key))
				v, ok := m[key].(map[string]any)
				ExpectWithOffset(1, ok).To(BeTrue(), "%s is %T, not an object", key, m[key])
				return v
			}
			list := func(m map[string]any, key string) []map[string]any {
				ExpectWithOffset(1, m).To(HaveKey(key))
				raw, ok := m[key].([]any)
				ExpectWithOffset(1, ok).To(BeTrue(), "%s is %T, not a list", key, m[key])
				out := make([]map[string]any, 0, len(raw))
				for _, x := range raw {
					o, ok := x.(map[string]any)
					ExpectWithOffset(1, ok).To(BeTrue(), "%s holds %T, not objects", key, x)
					out = append(out, o)
				}
				return out
			}
			// hasMembers checks that m has exactly the given members (the
			// CLI drops members the model does not know, so extra ones
			// cannot show; missing ones do).
			hasMembers := func(m map[string]any, members ...string) {
				keys := make([]string, 0, len(m))
				for k := range m {
					keys = append(keys, k)
				}
				sort.Strings(keys)
				sort.Strings(members)
				ExpectWithOffset(1, keys).To(Equal(members), "%v", m)
			}
			// serverToken returns the Things Graph nextToken inside a CLI
			// pagination token ("" when the CLI truncated a page itself).
			serverToken := func(cliToken any) string {
				s, ok := cliToken.(string)
				ExpectWithOffset(1, ok).To(BeTrue(), "NextToken is %T", cliToken)
				b, err := base64.StdEncoding.DecodeString(s)
				ExpectWithOffset(1, err).NotTo(HaveOccurred())
				var t struct {
					NextToken *string `json:"nextToken"`
				}
				ExpectWithOffset(1, json.Unmarshal(b, &t)).To(Succeed(), string(b))
				if t.NextToken == nil {
					return ""
				}
				return *t.NextToken
			}
			ids := func(items []map[string]any, key string) []any {
				out := []any{}
				for _, it := range items {
					out = append(out, it[key])
				}
				return out
			}
			// The timestamp members: epoch seconds from v1, ISO 8601 from v2.
			timestamp := Satisfy(func(v any) bool {
				switch t := v.(type) {
				case float64:
					return t > 1.5e9
				case string:
					_, err := time.Parse(time.RFC3339, t)
					return err == nil
				}
				return false
			})

			It("answers the namespace operations before the account has a namespace", func(ctx SpecContext) {
				tgFails(ctx, "ResourceNotFoundException", "describe-namespace")
				tgFails(ctx, "InvalidRequestException", "get-namespace-deletion-status")
				tgFails(ctx, "ResourceNotFoundException", "get-upload-status", "--upload-id", "no-such-upload")
				pub := tg(ctx, "describe-namespace", "--namespace-name", "aws")
				hasMembers(pub, "namespaceArn", "namespaceName", "namespaceVersion")
				Expect(pub).To(HaveKeyWithValue("namespaceName", "aws"))
				Expect(pub).To(HaveKeyWithValue("namespaceVersion", BeNumerically(">=", 1)))
			}, SpecTimeout(2*time.Minute))

			It("uploads the account's entities and reports the upload and the namespace", func(ctx SpecContext) {
				// No document and no flag: refused at once.
				tgFails(ctx, "InvalidRequestException", "upload-entity-definitions")
				// A device of an unknown model: the upload is accepted and FAILS.
				bad := strings.ReplaceAll(strings.Replace(entities, "deviceModel:Camera", "deviceModel:NoSuchModel", 1), "CliCamera", "CliBroken")
				up := tg(ctx, "upload-entity-definitions", "--document", definition("bad-entities", bad))
				hasMembers(up, "uploadId")
				st := tg(ctx, "get-upload-status", "--upload-id", up["uploadId"].(string))
				Expect(st).To(HaveKey("uploadId"))
				Expect(st).To(HaveKeyWithValue("uploadStatus", "FAILED"))
				Expect(st).To(HaveKeyWithValue("createdDate", timestamp))
				Expect(st).To(HaveKeyWithValue("failureReason", ContainElement(ContainSubstring("deviceModel:NoSuchModel"))))
				tgFails(ctx, "ResourceNotFoundException", "describe-namespace")

				up = tg(ctx, "upload-entity-definitions", "--document", definition("entities", entities))
				hasMembers(up, "uploadId")
				st = tg(ctx, "get-upload-status", "--upload-id", up["uploadId"].(string))
				hasMembers(st, "uploadId", "uploadStatus", "namespaceArn", "namespaceName", "namespaceVersion", "createdDate")
				Expect(st).To(HaveKeyWithValue("uploadId", up["uploadId"]))
				Expect(st).To(HaveKeyWithValue("uploadStatus", "SUCCEEDED"))
				Expect(st).To(HaveKeyWithValue("namespaceName", nsName))
				Expect(st).To(HaveKeyWithValue("namespaceArn", nsArn))
				Expect(st).To(HaveKeyWithValue("namespaceVersion", 1.0))
				Expect(st).To(HaveKeyWithValue("createdDate", timestamp))

				d := tg(ctx, "describe-namespace")
				hasMembers(d, "namespaceArn", "namespaceName", "namespaceVersion", "trackingNamespaceName", "trackingNamespaceVersion")
				Expect(d).To(HaveKeyWithValue("namespaceName", nsName))
				Expect(d).To(HaveKeyWithValue("namespaceArn", nsArn))
				Expect(d).To(HaveKeyWithValue("namespaceVersion", 1.0))
				Expect(d).To(HaveKeyWithValue("trackingNamespaceName", "aws"))
				Expect(d).To(HaveKeyWithValue("trackingNamespaceVersion", BeNumerically(">=", 1)))
				Expect(tg(ctx, "describe-namespace", "--namespace-name", nsName)).To(Equal(d))
			}, SpecTimeout(2*time.Minute))

			It("gets and searches entities of the account and the public namespace", func(ctx SpecContext) {
				out := tg(ctx, "get-entities", "--ids", deviceID, propertyID, "urn:tdm:aws/examples:deviceModel:Camera")
				hasMembers(out, "descriptions")
				descs := list(out, "descriptions")
				Expect(ids(descs, "id")).To(Equal([]any{deviceID, propertyID, "urn:tdm:aws/examples:deviceModel:Camera"}))
				Expect(ids(descs, "type")).To(Equal([]any{"DEVICE", "PROPERTY", "DEVICE_MODEL"}))
				for _, d := range descs {
					hasMembers(d, "id", "arn", "type", "createdAt", "definition")
					Expect(d).To(HaveKeyWithValue("createdAt", timestamp))
					def := obj(d, "definition")
					hasMembers(def, "language", "text")
					Expect(def).To(HaveKeyWithValue("language", "GRAPHQL"))
				}
				Expect(descs[0]).To(HaveKeyWithValue("arn", "arn:aws:iotthingsgraph:us-east-1:000000000000:default#Device#CliCamera"))
				Expect(obj(descs[0], "definition")).To(HaveKeyWithValue("text", ContainSubstring("/snap/done")))
				tgFails(ctx, "ResourceNotFoundException", "get-entities", "--ids", ns+":device:NoSuchDevice")

				// Account devices only.
				out = tg(ctx, "search-entities", "--entity-types", "DEVICE", "--filters", `[{"name":"NAMESPACE","value":["`+nsName+`"]}]`)
				hasMembers(out, "descriptions")
				Expect(ids(list(out, "descriptions"), "id")).To(Equal([]any{deviceID}))
				// Devices that use the account's property.
				out = tg(ctx, "search-entities", "--entity-types", "DEVICE", "PROPERTY", "--filters", `[{"name":"REFERENCED_ENTITY_ID","value":["`+propertyID+`"]}]`)
				Expect(ids(list(out, "descriptions"), "id")).To(Equal([]any{deviceID}))
				// Every device implementing the Camera model, public and private.
				out = tg(ctx, "search-entities", "--entity-types", "DEVICE", "--filters", `[{"name":"REFERENCED_ENTITY_ID","value":["urn:tdm:aws/examples:deviceModel:Camera"]}]`)
				Expect(ids(list(out, "descriptions"), "id")).To(ConsistOf(deviceID, "urn:tdm:aws/examples:device:RaspberryPiCamera"))

				// Paging: pages of one device, the server's nextToken carried by the CLI.
				all := ids(list(tg(ctx, "search-entities", "--entity-types", "DEVICE"), "descriptions"), "id")
				Expect(len(all)).To(BeNumerically(">=", 4), "the account's device and the three public examples")
				var paged []any
				token := ""
				for range all {
					args := []string{"--entity-types", "DEVICE", "--page-size", "1", "--max-items", "1"}
					if token != "" {
						args = append(args, "--starting-token", token)
					}
					page := tg(ctx, "search-entities", args...)
					Expect(list(page, "descriptions")).To(HaveLen(1))
					paged = append(paged, ids(list(page, "descriptions"), "id")...)
					if len(paged) < len(all) {
						Expect(page).To(HaveKey("NextToken"), "page %d of %d", len(paged), len(all))
						Expect(serverToken(page["NextToken"])).NotTo(BeEmpty(), "the server paged with nextToken")
						token = page["NextToken"].(string)
					} else {
						Expect(page).NotTo(HaveKey("NextToken"))
					}
				}
				Expect(paged).To(Equal(all))
			}, SpecTimeout(2*time.Minute))

			It("creates things, a Greengrass group with a core and a bucket", func(ctx SpecContext) {
				cli(ctx, "s3api", "create-bucket", "--bucket", bucket)
				for _, thing := range []string{"CliMotion", "CliCam", "CliScreen", group + "_Core"} {
					th := cli(ctx, "iot", "create-thing", "--thing-name", thing)
					thingArns[thing] = th["thingArn"].(string)
					cert := cli(ctx, "iot", "create-keys-and-certificate", "--set-as-active")
					certArn := cert["certificateArn"].(string)
					cli(ctx, "iot", "attach-thing-principal", "--thing-name", thing, "--principal", certArn)
					if thing == group+"_Core" {
						core := `{"Cores":[{"Id":"core","ThingArn":"` + thingArns[thing] + `","CertificateArn":"` + certArn + `","SyncShadow":false}]}`
						cd := cli(ctx, "greengrass", "create-core-definition", "--name", group+"-core", "--initial-version", core)
						cli(ctx, "greengrass", "create-group", "--name", group, "--initial-version", `{"CoreDefinitionVersionArn":"`+cd["LatestVersionArn"].(string)+`"}`)
					}
				}
			}, SpecTimeout(2*time.Minute))

			It("associates things with devices and finds them", func(ctx SpecContext) {
				tgFails(ctx, "ResourceNotFoundException", "associate-entity-to-thing", "--thing-name", "NoSuchThing", "--entity-id", deviceID)
				tgFails(ctx, "ResourceNotFoundException", "associate-entity-to-thing", "--thing-name", "CliCam", "--entity-id", ns+":device:NoSuchDevice")
				Expect(tg(ctx, "associate-entity-to-thing", "--thing-name", "CliCam", "--entity-id", deviceID, "--namespace-version", "1")).To(BeEmpty())
				Expect(tg(ctx, "associate-entity-to-thing", "--thing-name", "CliMotion", "--entity-id", "urn:tdm:aws/examples:Device:HCSR501MotionSensor")).To(BeEmpty())
				Expect(tg(ctx, "associate-entity-to-thing", "--thing-name", "CliScreen", "--entity-id", "urn:tdm:aws/examples:Device:RaspberryPiScreen")).To(BeEmpty())

				out := tg(ctx, "search-things", "--entity-id", deviceID)
				hasMembers(out, "things")
				things := list(out, "things")
				Expect(things).To(HaveLen(1))
				hasMembers(things[0], "thingArn", "thingName")
				Expect(things[0]).To(HaveKeyWithValue("thingName", "CliCam"))
				Expect(things[0]).To(HaveKeyWithValue("thingArn", thingArns["CliCam"]))
				// By device model: every thing whose device implements it.
				out = tg(ctx, "search-things", "--entity-id", "urn:tdm:aws/examples:deviceModel:Camera", "--namespace-version", "1")
				Expect(ids(list(out, "things"), "thingName")).To(Equal([]any{"CliCam"}))
				tgFails(ctx, "ResourceNotFoundException", "search-things", "--entity-id", ns+":device:NoSuchDevice")
			}, SpecTimeout(2*time.Minute))

			It("creates, reads, revises and searches the flow and the system", func(ctx SpecContext) {
				flowText, systemText := readTDM("security-flow.workflow.graphql"), readTDM("security-flow.system.graphql")
				templateSummary := func(m map[string]any, id string, revision float64) {
					hasMembers(m, "id", "arn", "revisionNumber", "createdAt")
					Expect(m).To(HaveKeyWithValue("id", id))
					Expect(m).To(HaveKeyWithValue("revisionNumber", revision))
					Expect(m).To(HaveKeyWithValue("createdAt", timestamp))
				}

				out := tg(ctx, "create-flow-template", "--definition", definition("flow", flowText))
				hasMembers(out, "summary")
				templateSummary(obj(out, "summary"), flowID, 1)
				Expect(obj(out, "summary")).To(HaveKeyWithValue("arn", "arn:aws:iotthingsgraph:us-east-1:000000000000:default#Workflow#SecurityFlow"))
				tgFails(ctx, "ResourceAlreadyExistsException", "create-flow-template", "--definition", definition("flow", flowText))
				// A system whose flow is unknown is refused.
				tgFails(ctx, "InvalidRequestException", "create-system-template", "--definition",
					definition("system-bad", strings.Replace(systemText, "Workflow:SecurityFlow", "Workflow:NoSuchFlow", 1)))
				out = tg(ctx, "create-system-template", "--definition", definition("system", systemText), "--compatible-namespace-version", "1")
				hasMembers(out, "summary")
				templateSummary(obj(out, "summary"), systemID, 1)
				Expect(obj(out, "summary")).To(HaveKeyWithValue("arn", "arn:aws:iotthingsgraph:us-east-1:000000000000:default#System#SecurityFlow"))
				tgFails(ctx, "ResourceAlreadyExistsException", "create-system-template", "--definition", definition("system", systemText))

				out = tg(ctx, "get-flow-template", "--id", flowID)
				hasMembers(out, "description")
				desc := obj(out, "description")
				hasMembers(desc, "summary", "definition", "validatedNamespaceVersion")
				templateSummary(obj(desc, "summary"), flowID, 1)
				Expect(obj(desc, "definition")).To(Equal(map[string]any{"language": "GRAPHQL", "text": flowText}))
				Expect(desc).To(HaveKeyWithValue("validatedNamespaceVersion", 1.0))
				tgFails(ctx, "ResourceNotFoundException", "get-flow-template", "--id", ns+":Workflow:NoSuchFlow")

				// Revision 2 of each.
				out = tg(ctx, "update-flow-template", "--id", flowID, "--definition", definition("flow2", "# revision 2\n"+flowText), "--compatible-namespace-version", "1")
				hasMembers(out, "summary")
				templateSummary(obj(out, "summary"), flowID, 2)
				out = tg(ctx, "update-system-template", "--id", systemID, "--definition", definition("system2", "# revision 2\n"+systemText))
				hasMembers(out, "summary")
				templateSummary(obj(out, "summary"), systemID, 2)
				tgFails(ctx, "ResourceNotFoundException", "update-flow-template", "--id", ns+":Workflow:NoSuchFlow", "--definition", definition("flow2", "# revision 2\n"+flowText))
				tgFails(ctx, "ResourceNotFoundException", "update-system-template", "--id", ns+":System:NoSuchSystem", "--definition", definition("system2", "# revision 2\n"+systemText))

				desc = obj(tg(ctx, "get-flow-template", "--id", flowID), "description")
				templateSummary(obj(desc, "summary"), flowID, 2)
				Expect(obj(desc, "definition")).To(HaveKeyWithValue("text", HavePrefix("# revision 2\n")))
				desc = obj(tg(ctx, "get-flow-template", "--id", flowID, "--revision-number", "1"), "description")
				templateSummary(obj(desc, "summary"), flowID, 1)
				Expect(obj(desc, "definition")).To(HaveKeyWithValue("text", flowText))
				out = tg(ctx, "get-system-template", "--id", systemID)
				hasMembers(out, "description")
				desc = obj(out, "description")
				hasMembers(desc, "summary", "definition", "validatedNamespaceVersion")
				templateSummary(obj(desc, "summary"), systemID, 2)
				Expect(obj(desc, "definition")).To(Equal(map[string]any{"language": "GRAPHQL", "text": "# revision 2\n" + systemText}))
				Expect(desc).To(HaveKeyWithValue("validatedNamespaceVersion", 1.0))
				desc = obj(tg(ctx, "get-system-template", "--id", systemID, "--revision-number", "1"), "description")
				templateSummary(obj(desc, "summary"), systemID, 1)
				tgFails(ctx, "ResourceNotFoundException", "get-system-template", "--id", systemID, "--revision-number", "7")

				// Revisions, newest first, one per page through the server's nextToken.
				for _, c := range []struct{ cmd, id string }{{"get-flow-template-revisions", flowID}, {"get-system-template-revisions", systemID}} {
					out = tg(ctx, c.cmd, "--id", c.id)
					hasMembers(out, "summaries")
					revs := list(out, "summaries")
					Expect(revs).To(HaveLen(2))
					templateSummary(revs[0], c.id, 2)
					templateSummary(revs[1], c.id, 1)
					page := tg(ctx, c.cmd, "--id", c.id, "--page-size", "1", "--max-items", "1")
					hasMembers(page, "summaries", "NextToken")
					Expect(ids(list(page, "summaries"), "revisionNumber")).To(Equal([]any{2.0}))
					Expect(serverToken(page["NextToken"])).NotTo(BeEmpty())
					page = tg(ctx, c.cmd, "--id", c.id, "--page-size", "1", "--max-items", "1", "--starting-token", page["NextToken"].(string))
					hasMembers(page, "summaries")
					Expect(ids(list(page, "summaries"), "revisionNumber")).To(Equal([]any{1.0}))
					tgFails(ctx, "ResourceNotFoundException", c.cmd, "--id", strings.Replace(c.id, "SecurityFlow", "Nothing", 1))
				}

				out = tg(ctx, "search-flow-templates", "--filters", `[{"name":"DEVICE_MODEL_ID","value":["urn:tdm:aws/examples:deviceModel:Camera"]}]`)
				hasMembers(out, "summaries")
				Expect(list(out, "summaries")).To(HaveLen(1))
				templateSummary(list(out, "summaries")[0], flowID, 2)
				out = tg(ctx, "search-flow-templates", "--filters", `[{"name":"DEVICE_MODEL_ID","value":["urn:tdm:aws/examples:deviceModel:NoSuchModel"]}]`)
				Expect(list(out, "summaries")).To(BeEmpty())
				tgFails(ctx, "InvalidRequestException", "search-flow-templates", "--filters", `[{"name":"DEVICE_MODEL_ID","value":["not a urn"]}]`)
				// maxResults is 1..250; the CLI sends --page-size as it is.
				tgFails(ctx, "InvalidRequestException", "search-flow-templates", "--page-size", "251")
				out = tg(ctx, "search-system-templates", "--filters", `[{"name":"FLOW_TEMPLATE_ID","value":["`+flowID+`"]}]`)
				hasMembers(out, "summaries")
				Expect(list(out, "summaries")).To(HaveLen(1))
				templateSummary(list(out, "summaries")[0], systemID, 2)
				Expect(list(tg(ctx, "search-system-templates"), "summaries")).To(HaveLen(1))

				// Not deprecated: cannot be deleted yet.
				tgFails(ctx, "ResourceInUseException", "delete-flow-template", "--id", flowID)
				tgFails(ctx, "ResourceInUseException", "delete-system-template", "--id", systemID)
			}, SpecTimeout(2*time.Minute))

			instanceSummary := func(m map[string]any, status string, extra ...string) {
				hasMembers(m, append([]string{"id", "arn", "status", "target", "greengrassGroupName", "createdAt", "updatedAt"}, extra...)...)
				ExpectWithOffset(1, m).To(HaveKeyWithValue("id", instanceID))
				ExpectWithOffset(1, m).To(HaveKeyWithValue("arn", "arn:aws:iotthingsgraph:us-east-1:000000000000:default#Deployment#CliRoom"))
				ExpectWithOffset(1, m).To(HaveKeyWithValue("status", status))
				ExpectWithOffset(1, m).To(HaveKeyWithValue("target", "GREENGRASS"))
				ExpectWithOffset(1, m).To(HaveKeyWithValue("greengrassGroupName", group))
				ExpectWithOffset(1, m).To(HaveKeyWithValue("createdAt", timestamp))
				ExpectWithOffset(1, m).To(HaveKeyWithValue("updatedAt", timestamp))
			}
			getInstance := func(ctx context.Context) map[string]any {
				out := tg(ctx, "get-system-instance", "--id", instanceID)
				hasMembers(out, "description")
				return obj(out, "description")
			}

			It("creates the system instance for the Greengrass group", func(ctx SpecContext) {
				out := tg(ctx, "create-system-instance", "--definition", definition("deployment", deployment),
					"--target", "GREENGRASS", "--greengrass-group-name", group, "--s3-bucket-name", bucket,
					"--tags", `[{"key":"team","value":"qa"}]`)
				hasMembers(out, "summary")
				instanceSummary(obj(out, "summary"), "NOT_DEPLOYED")
				Expect(obj(out, "summary")["updatedAt"]).To(Equal(obj(out, "summary")["createdAt"]))
				instanceArn = obj(out, "summary")["arn"].(string)
				tgFails(ctx, "ResourceAlreadyExistsException", "create-system-instance", "--definition", definition("deployment", deployment),
					"--target", "GREENGRASS", "--greengrass-group-name", group, "--s3-bucket-name", bucket)
				tgFails(ctx, "InvalidRequestException", "create-system-instance", "--definition", definition("deployment", deployment), "--target", "GREENGRASS")

				desc := getInstance(ctx)
				hasMembers(desc, "summary", "definition", "s3BucketName", "validatedNamespaceVersion", "validatedDependencyRevisions")
				instanceSummary(obj(desc, "summary"), "NOT_DEPLOYED")
				Expect(obj(desc, "definition")).To(Equal(map[string]any{"language": "GRAPHQL", "text": deployment}))
				Expect(desc).To(HaveKeyWithValue("s3BucketName", bucket))
				Expect(desc).To(HaveKeyWithValue("validatedNamespaceVersion", 1.0))
				Expect(list(desc, "validatedDependencyRevisions")).To(ConsistOf(
					map[string]any{"id": systemID, "revisionNumber": 2.0},
					map[string]any{"id": flowID, "revisionNumber": 2.0}))
				tgFails(ctx, "ResourceNotFoundException", "get-system-instance", "--id", ns+":Deployment:NoSuchRoom")

				// Nothing to undeploy yet.
				tgFails(ctx, "ResourceInUseException", "undeploy-system-instance", "--id", instanceID)
				tgFails(ctx, "ResourceNotFoundException", "deploy-system-instance", "--id", ns+":Deployment:NoSuchRoom")
			}, SpecTimeout(2*time.Minute))

			It("deploys, and the core tgsim starts reports DEPLOYED_IN_TARGET", func(ctx SpecContext) {
				out := tg(ctx, "deploy-system-instance", "--id", instanceID)
				hasMembers(out, "summary", "greengrassDeploymentId")
				Expect(out).To(HaveKeyWithValue("greengrassDeploymentId", Not(BeEmpty())))
				sum := obj(out, "summary")
				instanceSummary(sum, sum["status"].(string), "greengrassGroupId", "greengrassGroupVersionId")
				// The first deployment to the group bootstraps the runtime.
				Expect(sum).To(HaveKeyWithValue("status", "BOOTSTRAP"))
				// Mid-transition: neither a second deploy nor a delete.
				tgFails(ctx, "ResourceInUseException", "deploy-system-instance", "--id", instanceID)
				tgFails(ctx, "ResourceInUseException", "delete-system-instance", "--id", instanceID)

				Eventually(func(g Gomega) string {
					out, stderr, code := awsCLI(ctx, bin, h, nil, "iotthingsgraph", "get-system-instance", "--id", instanceID)
					g.Expect(code).To(Equal(0), stderr)
					var o struct {
						Description struct{ Summary struct{ Status string } }
					}
					g.Expect(json.Unmarshal([]byte(out), &o)).To(Succeed())
					return o.Description.Summary.Status
				}).WithContext(ctx).WithTimeout(30 * time.Second).WithPolling(200 * time.Millisecond).Should(Equal("DEPLOYED_IN_TARGET"))
				desc := getInstance(ctx)
				instanceSummary(obj(desc, "summary"), "DEPLOYED_IN_TARGET", "greengrassGroupId", "greengrassGroupVersionId")
				// updatedAt moves with every transition.
				Expect(obj(desc, "summary")["updatedAt"]).NotTo(Equal(obj(desc, "summary")["createdAt"]))
				Expect(h.Cores()).To(HaveKey(group))
				// Deployed: it must be undeployed before it can be deleted.
				tgFails(ctx, "ResourceInUseException", "delete-system-instance", "--id", instanceID)
			}, SpecTimeout(2*time.Minute))

			It("tags the system instance, lists and removes tags", func(ctx SpecContext) {
				Expect(tg(ctx, "tag-resource", "--resource-arn", instanceArn, "--tags", `[{"key":"env","value":"test"},{"key":"owner","value":"cli-`+version+`"}]`)).To(BeEmpty())
				out := tg(ctx, "list-tags-for-resource", "--resource-arn", instanceArn)
				hasMembers(out, "tags")
				Expect(list(out, "tags")).To(Equal([]map[string]any{
					{"key": "env", "value": "test"}, {"key": "owner", "value": "cli-" + version}, {"key": "team", "value": "qa"}}))
				page := tg(ctx, "list-tags-for-resource", "--resource-arn", instanceArn, "--page-size", "2", "--max-items", "2")
				hasMembers(page, "tags", "NextToken")
				Expect(ids(list(page, "tags"), "key")).To(Equal([]any{"env", "owner"}))
				Expect(serverToken(page["NextToken"])).NotTo(BeEmpty())
				page = tg(ctx, "list-tags-for-resource", "--resource-arn", instanceArn, "--page-size", "2", "--max-items", "2", "--starting-token", page["NextToken"].(string))
				hasMembers(page, "tags")
				Expect(ids(list(page, "tags"), "key")).To(Equal([]any{"team"}))

				Expect(tg(ctx, "untag-resource", "--resource-arn", instanceArn, "--tag-keys", "env", "team")).To(BeEmpty())
				Expect(list(tg(ctx, "list-tags-for-resource", "--resource-arn", instanceArn), "tags")).To(Equal([]map[string]any{{"key": "owner", "value": "cli-" + version}}))
				// The same key overwrites.
				Expect(tg(ctx, "tag-resource", "--resource-arn", instanceArn, "--tags", `[{"key":"note","value":"n"},{"key":"owner","value":"ops"}]`)).To(BeEmpty())
				Expect(list(tg(ctx, "list-tags-for-resource", "--resource-arn", instanceArn), "tags")).To(Equal([]map[string]any{
					{"key": "note", "value": "n"}, {"key": "owner", "value": "ops"}}))

				// Only system instances are taggable; the model has no
				// ResourceNotFoundException for these operations.
				unknown := "arn:aws:iotthingsgraph:us-east-1:000000000000:default#Deployment#NoSuchRoom"
				tgFails(ctx, "InvalidRequestException", "tag-resource", "--resource-arn", unknown, "--tags", `[{"key":"a","value":"b"}]`)
				tgFails(ctx, "InvalidRequestException", "untag-resource", "--resource-arn", unknown, "--tag-keys", "a")
				tgFails(ctx, "InvalidRequestException", "list-tags-for-resource", "--resource-arn", unknown)
				// Keys starting with aws: are reserved [DOC ug:tagging-tg].
				tgFails(ctx, "InvalidRequestException", "tag-resource", "--resource-arn", instanceArn, "--tags", `[{"key":"aws:owner","value":"me"}]`)
			}, SpecTimeout(2*time.Minute))

			It("searches system instances by status, group and system", func(ctx SpecContext) {
				for _, filter := range []string{
					`[{"name":"STATUS","value":["DEPLOYED_IN_TARGET"]}]`,
					`[{"name":"GREENGRASS_GROUP_NAME","value":["` + group + `"]}]`,
					`[{"name":"SYSTEM_TEMPLATE_ID","value":["` + systemID + `"]},{"name":"STATUS","value":["NOT_DEPLOYED","DEPLOYED_IN_TARGET"]}]`,
				} {
					out := tg(ctx, "search-system-instances", "--filters", filter)
					hasMembers(out, "summaries")
					sums := list(out, "summaries")
					Expect(sums).To(HaveLen(1), filter)
					instanceSummary(sums[0], "DEPLOYED_IN_TARGET", "greengrassGroupId", "greengrassGroupVersionId")
				}
				out := tg(ctx, "search-system-instances", "--filters", `[{"name":"STATUS","value":["NOT_DEPLOYED"]}]`)
				Expect(list(out, "summaries")).To(BeEmpty())
				tgFails(ctx, "InvalidRequestException", "search-system-instances", "--filters", `[{"name":"STATUS","value":["SLEEPING"]}]`)
			}, SpecTimeout(2*time.Minute))

			It("runs the flow for a motion event and reads the execution and its messages", func(ctx SpecContext) {
				// Before any device speaks: no executions, in the model's shape.
				out := tg(ctx, "search-flow-executions", "--system-instance-id", instanceID)
				hasMembers(out, "summaries")
				Expect(list(out, "summaries")).To(BeEmpty())
				tgFails(ctx, "ResourceNotFoundException", "search-flow-executions", "--system-instance-id", ns+":Deployment:NoSuchRoom")

				addr := h.Cores()[group]
				Expect(addr).NotTo(BeEmpty())
				camera, err := device.Connect(ctx, device.Options{ThingName: "CliCam", Broker: addr, Actions: []device.Action{{
					// The account device's topics, not the public example's.
					Name: "capture", RequestTopic: "CliCam/snap", ResponseTopic: "CliCam/snap/done",
					Respond: func(int, []byte) []byte {
						return []byte(`{"lastClickedImage":"https://images.example/` + version + `.jpg"}`)
					},
				}}})
				Expect(err).NotTo(HaveOccurred())
				defer camera.Close()
				screen, err := device.Connect(ctx, device.Options{ThingName: "CliScreen", Broker: addr, Actions: []device.Action{{Name: "display", RequestTopic: "CliScreen/display"}}})
				Expect(err).NotTo(HaveOccurred())
				defer screen.Close()
				motion, err := device.Connect(ctx, device.Options{ThingName: "CliMotion", Broker: addr, Events: []device.Event{{Name: "StateChanged", Topic: "CliMotion/motion"}}})
				Expect(err).NotTo(HaveOccurred())
				defer motion.Close()
				Expect(motion.Emit(ctx, "StateChanged", []byte(`{"isMotionDetected":true}`))).To(Succeed())
				Expect(screen.WaitReceived(ctx, func(r []device.Received) bool { return len(r) == 1 })).To(Succeed())
				Expect(string(screen.Received()[0].Payload)).To(Equal(`{"imageUri":"https://images.example/` + version + `.jpg"}`))

				var sums []map[string]any
				Eventually(func(g Gomega) string {
					out, stderr, code := awsCLI(ctx, bin, h, nil, "iotthingsgraph", "search-flow-executions", "--system-instance-id", instanceID)
					g.Expect(code).To(Equal(0), stderr)
					var o struct {
						Summaries []map[string]any `json:"summaries"`
					}
					g.Expect(json.Unmarshal([]byte(out), &o)).To(Succeed())
					sums = o.Summaries
					if len(sums) == 0 {
						return ""
					}
					return sums[0]["status"].(string)
				}).WithContext(ctx).WithTimeout(15 * time.Second).WithPolling(200 * time.Millisecond).Should(Equal("SUCCEEDED"))
				Expect(sums).To(HaveLen(1))
				hasMembers(sums[0], "flowExecutionId", "status", "systemInstanceId", "flowTemplateId", "createdAt", "updatedAt")
				Expect(sums[0]).To(HaveKeyWithValue("systemInstanceId", instanceID))
				Expect(sums[0]).To(HaveKeyWithValue("flowTemplateId", flowID))
				Expect(sums[0]).To(HaveKeyWithValue("createdAt", timestamp))
				Expect(sums[0]).To(HaveKeyWithValue("updatedAt", timestamp))
				executionID = sums[0]["flowExecutionId"].(string)
				Expect(executionID).NotTo(BeEmpty())

				// Filters: the execution id, and start-time windows.
				out = tg(ctx, "search-flow-executions", "--system-instance-id", instanceID, "--flow-execution-id", executionID,
					"--start-time", "2000-01-01T00:00:00Z", "--end-time", "2100-01-01T00:00:00Z")
				Expect(ids(list(out, "summaries"), "flowExecutionId")).To(Equal([]any{executionID}))
				out = tg(ctx, "search-flow-executions", "--system-instance-id", instanceID, "--end-time", "2000-01-01T00:00:00Z")
				Expect(list(out, "summaries")).To(BeEmpty())
				tgFails(ctx, "InvalidRequestException", "search-flow-executions", "--system-instance-id", instanceID,
					"--start-time", "2100-01-01T00:00:00Z", "--end-time", "2000-01-01T00:00:00Z")

				out = tg(ctx, "list-flow-execution-messages", "--flow-execution-id", executionID)
				hasMembers(out, "messages")
				msgs := list(out, "messages")
				Expect(len(msgs)).To(BeNumerically(">=", 3))
				for _, m := range msgs {
					hasMembers(m, "messageId", "eventType", "timestamp", "payload")
					Expect(m).To(HaveKeyWithValue("timestamp", timestamp))
					Expect(m["payload"]).To(BeAssignableToTypeOf(""))
				}
				events := ids(msgs, "eventType")
				Expect(events).To(ContainElements("EXECUTION_STARTED", "THING_ACTION_TASK", "EXECUTION_SUCCEEDED"))
				Expect(events[len(events)-1]).To(Equal("EXECUTION_SUCCEEDED"))
				// Two messages a page, through the server's nextToken.
				page := tg(ctx, "list-flow-execution-messages", "--flow-execution-id", executionID, "--page-size", "2", "--max-items", "2")
				hasMembers(page, "messages", "NextToken")
				Expect(ids(list(page, "messages"), "messageId")).To(Equal(ids(msgs[:2], "messageId")))
				Expect(serverToken(page["NextToken"])).NotTo(BeEmpty())
				page = tg(ctx, "list-flow-execution-messages", "--flow-execution-id", executionID, "--page-size", "2", "--max-items", "2", "--starting-token", page["NextToken"].(string))
				Expect(ids(list(page, "messages"), "messageId")).To(Equal(ids(msgs[2:min(4, len(msgs))], "messageId")))
				tgFails(ctx, "ResourceNotFoundException", "list-flow-execution-messages", "--flow-execution-id", "no-such-execution")
			}, SpecTimeout(2*time.Minute))

			It("undeploys and deletes the system instance", func(ctx SpecContext) {
				out := tg(ctx, "undeploy-system-instance", "--id", instanceID)
				hasMembers(out, "summary")
				instanceSummary(obj(out, "summary"), "UNDEPLOY_IN_PROGRESS", "greengrassGroupId", "greengrassGroupVersionId")
				tgFails(ctx, "ResourceInUseException", "undeploy-system-instance", "--id", instanceID)
				Eventually(func(g Gomega) string {
					out, stderr, code := awsCLI(ctx, bin, h, nil, "iotthingsgraph", "get-system-instance", "--id", instanceID)
					g.Expect(code).To(Equal(0), stderr)
					var o struct {
						Description struct{ Summary struct{ Status string } }
					}
					g.Expect(json.Unmarshal([]byte(out), &o)).To(Succeed())
					return o.Description.Summary.Status
				}).WithContext(ctx).WithTimeout(30 * time.Second).WithPolling(200 * time.Millisecond).Should(Equal("DELETED_IN_TARGET"))
				tgFails(ctx, "ResourceInUseException", "undeploy-system-instance", "--id", instanceID)

				// The instance still uses the account's device: the namespace
				// cannot go yet (the request is accepted, the deletion FAILS).
				del := tg(ctx, "delete-namespace")
				hasMembers(del, "namespaceArn", "namespaceName")
				st := tg(ctx, "get-namespace-deletion-status")
				hasMembers(st, "namespaceArn", "namespaceName", "status", "errorCode", "errorMessage")
				Expect(st).To(HaveKeyWithValue("status", "FAILED"))
				Expect(st).To(HaveKeyWithValue("errorCode", "VALIDATION_FAILED"))
				Expect(st).To(HaveKeyWithValue("errorMessage", ContainSubstring(instanceID)))
				Expect(tg(ctx, "describe-namespace")).To(HaveKeyWithValue("namespaceName", nsName))

				Expect(tg(ctx, "delete-system-instance", "--id", instanceID)).To(BeEmpty())
				tgFails(ctx, "ResourceNotFoundException", "get-system-instance", "--id", instanceID)
				tgFails(ctx, "ResourceNotFoundException", "search-flow-executions", "--system-instance-id", instanceID)
				tgFails(ctx, "ResourceNotFoundException", "list-flow-execution-messages", "--flow-execution-id", executionID)
				Expect(list(tg(ctx, "search-system-instances"), "summaries")).To(BeEmpty())
				// The model has no ResourceNotFoundException for DeleteSystemInstance.
				tgFails(ctx, "InvalidRequestException", "delete-system-instance", "--id", instanceID)
				tgFails(ctx, "InvalidRequestException", "list-tags-for-resource", "--resource-arn", instanceArn)
			}, SpecTimeout(2*time.Minute))

			It("deprecates and deletes the system and the flow", func(ctx SpecContext) {
				Expect(tg(ctx, "deprecate-system-template", "--id", systemID)).To(BeEmpty())
				Expect(tg(ctx, "deprecate-flow-template", "--id", flowID)).To(BeEmpty())
				tgFails(ctx, "ResourceNotFoundException", "deprecate-flow-template", "--id", ns+":Workflow:NoSuchFlow")
				tgFails(ctx, "ResourceNotFoundException", "deprecate-system-template", "--id", ns+":System:NoSuchSystem")
				// Deprecated: readable, not revisable.
				Expect(list(tg(ctx, "get-flow-template-revisions", "--id", flowID), "summaries")).To(HaveLen(2))
				tgFails(ctx, "InvalidRequestException", "update-flow-template", "--id", flowID, "--definition", definition("flow2", "# revision 2\n"+readTDM("security-flow.workflow.graphql")))

				Expect(tg(ctx, "delete-system-template", "--id", systemID)).To(BeEmpty())
				Expect(tg(ctx, "delete-flow-template", "--id", flowID)).To(BeEmpty())
				tgFails(ctx, "ResourceNotFoundException", "get-flow-template", "--id", flowID)
				tgFails(ctx, "ResourceNotFoundException", "get-system-template", "--id", systemID)
				tgFails(ctx, "ResourceNotFoundException", "get-flow-template-revisions", "--id", flowID)
				tgFails(ctx, "ResourceNotFoundException", "get-system-template-revisions", "--id", systemID)
				// The model has no ResourceNotFoundException for the deletes.
				tgFails(ctx, "InvalidRequestException", "delete-flow-template", "--id", flowID)
				tgFails(ctx, "InvalidRequestException", "delete-system-template", "--id", systemID)
				Expect(list(tg(ctx, "search-flow-templates"), "summaries")).To(BeEmpty())
				Expect(list(tg(ctx, "search-system-templates"), "summaries")).To(BeEmpty())
			}, SpecTimeout(2*time.Minute))

			It("dissociates the things", func(ctx SpecContext) {
				for _, thing := range []string{"CliCam", "CliMotion", "CliScreen"} {
					Expect(tg(ctx, "dissociate-entity-from-thing", "--thing-name", thing, "--entity-type", "DEVICE")).To(BeEmpty())
				}
				tgFails(ctx, "ResourceNotFoundException", "dissociate-entity-from-thing", "--thing-name", "CliCam", "--entity-type", "DEVICE")
				tgFails(ctx, "InvalidRequestException", "dissociate-entity-from-thing", "--thing-name", "CliCam", "--entity-type", "GADGET")
				out := tg(ctx, "search-things", "--entity-id", deviceID)
				hasMembers(out, "things")
				Expect(list(out, "things")).To(BeEmpty())
			}, SpecTimeout(2*time.Minute))

			It("deletes the namespace", func(ctx SpecContext) {
				out := tg(ctx, "delete-namespace")
				hasMembers(out, "namespaceArn", "namespaceName")
				Expect(out).To(HaveKeyWithValue("namespaceArn", nsArn))
				Expect(out).To(HaveKeyWithValue("namespaceName", nsName))
				st := tg(ctx, "get-namespace-deletion-status")
				hasMembers(st, "namespaceArn", "namespaceName", "status")
				Expect(st).To(HaveKeyWithValue("namespaceArn", nsArn))
				Expect(st).To(HaveKeyWithValue("namespaceName", nsName))
				Expect(st).To(HaveKeyWithValue("status", "SUCCEEDED"))
				tgFails(ctx, "ResourceNotFoundException", "describe-namespace")
				tgFails(ctx, "ResourceNotFoundException", "get-entities", "--ids", deviceID)
				// The public namespace is untouched.
				Expect(list(tg(ctx, "get-entities", "--ids", "urn:tdm:aws/examples:device:RaspberryPiCamera"), "descriptions")).To(HaveLen(1))
			}, SpecTimeout(2*time.Minute))

			It("called every aws iotthingsgraph command", func() {
				got := make([]string, 0, len(covered))
				for c := range covered {
					got = append(got, c)
				}
				sort.Strings(got)
				Expect(got).To(ConsistOf(thingsGraphCommands))
				AddReportEntry("aws iotthingsgraph commands through "+version, strings.Join(got, " "))
			})
		})
	}
})
