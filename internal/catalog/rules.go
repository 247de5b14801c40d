package catalog

import (
	"fmt"
	"github.com/modelsql/modelsql/internal/llm"
	"github.com/modelsql/modelsql/internal/objstore"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// Source and model types.
const (
	SourceImport   = "IMPORT"
	SourceRemote   = "REMOTE"
	SourceInternal = "INTERNAL_TRAIN" // trained by modelsql (CREATE MODEL ... AS query)

	TypeClassifier = "BOOSTED_TREE_CLASSIFIER"
	TypeRegressor  = "BOOSTED_TREE_REGRESSOR"
	TypeLLM        = "LLM"
	TypeMLLM       = "MLLM"
)

// Option keys MaxCompute documents.
const (
	OptSourceType  = "MODEL_SOURCE_TYPE"
	OptModelType   = "MODEL_TYPE"
	OptLocation    = "LOCATION"
	OptRoleARN     = "ROLEARN"
	OptTasks       = "TASKS"
	OptEASModel    = "PAI_EAS_MODEL_NAME"
	OptEASService  = "PAI_EAS_SERVICE_NAME"
	OptEndpoint    = "ENDPOINT"
	OptAPIKey      = "APIKEY"
	OptSyncMode    = "PAI_EAS_SYNC_MODE"
	OptSyncTimeout = "PAI_EAS_SYNC_REQUEST_TIMEOUT"
)

// Limits from the MaxCompute documentation.
const (
	MaxNameBytes    = 256
	MaxColumnBytes  = 128
	MaxCommentBytes = 1024
	MinTimeoutMS    = 5000
	MaxTimeoutMS    = 1800000
	DefaultTimeout  = "5000"
)

var commonOptions = []string{OptSourceType, OptModelType}
var importOptions = []string{OptLocation, OptRoleARN}
var remoteOptions = []string{OptTasks, OptEASModel, OptEASService, OptEndpoint, OptAPIKey, OptSyncMode, OptSyncTimeout}

// Tasks allowed per remote model type. The seed document registers an MLLM
// with TASKS='text-generation', so MLLM accepts the text tasks too.
var tasksByType = map[string][]string{
	TypeLLM:  {"text-generation", "chat", "sentence-embedding"},
	TypeMLLM: {"text-generation", "chat", "image-text-to-text", "multi-modal-embedding"},
}

var allTasks = []string{"text-generation", "chat", "sentence-embedding", "image-text-to-text", "multi-modal-embedding"}

// ValidateObjectName checks a model or version name: letters, digits and
// '_', starting with a letter, at most 256 bytes.
func ValidateObjectName(kind, name string) error {
	if name == "" {
		return fmt.Errorf("%s name is empty", kind)
	}
	if len(name) > MaxNameBytes {
		return fmt.Errorf("%s name %q is %d bytes long; the limit is %d bytes", kind, abbreviate(name), len(name), MaxNameBytes)
	}
	for i, r := range name {
		letter := r < 128 && unicode.IsLetter(r)
		digit := r >= '0' && r <= '9'
		if i == 0 && !letter {
			return fmt.Errorf("%s name %q must start with a letter (a-z, A-Z)", kind, name)
		}
		if !letter && !digit && r != '_' {
			return fmt.Errorf("%s name %q contains %q; only letters, digits and '_' are allowed", kind, name, r)
		}
	}
	return nil
}

// ValidateVersionName adds the reserved-word rule to ValidateObjectName.
func ValidateVersionName(name string) error {
	if err := ValidateObjectName("version", name); err != nil {
		return err
	}
	if strings.EqualFold(name, "default_version") {
		return fmt.Errorf("version name %q is reserved: DEFAULT_VERSION refers to the model's default version", name)
	}
	return nil
}

func isCJK(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul)
}

// ValidateColumns checks INPUT columns and normalises their types.
func ValidateColumns(cols []Column) ([]Column, error) {
	seen := map[string]bool{}
	out := make([]Column, len(cols))
	for i, c := range cols {
		if c.Name == "" {
			return nil, fmt.Errorf("input column %d has no name", i+1)
		}
		if len(c.Name) > MaxColumnBytes {
			return nil, fmt.Errorf("input column name %q is %d bytes long; the limit is %d bytes", abbreviate(c.Name), len(c.Name), MaxColumnBytes)
		}
		for j, r := range c.Name {
			letter := (r < 128 && unicode.IsLetter(r)) || isCJK(r)
			if j == 0 && !letter {
				return nil, fmt.Errorf("input column name %q must start with a letter", c.Name)
			}
			if !letter && !(r >= '0' && r <= '9') && r != '_' {
				return nil, fmt.Errorf("input column name %q contains %q; only letters, digits, '_' and Chinese characters are allowed", c.Name, r)
			}
		}
		key := strings.ToLower(c.Name)
		if seen[key] {
			return nil, fmt.Errorf("input column %q is declared twice", c.Name)
		}
		seen[key] = true
		t, err := NormalizeType(c.Type)
		if err != nil {
			return nil, fmt.Errorf("input column %q: %w", c.Name, err)
		}
		out[i] = Column{Name: c.Name, Type: t}
	}
	return out, nil
}

// NormalizeType checks a MaxCompute primitive type and returns its canonical spelling.
func NormalizeType(t string) (string, error) {
	u := strings.ToUpper(strings.Join(strings.Fields(t), ""))
	base, args, hasArgs := strings.Cut(u, "(")
	if hasArgs {
		if !strings.HasSuffix(args, ")") {
			return "", fmt.Errorf("malformed type %q", t)
		}
		args = strings.TrimSuffix(args, ")")
	}
	for _, complex := range []string{"ARRAY", "MAP", "STRUCT"} {
		if strings.HasPrefix(u, complex) {
			return "", fmt.Errorf("type %s is not allowed: model inputs must be primitive types (%s)", t, primitiveList)
		}
	}
	switch base {
	case "TINYINT", "SMALLINT", "INT", "BIGINT", "FLOAT", "DOUBLE", "BOOLEAN", "STRING", "BINARY", "DATE", "DATETIME", "TIMESTAMP":
		if hasArgs {
			return "", fmt.Errorf("type %s takes no parameters", base)
		}
		return base, nil
	case "INTEGER":
		if hasArgs {
			return "", fmt.Errorf("type %s takes no parameters", base)
		}
		return "INT", nil
	case "DECIMAL":
		if !hasArgs {
			return "DECIMAL(10,0)", nil
		}
		p, s, two := strings.Cut(args, ",")
		pi, err1 := strconv.Atoi(p)
		si := 0
		var err2 error
		if two {
			si, err2 = strconv.Atoi(s)
		}
		if err1 != nil || err2 != nil || pi < 1 || pi > 38 || si < 0 || si > pi {
			return "", fmt.Errorf("type %s: DECIMAL(p,s) needs 1 <= p <= 38 and 0 <= s <= p", t)
		}
		return fmt.Sprintf("DECIMAL(%d,%d)", pi, si), nil
	case "VARCHAR", "CHAR":
		limit := 65535
		if base == "CHAR" {
			limit = 255
		}
		n, err := strconv.Atoi(args)
		if !hasArgs || err != nil || n < 1 || n > limit {
			return "", fmt.Errorf("type %s: %s(n) needs 1 <= n <= %d", t, base, limit)
		}
		return fmt.Sprintf("%s(%d)", base, n), nil
	}
	return "", fmt.Errorf("unknown type %s; supported: %s", t, primitiveList)
}

const primitiveList = "TINYINT, SMALLINT, INT, BIGINT, FLOAT, DOUBLE, DECIMAL(p,s), BOOLEAN, STRING, VARCHAR(n), CHAR(n), BINARY, DATE, DATETIME, TIMESTAMP"

// ValidateComment checks the comment length.
func ValidateComment(c *string) error {
	if c != nil && len(*c) > MaxCommentBytes {
		return fmt.Errorf("comment is %d bytes long; the limit is %d bytes", len(*c), MaxCommentBytes)
	}
	return nil
}

// OptionEntry is one option as written.
type OptionEntry struct{ Key, Value string }

// ResolveOptions checks a version's options against the rules of the source
// type. existing is the model when adding a version (nil on create): its
// source and model types fill in omitted values and a different value is
// refused. hasInput tells whether INPUT(...) was given. It returns the
// options with MODEL_SOURCE_TYPE and MODEL_TYPE upper-cased and defaults
// filled in.
func ResolveOptions(opts []OptionEntry, existing *Model, hasInput bool) (map[string]string, error) {
	out := map[string]string{}
	for _, o := range opts {
		k := strings.ToUpper(o.Key)
		if _, dup := out[k]; dup {
			return nil, fmt.Errorf("option %s is given more than once", k)
		}
		out[k] = o.Value
	}
	src := strings.ToUpper(strings.TrimSpace(out[OptSourceType]))
	if _, ok := out[OptSourceType]; ok {
		out[OptSourceType] = src
	}
	mt := strings.ToUpper(strings.TrimSpace(out[OptModelType]))
	if _, ok := out[OptModelType]; ok {
		out[OptModelType] = mt
	}
	if existing != nil {
		if src == "" {
			src = existing.SourceType
		} else if src != existing.SourceType {
			return nil, fmt.Errorf("MODEL_SOURCE_TYPE cannot be changed: model %s is %s, the new version says %s", existing.Name, existing.SourceType, src)
		}
		if mt == "" {
			mt = existing.ModelType
		} else if mt != existing.ModelType {
			return nil, fmt.Errorf("MODEL_TYPE cannot be changed: model %s is %s, the new version says %s", existing.Name, existing.ModelType, mt)
		}
		out[OptSourceType], out[OptModelType] = src, mt
	}
	switch src {
	case "":
		return nil, fmt.Errorf("option MODEL_SOURCE_TYPE is required ('IMPORT' or 'REMOTE')")
	case "INTERNAL_TRAIN":
		return nil, fmt.Errorf("MODEL_SOURCE_TYPE 'INTERNAL_TRAIN' needs a training query: CREATE MODEL m WITH VERSION v OPTIONS(MODEL_TYPE = ..., LABEL_COL = ...) AS SELECT ... (docs/training.md); use 'IMPORT' to import an XGBoost file or 'REMOTE' for a PAI-EAS service")
	case SourceImport, SourceRemote:
	default:
		return nil, fmt.Errorf("MODEL_SOURCE_TYPE %q is not valid; use 'IMPORT' or 'REMOTE'", out[OptSourceType])
	}
	var allowedTypes, own, other []string
	if src == SourceImport {
		allowedTypes, own, other = []string{TypeClassifier, TypeRegressor}, importOptions, remoteOptions
	} else {
		allowedTypes, own, other = []string{TypeLLM, TypeMLLM}, remoteOptions, importOptions
	}
	if mt == "" {
		return nil, fmt.Errorf("option MODEL_TYPE is required for %s models (%s)", src, strings.Join(allowedTypes, " or "))
	}
	if !contains(allowedTypes, mt) {
		return nil, fmt.Errorf("MODEL_TYPE %q is not valid for MODEL_SOURCE_TYPE %s; use %s", mt, src, strings.Join(allowedTypes, " or "))
	}
	// Unknown and misplaced options.
	known := append(append([]string{}, commonOptions...), own...)
	if src == SourceRemote {
		known = append(known, llm.ExtensionOptionKeys()...)
	}
	keys := sortedKeys(out)
	for _, k := range keys {
		if contains(known, k) {
			continue
		}
		if contains(other, k) || (src == SourceImport && contains(llm.ExtensionOptionKeys(), k)) {
			return nil, fmt.Errorf("option %s belongs to %s models and is not allowed for MODEL_SOURCE_TYPE %s", k, otherSource(src), src)
		}
		all := append(append(append(append([]string{}, commonOptions...), importOptions...), remoteOptions...), llm.ExtensionOptionKeys()...)
		if s := nearest(k, all); s != "" {
			return nil, fmt.Errorf("unknown option %s; did you mean %s?", k, s)
		}
		return nil, fmt.Errorf("unknown option %s", k)
	}
	if src == SourceImport {
		if !hasInput {
			return nil, fmt.Errorf("INPUT(...) is required for IMPORT models: declare the model's feature columns in order")
		}
		loc, ok := out[OptLocation]
		if !ok || strings.TrimSpace(loc) == "" {
			return nil, fmt.Errorf("option LOCATION is required for IMPORT models")
		}
		// ROLEARN is optional: without it, storage.json's default_role is
		// used, else the read is anonymous; local and http(s) locations
		// ignore it (docs/storage.md).
		return out, nil
	}
	// PAI_EAS_SERVICE_NAME may be left out when ENDPOINT already ends in
	// /api/predict/<service>; llm.EndpointFromOptions (below) says so when
	// neither names the service.
	required := []string{OptTasks, OptEASModel, OptEndpoint, OptAPIKey, OptSyncMode}
	openai := strings.EqualFold(strings.TrimSpace(out["API_FLAVOR"]), "openai")
	if openai {
		// A plain OpenAI-compatible server has no EAS service nor EAS
		// modes, and local servers such as Ollama need no key.
		required = []string{OptTasks, OptEASModel, OptEndpoint}
		if _, ok := out[OptSyncMode]; !ok {
			out[OptSyncMode] = "true"
		}
	}
	for _, k := range required {
		if v, ok := out[k]; !ok || strings.TrimSpace(v) == "" {
			return nil, fmt.Errorf("option %s is required for REMOTE models", k)
		}
	}
	tasks := strings.Split(out[OptTasks], ",")
	for i, t := range tasks {
		t = strings.ToLower(strings.TrimSpace(t))
		tasks[i] = t
		if !contains(allTasks, t) {
			return nil, fmt.Errorf("TASKS value %q is not valid; use one of %s", t, strings.Join(allTasks, ", "))
		}
		if !contains(tasksByType[mt], t) {
			return nil, fmt.Errorf("TASKS value %q does not fit MODEL_TYPE %s; %s models take %s", t, mt, mt, strings.Join(tasksByType[mt], ", "))
		}
	}
	out[OptTasks] = strings.Join(tasks, ",")
	u, err := url.Parse(out[OptEndpoint])
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("ENDPOINT %q is not an http or https URL", out[OptEndpoint])
	}
	if !strings.EqualFold(strings.TrimSpace(out[OptSyncMode]), "true") {
		return nil, fmt.Errorf("PAI_EAS_SYNC_MODE must be 'true' (only synchronous calls are supported), got %q", out[OptSyncMode])
	}
	out[OptSyncMode] = "true"
	if v, ok := out[OptSyncTimeout]; ok {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < MinTimeoutMS || n > MaxTimeoutMS {
			return nil, fmt.Errorf("PAI_EAS_SYNC_REQUEST_TIMEOUT %q must be an integer number of milliseconds from %d to %d", v, MinTimeoutMS, MaxTimeoutMS)
		}
		out[OptSyncTimeout] = strconv.Itoa(n)
	} else {
		out[OptSyncTimeout] = DefaultTimeout
	}
	// modelsql's own options (API_FLAVOR, MAX_CONCURRENCY, ...) are checked
	// by the client that reads them.
	if _, err := llm.EndpointFromOptions(out); err != nil {
		return nil, err
	}
	return out, nil
}

// IsLocalLocation reports whether a LOCATION names the local file system.
func IsLocalLocation(loc string) bool {
	_, local, _ := objstore.LocalPath(loc)
	return local
}

func otherSource(src string) string {
	if src == SourceImport {
		return SourceRemote
	}
	return SourceImport
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// nearest returns the candidate closest to s by edit distance, or "" when
// none is close enough to be a plausible typo.
func nearest(s string, candidates []string) string {
	best, bestD := "", len(s)/2+2
	for _, c := range candidates {
		if d := editDistance(s, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func abbreviate(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
