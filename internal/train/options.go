package train

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Model and source types of trained models (as package catalog spells them).
const (
	SourceInternal = "INTERNAL_TRAIN"
	Classifier     = "BOOSTED_TREE_CLASSIFIER"
	Regressor      = "BOOSTED_TREE_REGRESSOR"
)

// optionDef is one training option: its XGBoost parameter (if any), its
// check and its default, which is XGBoost 1.7's.
type optionDef struct {
	key, param string
	check      func(string) error
	def        string
}

func intRange(lo, hi int) func(string) error {
	return func(v string) error {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < lo || n > hi {
			return fmt.Errorf("must be an integer from %d to %d", lo, hi)
		}
		return nil
	}
}

func floatRange(lo, hi float64, loOpen bool) func(string) error {
	return func(v string) error {
		x, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || x < lo || x > hi || (loOpen && x == lo) {
			open := "["
			if loOpen {
				open = "("
			}
			return fmt.Errorf("must be a number in %s%g, %g]", open, lo, hi)
		}
		return nil
	}
}

func oneOf(vals ...string) func(string) error {
	return func(v string) error {
		for _, x := range vals {
			if v == x {
				return nil
			}
		}
		return fmt.Errorf("must be one of %s", strings.Join(vals, ", "))
	}
}

func anyText(string) error { return nil }

const maxF = 1e300

// optionDefs are the training options in the order their parameters are
// given to XGBoost. Docs: docs/training.md.
var optionDefs = []optionDef{
	{"NUM_ROUNDS", "", intRange(1, 100000), "10"},
	{"MAX_DEPTH", "max_depth", intRange(0, 64), "6"},
	{"LEARNING_RATE", "eta", floatRange(0, 1, false), "0.3"},
	{"MIN_SPLIT_LOSS", "gamma", floatRange(0, maxF, false), "0"},
	{"MIN_CHILD_WEIGHT", "min_child_weight", floatRange(0, maxF, false), "1"},
	{"MAX_DELTA_STEP", "max_delta_step", floatRange(0, maxF, false), "0"},
	{"SUBSAMPLE", "subsample", floatRange(0, 1, true), "1"},
	{"COLSAMPLE_BYTREE", "colsample_bytree", floatRange(0, 1, true), "1"},
	{"COLSAMPLE_BYLEVEL", "colsample_bylevel", floatRange(0, 1, true), "1"},
	{"COLSAMPLE_BYNODE", "colsample_bynode", floatRange(0, 1, true), "1"},
	{"L1_REG", "alpha", floatRange(0, maxF, false), "0"},
	{"L2_REG", "lambda", floatRange(0, maxF, false), "1"},
	{"TREE_METHOD", "tree_method", oneOf("auto", "exact", "approx", "hist"), "auto"},
	{"MAX_BIN", "max_bin", intRange(2, 65536), "256"},
	{"EVAL_METRIC", "eval_metric", anyText, "the objective's"},
	{"SEED", "seed", intRange(-1<<31, 1<<31-1), "0"},
	{"NUM_THREADS", "nthread", intRange(0, 1024), "0"},
	{"EARLY_STOP_ROUNDS", "", intRange(1, 100000), ""},
	{"DATA_SPLIT_EVAL_FRACTION", "", floatRange(0, 1, true), ""},
	{"DATA_SPLIT_COL", "", anyText, ""},
	{"LABEL_COL", "", anyText, ""},
	{"OBJECTIVE", "", anyText, ""},
	{"MODEL_TYPE", "", anyText, ""},
	{"MODEL_SOURCE_TYPE", "", anyText, ""},
}

// Objectives allowed per model type (the first is the default; a
// classifier's default depends on the number of classes).
var (
	regressorObjectives  = []string{"reg:squarederror", "reg:squaredlogerror", "reg:pseudohubererror", "reg:absoluteerror", "reg:gamma", "reg:tweedie", "count:poisson"}
	classifierObjectives = []string{"binary:logistic", "multi:softprob"}
)

// Spec is a training statement's options, checked.
type Spec struct {
	ModelType    string
	LabelCol     string
	SplitCol     string
	EvalFraction float64
	EarlyStop    int
	Rounds       int
	Threads      int
	Objective    string            // "" for the model type's default
	Options      map[string]string // as stored with the version (keys upper-cased, defaults not filled in)
	params       []Param
}

// ParseOptions checks a training statement's options. existingType is the
// model's MODEL_TYPE when adding a version ("" on create).
func ParseOptions(opts map[string]string, existingType string) (*Spec, error) {
	defs := map[string]optionDef{}
	for _, d := range optionDefs {
		defs[d.key] = d
	}
	s := &Spec{Options: map[string]string{}, Rounds: 10}
	for k, v := range opts {
		k = strings.ToUpper(k)
		d, ok := defs[k]
		if !ok {
			return nil, fmt.Errorf("unknown training option %s (options: %s)", k, optionList())
		}
		if err := d.check(v); err != nil {
			return nil, fmt.Errorf("option %s %v, got %q", k, err, v)
		}
		s.Options[k] = strings.TrimSpace(v)
	}
	if src, ok := s.Options["MODEL_SOURCE_TYPE"]; ok && !strings.EqualFold(src, SourceInternal) {
		return nil, fmt.Errorf("a model trained with AS SELECT has MODEL_SOURCE_TYPE %s, not %s", SourceInternal, src)
	}
	s.Options["MODEL_SOURCE_TYPE"] = SourceInternal
	mt := strings.ToUpper(s.Options["MODEL_TYPE"])
	switch {
	case mt == "" && existingType != "":
		mt = existingType
	case mt == "":
		return nil, fmt.Errorf("option MODEL_TYPE is required: '%s' or '%s'", Classifier, Regressor)
	case existingType != "" && mt != existingType:
		return nil, fmt.Errorf("MODEL_TYPE cannot be changed: the model is %s, the new version says %s", existingType, mt)
	}
	if mt != Classifier && mt != Regressor {
		return nil, fmt.Errorf("MODEL_TYPE %q cannot be trained; use '%s' or '%s'", mt, Classifier, Regressor)
	}
	s.ModelType, s.Options["MODEL_TYPE"] = mt, mt
	s.LabelCol = s.Options["LABEL_COL"]
	if s.LabelCol == "" {
		return nil, fmt.Errorf("option LABEL_COL is required: the query's column holding the label")
	}
	s.SplitCol = s.Options["DATA_SPLIT_COL"]
	if v, ok := s.Options["DATA_SPLIT_EVAL_FRACTION"]; ok {
		if s.SplitCol != "" {
			return nil, fmt.Errorf("give DATA_SPLIT_COL or DATA_SPLIT_EVAL_FRACTION, not both")
		}
		s.EvalFraction, _ = strconv.ParseFloat(v, 64)
		if s.EvalFraction >= 1 {
			return nil, fmt.Errorf("option DATA_SPLIT_EVAL_FRACTION must be below 1")
		}
	}
	if strings.EqualFold(s.SplitCol, s.LabelCol) {
		return nil, fmt.Errorf("DATA_SPLIT_COL and LABEL_COL name the same column")
	}
	if v, ok := s.Options["EARLY_STOP_ROUNDS"]; ok {
		s.EarlyStop, _ = strconv.Atoi(v)
		if s.SplitCol == "" && s.EvalFraction == 0 {
			return nil, fmt.Errorf("EARLY_STOP_ROUNDS needs evaluation rows: give DATA_SPLIT_EVAL_FRACTION or DATA_SPLIT_COL")
		}
	}
	if v, ok := s.Options["NUM_ROUNDS"]; ok {
		s.Rounds, _ = strconv.Atoi(v)
	}
	if v, ok := s.Options["NUM_THREADS"]; ok {
		s.Threads, _ = strconv.Atoi(v)
	}
	if obj, ok := s.Options["OBJECTIVE"]; ok {
		allowed := regressorObjectives
		if mt == Classifier {
			allowed = classifierObjectives
		}
		if err := oneOf(allowed...)(obj); err != nil {
			return nil, fmt.Errorf("OBJECTIVE for %s %v, got %q", mt, err, obj)
		}
		s.Objective = obj
	}
	for _, d := range optionDefs {
		if v, ok := s.Options[d.key]; ok && d.param != "" && !(d.key == "NUM_THREADS" && v == "0") {
			s.params = append(s.params, Param{d.param, v})
		}
	}
	return s, nil
}

// Config returns the XGBoost configuration for numClasses classes (0 for
// a regressor).
func (s *Spec) Config(numClasses int) (Config, error) {
	var head []Param
	switch s.ModelType {
	case Regressor:
		obj := s.Objective
		if obj == "" {
			obj = regressorObjectives[0]
		}
		head = []Param{{"objective", obj}}
	default:
		if numClasses < 2 {
			return Config{}, fmt.Errorf("the label column %s has %d distinct value(s); a classifier needs at least 2 classes", s.LabelCol, numClasses)
		}
		obj := s.Objective
		if obj == "" {
			obj = "binary:logistic"
			if numClasses > 2 {
				obj = "multi:softprob"
			}
		}
		if obj == "binary:logistic" && numClasses > 2 {
			return Config{}, fmt.Errorf("OBJECTIVE binary:logistic needs 2 classes; the label column %s has %d", s.LabelCol, numClasses)
		}
		head = []Param{{"objective", obj}}
		if obj == "multi:softprob" {
			head = append(head, Param{"num_class", strconv.Itoa(numClasses)})
		}
	}
	return Config{Params: append(head, s.params...), Rounds: s.Rounds, EarlyStop: s.EarlyStop, Threads: s.Threads}, nil
}

func optionList() string {
	var keys []string
	for _, d := range optionDefs {
		keys = append(keys, d.key)
	}
	sort.Strings(keys)
	return strings.Join(keys, ", ")
}

// Defaults lists each option with its default, for documentation tests.
func Defaults() map[string]string {
	out := map[string]string{}
	for _, d := range optionDefs {
		if d.def != "" {
			out[d.key] = d.def
		}
	}
	return out
}
