package thingsgraph

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iot"
	bolt "go.etcd.io/bbolt"

	"github.com/tgsim/tgsim/fakes/awsproto"
	"github.com/tgsim/tgsim/sim/deploy"
)

// TargetPrefix is the X-Amz-Target prefix of every operation.
const TargetPrefix = "IotThingsGraphFrontEndService"

//go:embed public/*.graphql
var publicFS embed.FS

// Options configures a Service.
type Options struct {
	AccountID string
	Region    string
	// AWS is the configuration Things Graph calls S3, IoT and Greengrass with.
	AWS aws.Config
	// Endpoint is the edge URL those calls go to.
	Endpoint string
	Logger   *slog.Logger
	Now      func() time.Time
	NewID    func() string
	// MaxFlowTemplates and MaxSystemInstances make CreateFlowTemplate and
	// CreateSystemInstance answer LimitExceededException at that many; AWS
	// never published its figures [INF spec §7]. Zero is unlimited.
	MaxFlowTemplates   int
	MaxSystemInstances int
	// DataFile, when set, is a bbolt file that holds the service's state
	// across restarts (see store.go); New loads it and Close releases it.
	DataFile string
	// Cloud runs CLOUD flow configurations. Nil makes their deployment
	// fail with a message saying so.
	Cloud CloudRuntime
}

// Service is the Things Graph API as an http.Handler.
type Service struct {
	opts     Options
	log      *slog.Logger
	deployer *deploy.Deployer
	iot      *iot.Client
	ops      map[string]func(context.Context, []byte) (any, error)

	mu        sync.RWMutex
	public    *namespace
	accounts  map[string]*namespace // by namespace name REGION/ACCOUNT/default
	uploads   map[string]*upload
	things    map[string]map[string]string // thing name → entity type → entity id
	flows     map[string]*template         // by Key(id)
	systems   map[string]*template
	instances map[string]*instance
	deletions map[string]*deletion // by namespace name: the last DeleteNamespace

	execByID        map[string]*execution
	execsByInstance map[string][]*execution // by Key(instance id), ascending createdAt

	// db is the Options.DataFile store, nil without one; publicLog the
	// UpdatePublicNamespace texts it holds; broken is set when a failed
	// write could not be undone in memory.
	db        *bolt.DB
	dbClosed  bool
	broken    error
	publicLog []storedPublic
}

// New builds the service and loads the public namespace.
func New(opts Options) (*Service, error) {
	if opts.AccountID == "" {
		opts.AccountID = "000000000000"
	}
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.NewID == nil {
		opts.NewID = awsproto.NewRequestID
	}
	s := &Service{
		opts:      opts,
		log:       opts.Logger.With("component", "iotthingsgraph"),
		deployer:  deploy.New(deploy.Options{AWS: opts.AWS, Endpoint: opts.Endpoint, AccountID: opts.AccountID, Logger: opts.Logger}),
		accounts:  map[string]*namespace{},
		uploads:   map[string]*upload{},
		things:    map[string]map[string]string{},
		flows:     map[string]*template{},
		systems:   map[string]*template{},
		instances: map[string]*instance{},
		deletions: map[string]*deletion{},

		execByID:        map[string]*execution{},
		execsByInstance: map[string][]*execution{},
	}
	s.iot = iot.NewFromConfig(opts.AWS, func(o *iot.Options) {
		if opts.Endpoint != "" {
			o.BaseEndpoint = aws.String(opts.Endpoint)
		}
	})
	pub, err := loadPublic(opts.Now())
	if err != nil {
		return nil, fmt.Errorf("thingsgraph: public namespace: %w", err)
	}
	s.public = pub
	if opts.DataFile != "" {
		db, err := openStore(opts.DataFile)
		if err != nil {
			return nil, err
		}
		s.db = db
		if err := s.loadLocked(); err != nil {
			db.Close()
			return nil, fmt.Errorf("thingsgraph: load %s: %w", opts.DataFile, err)
		}
	}
	s.ops = map[string]func(context.Context, []byte) (any, error){
		"AssociateEntityToThing":     s.AssociateEntityToThing,
		"CreateFlowTemplate":         s.CreateFlowTemplate,
		"CreateSystemInstance":       s.CreateSystemInstance,
		"CreateSystemTemplate":       s.CreateSystemTemplate,
		"DeleteFlowTemplate":         s.DeleteFlowTemplate,
		"DeleteNamespace":            s.DeleteNamespace,
		"DeleteSystemInstance":       s.DeleteSystemInstance,
		"DeleteSystemTemplate":       s.DeleteSystemTemplate,
		"DeploySystemInstance":       s.DeploySystemInstance,
		"DeprecateFlowTemplate":      s.DeprecateFlowTemplate,
		"DeprecateSystemTemplate":    s.DeprecateSystemTemplate,
		"DescribeNamespace":          s.DescribeNamespace,
		"DissociateEntityFromThing":  s.DissociateEntityFromThing,
		"GetEntities":                s.GetEntities,
		"GetFlowTemplate":            s.GetFlowTemplate,
		"GetFlowTemplateRevisions":   s.GetFlowTemplateRevisions,
		"GetNamespaceDeletionStatus": s.GetNamespaceDeletionStatus,
		"GetSystemInstance":          s.GetSystemInstance,
		"GetSystemTemplate":          s.GetSystemTemplate,
		"GetSystemTemplateRevisions": s.GetSystemTemplateRevisions,
		"GetUploadStatus":            s.GetUploadStatus,
		"ListFlowExecutionMessages":  s.ListFlowExecutionMessages,
		"ListTagsForResource":        s.ListTagsForResource,
		"SearchEntities":             s.SearchEntities,
		"SearchFlowExecutions":       s.SearchFlowExecutions,
		"SearchFlowTemplates":        s.SearchFlowTemplates,
		"SearchSystemInstances":      s.SearchSystemInstances,
		"SearchSystemTemplates":      s.SearchSystemTemplates,
		"SearchThings":               s.SearchThings,
		"TagResource":                s.TagResource,
		"UndeploySystemInstance":     s.UndeploySystemInstance,
		"UntagResource":              s.UntagResource,
		"UpdateFlowTemplate":         s.UpdateFlowTemplate,
		"UpdateSystemTemplate":       s.UpdateSystemTemplate,
		"UploadEntityDefinitions":    s.UploadEntityDefinitions,
	}
	return s, nil
}

// modelOperations are the 35 operations of the API model; those not in
// s.ops answer "not implemented yet" rather than "unknown".
var modelOperations = strings.Fields(`AssociateEntityToThing CreateFlowTemplate CreateSystemInstance
CreateSystemTemplate DeleteFlowTemplate DeleteNamespace DeleteSystemInstance DeleteSystemTemplate
DeploySystemInstance DeprecateFlowTemplate DeprecateSystemTemplate DescribeNamespace
DissociateEntityFromThing GetEntities GetFlowTemplate GetFlowTemplateRevisions
GetNamespaceDeletionStatus GetSystemInstance GetSystemTemplate GetSystemTemplateRevisions
GetUploadStatus ListFlowExecutionMessages ListTagsForResource SearchEntities SearchFlowExecutions
SearchFlowTemplates SearchSystemInstances SearchSystemTemplates SearchThings TagResource
UndeploySystemInstance UntagResource UpdateFlowTemplate UpdateSystemTemplate UploadEntityDefinitions`)

func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	errOpts := awsproto.JSONErrorOptions{InternalCode: codeInternalFailure, ContentType: awsproto.JSON11ContentType, Logger: s.log}
	if r.URL.Path == ExecutionsPath {
		errOpts.ContentType = "application/json"
		s.serveReport(w, r, errOpts)
		return
	}
	if r.Method != http.MethodPost || r.URL.Path != "/" {
		awsproto.WriteJSONError(ctx, w, awsproto.NewError(http.StatusNotFound, awsproto.CodeUnknownOperation,
			"%s %s: the Things Graph API is POST / with an X-Amz-Target header", r.Method, r.URL.Path), errOpts)
		return
	}
	op, err := awsproto.Target(r, TargetPrefix)
	if err != nil {
		awsproto.WriteJSONError(ctx, w, err, errOpts)
		return
	}
	h, ok := s.ops[op]
	if !ok {
		if contains(modelOperations, op) {
			err = invalidRequest("operation %s is part of the Things Graph API but not implemented by this tgsim version yet", op)
		} else {
			err = awsproto.NewError(http.StatusBadRequest, awsproto.CodeUnknownOperation, "operation %s is not part of the Things Graph API (iotthingsgraph 2018-09-06)", op)
		}
		awsproto.WriteJSONError(ctx, w, err, errOpts)
		return
	}
	body, err := awsproto.ReadBody(r)
	if err != nil {
		awsproto.WriteJSONError(ctx, w, err, errOpts)
		return
	}
	s.log.DebugContext(ctx, "request", "op", op, "request_id", awsproto.RequestID(ctx))
	out, err := h(ctx, body)
	if err != nil {
		awsproto.WriteJSONError(ctx, w, err, errOpts)
		return
	}
	if out == nil {
		out = struct{}{}
	}
	awsproto.WriteJSON(w, http.StatusOK, awsproto.JSON11ContentType, out)
}

// awsConfigFor returns the SDK configuration to act for the caller with:
// the caller's own credentials when the edge verified them (AWS services
// that call others on a user's behalf use forward access sessions), else
// the service's.
func (s *Service) awsConfigFor(ctx context.Context) aws.Config {
	cfg := s.opts.AWS.Copy()
	if c, ok := awsproto.CallerCredentials(ctx); ok {
		cfg.Credentials = credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, c.SessionToken)
	}
	return cfg
}

// deployerFor returns a Deployer acting as the caller.
func (s *Service) deployerFor(ctx context.Context) *deploy.Deployer {
	if _, ok := awsproto.CallerCredentials(ctx); !ok {
		return s.deployer
	}
	return deploy.New(deploy.Options{AWS: s.awsConfigFor(ctx), Endpoint: s.opts.Endpoint, AccountID: s.opts.AccountID, Logger: s.opts.Logger})
}

// iotFor returns an IoT client acting as the caller.
func (s *Service) iotFor(ctx context.Context) *iot.Client {
	if _, ok := awsproto.CallerCredentials(ctx); !ok {
		return s.iot
	}
	return iot.NewFromConfig(s.awsConfigFor(ctx), func(o *iot.Options) {
		if s.opts.Endpoint != "" {
			o.BaseEndpoint = aws.String(s.opts.Endpoint)
		}
	})
}

// region returns the request's region, else the default.
func (s *Service) region(ctx context.Context) string {
	if info, ok := awsproto.RequestInfoFrom(ctx); ok && info.Region != "" {
		return info.Region
	}
	return s.opts.Region
}

func (s *Service) account(ctx context.Context) string {
	if info, ok := awsproto.RequestInfoFrom(ctx); ok && info.AccountID != "" {
		return info.AccountID
	}
	return s.opts.AccountID
}

// epoch encodes a time as the JSON number of seconds AWS JSON uses.
type epoch time.Time

func (e epoch) MarshalJSON() ([]byte, error) {
	t := time.Time(e)
	return []byte(strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', 3, 64)), nil
}

// definitionDocument is the API's DefinitionDocument.
type definitionDocument struct {
	Language string `json:"language"`
	Text     string `json:"text"`
}

func (d *definitionDocument) validate(member string) error {
	if d == nil {
		return invalidRequest("%s is required", member)
	}
	if d.Language != "GRAPHQL" {
		return invalidRequest("%s.language must be GRAPHQL, found %q", member, d.Language)
	}
	if d.Text == "" {
		return invalidRequest("%s.text is required", member)
	}
	if n := len([]rune(d.Text)); n > 1048576 {
		return invalidRequest("%s.text has %d characters; the maximum is 1048576", member, n)
	}
	return nil
}

func decode(body []byte, v any) error { return awsproto.DecodeJSON(body, v) }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

var _ json.Marshaler = epoch{}
