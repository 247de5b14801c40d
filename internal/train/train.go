// Package train trains XGBoost boosters with XGBoost itself: its C library
// (libxgboost, loaded at run time; see capi.go) gets the data as dense
// float32 columns, and the booster it produces is what XGBoost's Python
// package would produce from the same rows, parameters and seed.
package train

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Data is a training (or evaluation) set: NRows rows of len(Names)
// features, one float32 slice per feature (Columns[j][i] is row i, feature
// j; NaN is missing), and one float32 label per row.
type Data struct {
	Names   []string
	Columns [][]float32
	Labels  []float32
	NRows   int
}

// Param is one XGBoost parameter, passed to XGBoosterSetParam in order.
type Param struct{ Key, Value string }

// Config is one training run.
type Config struct {
	Params    []Param // XGBoost parameters (objective, eta, max_depth, seed, ...)
	Rounds    int     // boosting rounds (num_boost_round)
	EarlyStop int     // stop when the evaluation metric has not improved for this many rounds; 0: never (needs Eval)
	Threads   int     // DMatrix construction threads; 0: XGBoost's default
}

// Round is one round's evaluation: metric name -> value per data set
// ("train", "eval").
type Round struct {
	Iteration int                           `json:"iteration"`
	Metrics   map[string]map[string]float64 `json:"metrics"`
}

// Result is a trained booster.
type Result struct {
	Model         []byte  // UBJSON
	History       []Round // one entry per round trained
	BestIteration int     // -1 without early stopping
	BestScore     float64
	Rounds        int // rounds in Model
	Duration      time.Duration
	Library       string // libxgboost version
}

// Progress is told after each round: done of total rounds.
type Progress func(done, total int)

// Train trains a booster on train, evaluating on eval (which may be nil)
// after each round, as xgboost.train(params, dtrain, rounds,
// evals=[(dtrain, "train"), (deval, "eval")]) does. The attributes attrs
// returns (given the result so far; attrs may be nil) are stored in the
// booster (XGBoosterSetAttr) before it is saved. It stops between rounds
// when ctx is cancelled. Train lets go of train's and eval's Columns and
// Labels (sets them to nil) once XGBoost holds its own copy, so that the
// caller's copy can be freed during training.
func Train(ctx context.Context, cfg Config, train, eval *Data, attrs func(*Result) map[string]string, progress Progress) (*Result, error) {
	c, err := load()
	if err != nil {
		return nil, err
	}
	// XGBoost's random engine (row and column sampling) is per OS thread
	// and seeded when the booster is configured: every call of one
	// training must run on the same thread for the seed to mean anything.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if cfg.Rounds < 1 {
		return nil, fmt.Errorf("the number of rounds must be at least 1")
	}
	if cfg.EarlyStop > 0 && eval == nil {
		return nil, fmt.Errorf("early stopping needs evaluation data")
	}
	start := time.Now()
	dtrain, err := buildDMatrix(c, train, cfg.Threads)
	if err != nil {
		return nil, fmt.Errorf("training data: %w", err)
	}
	defer dtrain.free()
	train.Columns, train.Labels = nil, nil
	sets, names := []*dmatrix{dtrain}, []string{"train"}
	if eval != nil {
		deval, err := buildDMatrix(c, eval, cfg.Threads)
		if err != nil {
			return nil, fmt.Errorf("evaluation data: %w", err)
		}
		defer deval.free()
		eval.Columns, eval.Labels = nil, nil
		sets, names = append(sets, deval), append(names, "eval")
	}
	// Give the rows' memory back before XGBoost builds its histograms.
	debug.FreeOSMemory()
	b, err := c.newBooster(sets)
	if err != nil {
		return nil, err
	}
	defer b.free()
	if err := b.setFeatureNames(train.Names); err != nil {
		return nil, err
	}
	// As xgboost.Booster.__init__: the parameters in order, then validate_parameters.
	for _, p := range cfg.Params {
		if err := b.setParam(p.Key, p.Value); err != nil {
			return nil, err
		}
	}
	if err := b.setParam("validate_parameters", "True"); err != nil {
		return nil, err
	}
	res := &Result{BestIteration: -1, Library: fmt.Sprintf("%d.%d.%d", c.major, c.minor, c.patch)}
	var stopper *earlyStop
	if cfg.EarlyStop > 0 {
		stopper = &earlyStop{rounds: cfg.EarlyStop}
	}
	for i := 0; i < cfg.Rounds; i++ {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("training cancelled after %d of %d rounds", i, cfg.Rounds)
		}
		if err := b.update(i, dtrain); err != nil {
			return nil, err
		}
		line, err := b.eval(i, sets, names)
		if err != nil {
			return nil, err
		}
		r, last, err := parseEval(i, line)
		if err != nil {
			return nil, err
		}
		res.History = append(res.History, r)
		if progress != nil {
			progress(i+1, cfg.Rounds)
		}
		if stopper != nil && stopper.update(i, last) {
			break
		}
	}
	final := b
	res.Rounds = len(res.History)
	if stopper != nil {
		res.BestIteration, res.BestScore = stopper.bestIter, stopper.best
		// As EarlyStopping(save_best=True): keep the rounds up to the best.
		if stopper.bestIter+1 < len(res.History) {
			s, err := b.slice(0, stopper.bestIter+1)
			if err != nil {
				return nil, err
			}
			defer s.free()
			final = s
			res.Rounds = stopper.bestIter + 1
		}
	}
	res.Duration = time.Since(start)
	if attrs != nil {
		a := attrs(res)
		for _, k := range sortedKeys(a) {
			if err := final.setAttr(k, a[k]); err != nil {
				return nil, err
			}
		}
	}
	res.Model, err = final.save("ubj")
	if err != nil {
		return nil, err
	}
	return res, nil
}

func buildDMatrix(c *capi, d *Data, threads int) (*dmatrix, error) {
	if d.NRows == 0 {
		return nil, fmt.Errorf("no rows")
	}
	if len(d.Labels) != d.NRows {
		return nil, fmt.Errorf("internal error: %d labels for %d rows", len(d.Labels), d.NRows)
	}
	nthread := -1
	if threads > 0 {
		nthread = threads
	}
	if len(d.Columns) != len(d.Names) {
		return nil, fmt.Errorf("internal error: %d columns for %d names", len(d.Columns), len(d.Names))
	}
	m, err := c.newDMatrixColumns(d.Columns, d.NRows, nthread)
	if err != nil {
		return nil, err
	}
	if err := m.setLabels(d.Labels); err != nil {
		m.free()
		return nil, err
	}
	if err := m.setFeatureNames(d.Names); err != nil {
		m.free()
		return nil, err
	}
	return m, nil
}

// lastMetric is the last metric of the last data set of a round, which
// XGBoost's early stopping watches.
type lastMetric struct {
	name  string
	value float64
}

// parseEval reads "[i]\ttrain-rmse:1.5\teval-rmse:1.7".
func parseEval(iter int, line string) (Round, lastMetric, error) {
	r := Round{Iteration: iter, Metrics: map[string]map[string]float64{}}
	var last lastMetric
	fields := strings.Split(strings.TrimSpace(line), "\t")
	for _, f := range fields[1:] {
		k, v, ok := strings.Cut(f, ":")
		set, metric, ok2 := strings.Cut(k, "-")
		if !ok || !ok2 {
			return r, last, fmt.Errorf("unexpected evaluation output %q", line)
		}
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return r, last, fmt.Errorf("unexpected evaluation output %q", line)
		}
		if r.Metrics[metric] == nil {
			r.Metrics[metric] = map[string]float64{}
		}
		r.Metrics[metric][set] = x
		last = lastMetric{metric, x}
	}
	if last.name == "" {
		return r, last, fmt.Errorf("unexpected evaluation output %q", line)
	}
	return r, last, nil
}

// earlyStop is xgboost.callback.EarlyStopping (1.7) with min_delta 0.
type earlyStop struct {
	rounds   int
	maximize *bool
	best     float64
	bestIter int
	stale    int
	started  bool
}

// maximizeMetrics are the metrics XGBoost's EarlyStopping maximizes.
var maximizeMetrics = []string{"auc", "aucpr", "map", "ndcg", "auc@", "aucpr@", "map@", "ndcg@"}

func metricMaximizes(name string) bool {
	if name == "mape" {
		return false
	}
	for _, m := range maximizeMetrics {
		if strings.HasPrefix(name, m) {
			return true
		}
	}
	return false
}

func (e *earlyStop) update(iter int, m lastMetric) bool {
	if e.maximize == nil {
		mx := metricMaximizes(m.name)
		e.maximize = &mx
	}
	better := func(a, b float64) bool {
		if *e.maximize {
			return a > b
		}
		return a < b
	}
	switch {
	case !e.started:
		e.started, e.best, e.bestIter = true, m.value, iter
	case !better(m.value, e.best):
		e.stale++
	default:
		e.best, e.bestIter, e.stale = m.value, iter, 0
	}
	return e.stale >= e.rounds
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
