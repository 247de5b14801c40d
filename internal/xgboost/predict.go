package xgboost

import (
	"fmt"
	"math"
	"runtime"
	"sync"
)

// PredictOptions selects what Predict computes.
type PredictOptions struct {
	// IterationBegin and IterationEnd select the boosting rounds [begin, end)
	// whose trees are used, like Booster.predict's iteration_range. A round
	// holds num_parallel_tree trees per output group. IterationEnd 0 means
	// all rounds. gblinear ignores the range, as XGBoost does.
	IterationBegin, IterationEnd int
	// OutputMargin returns the raw margins (NumGroups values per row) instead
	// of the objective's transformed output.
	OutputMargin bool
	// UseBestIteration makes an unset range (0, 0) mean (0, best_iteration+1)
	// when the model has a best_iteration attribute, which is what XGBoost's
	// scikit-learn wrapper does. The default follows Booster.predict: all
	// rounds.
	UseBestIteration bool

	generic bool // tests: force the generic traversal for every tree
}

// blockRows is the number of rows taken through all trees together.
const blockRows = 128

// treeRange maps the options' rounds to trees.
func (m *Model) treeRange(opt PredictOptions) (int, int, error) {
	begin, end := opt.IterationBegin, opt.IterationEnd
	if opt.UseBestIteration && begin == 0 && end == 0 {
		if best, ok := m.BestIteration(); ok {
			end = best + 1
		}
	}
	rounds := m.NumRounds()
	if end == 0 {
		end = rounds
	}
	if begin < 0 || end < begin || end > rounds {
		return 0, 0, fmt.Errorf("xgboost: iteration range [%d, %d) is outside the model's %d rounds", begin, end, rounds)
	}
	return int(m.iterPtr[begin]), int(m.iterPtr[end]), nil
}

// Predict computes predictions for nrows rows. features holds the rows one
// after another, NumFeatures values each, as float32 (callers convert from
// float64 by rounding to nearest, as XGBoost does); NaN marks a missing value.
// out receives OutputWidth(opt) values per row. The results are bit-identical
// to XGBoost's Booster.predict on x86-64 Linux (see docs/xgboost.md).
//
// Predict runs on the calling goroutine and may be called concurrently; use
// PredictParallel to spread one large batch over several goroutines.
func (m *Model) Predict(features []float32, nrows int, out []float32, opt PredictOptions) error {
	tb, te, err := m.check(features, nrows, out, opt)
	if err != nil || nrows == 0 {
		return err
	}
	s := m.getScratch(nrows)
	defer scratchPool.Put(s)
	w := m.OutputWidth(opt)
	nf := m.numFeature
	for r := 0; r < nrows; r += blockRows {
		nb := min(blockRows, nrows-r)
		m.predictBlock(s, features[r*nf:(r+nb)*nf], nb, out[r*w:(r+nb)*w], tb, te, opt)
	}
	return nil
}

// PredictParallel is Predict with the rows split over up to threads
// goroutines (threads <= 0 means GOMAXPROCS). Each row's result is the same
// as with Predict: rows are independent, and a row's trees are always summed
// in order by one goroutine.
func (m *Model) PredictParallel(features []float32, nrows int, out []float32, opt PredictOptions, threads int) error {
	tb, te, err := m.check(features, nrows, out, opt)
	if err != nil {
		return err
	}
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	blocks := (nrows + blockRows - 1) / blockRows
	threads = min(threads, blocks)
	if threads <= 1 {
		return m.Predict(features, nrows, out, opt)
	}
	w := m.OutputWidth(opt)
	nf := m.numFeature
	var wg sync.WaitGroup
	per := (blocks + threads - 1) / threads
	for t := 0; t < threads; t++ {
		r0 := t * per * blockRows
		r1 := min(nrows, (t+1)*per*blockRows)
		if r0 >= r1 {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := m.getScratch(r1 - r0)
			defer scratchPool.Put(s)
			for r := r0; r < r1; r += blockRows {
				nb := min(blockRows, r1-r)
				m.predictBlock(s, features[r*nf:(r+nb)*nf], nb, out[r*w:(r+nb)*w], tb, te, opt)
			}
		}()
	}
	wg.Wait()
	return nil
}

func (m *Model) check(features []float32, nrows int, out []float32, opt PredictOptions) (int, int, error) {
	if nrows < 0 {
		return 0, 0, fmt.Errorf("xgboost: negative row count %d", nrows)
	}
	if need := nrows * m.numFeature; len(features) < need {
		return 0, 0, fmt.Errorf("xgboost: %d rows of %d features need %d values, have %d", nrows, m.numFeature, need, len(features))
	}
	if need := nrows * m.OutputWidth(opt); len(out) < need {
		return 0, 0, fmt.Errorf("xgboost: %d rows need %d output values, have %d", nrows, need, len(out))
	}
	if m.booster == boosterLinear {
		return 0, 0, nil
	}
	return m.treeRange(opt)
}

// scratch is per-goroutine working memory for one block of rows.
type scratch struct {
	buf  []float32 // two columns of blockRows values per feature (missing as +Inf / -Inf)
	acc  []float32 // margins, nGroups per row
	rows []float32 // a row-major block, for PredictColumns with generic trees
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// getScratch returns working memory for blocks of up to min(nrows, blockRows)
// rows.
func (m *Model) getScratch(nrows int) *scratch {
	s := scratchPool.Get().(*scratch)
	rows := min(nrows, blockRows)
	if n := blockRows * 2 * m.numFeature; m.anyFast && cap(s.buf) < n {
		s.buf = make([]float32, n)
	}
	if n := rows * m.nGroups; cap(s.acc) < n {
		s.acc = make([]float32, n)
	}
	return s
}

// predictBlock computes up to blockRows rows given row-major.
func (m *Model) predictBlock(s *scratch, rows []float32, nb int, out []float32, tb, te int, opt PredictOptions) {
	nf := m.numFeature
	m.predictBlockWith(s, rows, func(buf []float32) { fillBuf(rows, buf, nb, nf) }, nb, out, tb, te, opt)
}

// predictBlockWith computes up to blockRows rows. rows (row-major) is used
// by gblinear and by trees that take the generic traversal; fill writes the
// block's feature columns for the fast traversal (see fillBuf).
func (m *Model) predictBlockWith(s *scratch, rows []float32, fill func(buf []float32), nb int, out []float32, tb, te int, opt PredictOptions) {
	ng := m.nGroups
	nf := m.numFeature
	acc := s.acc[:nb*ng]
	for r := 0; r < nb; r++ {
		copy(acc[r*ng:(r+1)*ng], m.baseMargin)
	}
	if m.booster == boosterLinear {
		m.linearBlock(rows, nb, acc)
	} else {
		needBuf := false
		for t := tb; t < te && !needBuf; t++ {
			needBuf = m.trees[t].fast && m.trees[t].depth > 0
		}
		if opt.generic {
			needBuf = false
		}
		var buf []float32
		if needBuf {
			buf = s.buf[:blockRows*2*nf]
			fill(buf)
		}
		dart := m.weights != nil
		for t := tb; t < te; t++ {
			tr := &m.trees[t]
			var w float32
			if dart {
				w = m.weights[t]
			}
			switch {
			case tr.depth == 0:
				leafAll(tr, m.nodes, acc, nb, ng, dart, w)
			case tr.fast && !opt.generic:
				m.fastTree(tr, buf, nb, acc, ng, dart, w)
			default:
				m.genericTree(tr, rows, nf, nb, acc, ng, dart, w)
			}
		}
	}
	w := m.OutputWidth(opt)
	if opt.OutputMargin || m.obj.kind == objIdentity {
		copy(out[:nb*ng], acc)
		return
	}
	for r := 0; r < nb; r++ {
		m.obj.transformRow(acc[r*ng:(r+1)*ng], out[r*w:(r+1)*w])
	}
}

// Column is one feature column for PredictColumns. Values[r] is the
// feature's value in row r. The value is missing when it is NaN or, when
// Valid is set, when bit r%64 of Valid[r/64] is clear: the validity bitmap
// of DuckDB and Arrow vectors, so that a columnar engine's memory is used as
// it is, without first writing NaN over its NULLs.
type Column struct {
	Values []float32
	Valid  []uint64
}

// PredictColumns is Predict for features given column by column: cols[f]
// holds feature f of every row (at least nrows values). The results are the
// same as Predict's on the equivalent row-major input. Column input is what
// a columnar engine such as DuckDB holds: it is read without first being
// rearranged into rows (unless the model has trees that need the generic
// traversal, or is gblinear).
func (m *Model) PredictColumns(cols []Column, nrows int, out []float32, opt PredictOptions) error {
	if len(cols) != m.numFeature {
		return fmt.Errorf("xgboost: %d feature columns given, the model has %d features", len(cols), m.numFeature)
	}
	for f, c := range cols {
		if len(c.Values) < nrows {
			return fmt.Errorf("xgboost: feature column %d has %d values, want %d", f, len(c.Values), nrows)
		}
		if c.Valid != nil && len(c.Valid)*64 < nrows {
			return fmt.Errorf("xgboost: feature column %d has a validity bitmap of %d bits, want %d", f, len(c.Valid)*64, nrows)
		}
	}
	tb, te, err := m.check(nil, 0, out, opt)
	if err != nil || nrows == 0 {
		return err
	}
	nf, w := m.numFeature, m.OutputWidth(opt)
	if len(out) < nrows*w {
		return fmt.Errorf("xgboost: %d rows need %d output values, have %d", nrows, nrows*w, len(out))
	}
	needRows := m.booster == boosterLinear
	for t := tb; t < te && !needRows; t++ {
		tr := &m.trees[t]
		needRows = tr.depth > 0 && (!tr.fast || opt.generic)
	}
	s := m.getScratch(nrows)
	defer scratchPool.Put(s)
	var rows []float32
	if needRows {
		if cap(s.rows) < blockRows*nf {
			s.rows = make([]float32, blockRows*nf)
		}
		rows = s.rows[:blockRows*nf]
	}
	nan := float32(math.NaN())
	for r := 0; r < nrows; r += blockRows {
		nb := min(blockRows, nrows-r)
		if needRows {
			for f, c := range cols {
				for i, x := range c.Values[r : r+nb] {
					if c.Valid != nil && !bitSet(c.Valid, r+i) {
						x = nan
					}
					rows[i*nf+f] = x
				}
			}
		}
		m.predictBlockWith(s, rows, func(buf []float32) { fillBufColumns(cols, r, buf, nb) }, nb, out[r*w:(r+nb)*w], tb, te, opt)
	}
	return nil
}

func bitSet(words []uint64, i int) bool { return words[i>>6]&(1<<(i&63)) != 0 }

// fillBufColumns is fillBuf for column input, rows [start, start+nb).
func fillBufColumns(cols []Column, start int, buf []float32, nb int) {
	inf := float32(math.Inf(1))
	for f, c := range cols {
		hi := buf[(2*f)*blockRows : (2*f)*blockRows+nb]
		lo := buf[(2*f+1)*blockRows : (2*f+1)*blockRows+nb]
		vals := c.Values[start : start+nb]
		// Two loops: one loop testing for a bitmap per value made
		// PredictColumns about 5% slower.
		if c.Valid == nil {
			for i, x := range vals {
				if x != x {
					hi[i], lo[i] = inf, -inf
				} else {
					hi[i], lo[i] = x, x
				}
			}
			continue
		}
		for i, x := range vals {
			if x != x || !bitSet(c.Valid, start+i) {
				hi[i], lo[i] = inf, -inf
			} else {
				hi[i], lo[i] = x, x
			}
		}
	}
}

// fillBuf writes the block's features column by column: column 2f holds
// feature f with missing values as +Inf, column 2f+1 with missing values as
// -Inf; each column has blockRows entries (one per row).
func fillBuf(rows, buf []float32, nb, nf int) {
	inf := float32(math.Inf(1))
	for r := 0; r < nb; r++ {
		row := rows[r*nf : (r+1)*nf]
		for f, x := range row {
			hi, lo := x, x
			if x != x {
				hi, lo = inf, -inf
			}
			buf[(2*f)*blockRows+r] = hi
			buf[(2*f+1)*blockRows+r] = lo
		}
	}
}

// addLeaf adds a tree's leaf value to a margin with XGBoost's arithmetic. For
// DART, XGBoost predicts the tree alone into a zeroed buffer (0 + leaf) and
// adds that times the weight; the explicit float32 conversion keeps the
// product from being fused into an FMA.
func addLeaf(acc *float32, leaf float32, dart bool, w float32) {
	if dart {
		p := float32(0) + leaf
		*acc += float32(p * w)
		return
	}
	*acc += leaf
}

func leafAll(tr *tree, nodes []node, acc []float32, nb, ng int, dart bool, w float32) {
	leaf := math.Float32frombits(nodes[tr.off].val)
	g := int(tr.group)
	for r := 0; r < nb; r++ {
		addLeaf(&acc[r*ng+g], leaf, dart, w)
	}
}

// genericTree walks one tree for each row with XGBoost's rules, including
// categorical splits: missing goes to the default child; a numeric split goes
// left when x < threshold; a categorical split goes right when the value,
// truncated to an integer, is one of the node's categories.
func (m *Model) genericTree(tr *tree, rows []float32, nf, nb int, acc []float32, ng int, dart bool, w float32) {
	nodes := m.nodes[tr.off : tr.off+tr.n]
	g := int(tr.group)
	for r := 0; r < nb; r++ {
		row := rows[r*nf : (r+1)*nf]
		i := int32(0)
		for {
			n := &nodes[i]
			if n.child == i {
				addLeaf(&acc[r*ng+g], math.Float32frombits(n.val), dart, w)
				break
			}
			f, dl := featIndex(n.feat)
			x := row[f]
			var left bool
			switch {
			case x != x:
				left = dl
			case n.feat&featCat != 0:
				left = !m.inCategories(n.val, x)
			default:
				left = x < n.thr
			}
			if left {
				i = n.child
			} else {
				i = n.child + 1
			}
		}
	}
}

// inCategories reports whether the category x (a non-missing value) is in
// the set at offset off, with XGBoost's validity rule: negative values and
// values >= 2^24 are never in a set.
func (m *Model) inCategories(off uint32, x float32) bool {
	if x < 0 || x >= maxCategory {
		return false
	}
	c := uint32(x)
	h := m.cats[off]
	if h&(1<<31) != 0 {
		words := h &^ (1 << 31)
		if c/32 >= words {
			return false
		}
		return m.cats[int(off)+1+int(c/32)]>>(c%32)&1 != 0
	}
	set := m.cats[int(off)+1 : int(off)+1+int(h)]
	lo, hi := 0, len(set)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if set[mid] < c {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo < len(set) && set[lo] == c
}

// linearBlock adds gblinear's weights: for each group, margin = (bias +
// base) + sum over present features, in feature order, of float32(x*w).
func (m *Model) linearBlock(rows []float32, nb int, acc []float32) {
	ng := m.nGroups
	nf := m.numFeature
	bias := m.linear[nf*ng:]
	for r := 0; r < nb; r++ {
		row := rows[r*nf : (r+1)*nf]
		for g := 0; g < ng; g++ {
			psum := bias[g] + acc[r*ng+g]
			for f, x := range row {
				if x != x {
					continue
				}
				psum += float32(x * m.linear[f*ng+g])
			}
			acc[r*ng+g] = psum
		}
	}
}

// Classify turns one row's transformed outputs (NumOutputs values from
// Predict without OutputMargin) into a label and per-class probabilities,
// like XGBClassifier's predict and predict_proba:
//   - binary:* models: probs = [1-p, p] and label 1 when p > 0.5;
//   - multi:softprob: probs are the k outputs and the label is the first
//     largest (a NaN counts as largest, as in NumPy's argmax);
//   - multi:softmax: the label is the output class index; probs is nil
//     (XGBoost has no probabilities for it).
//
// For other objectives, and for multi-label binary models (num_target > 1),
// it returns label -1 and nil.
func (m *Model) Classify(out []float32) (label int, probs []float32) {
	if k := m.ClassProbs(); k > 0 {
		probs = make([]float32, k)
	}
	if label = m.ClassifyInto(out, probs); label < 0 {
		return -1, nil
	}
	return label, probs
}

// ClassProbs is the number of class probabilities Classify gives per row:
// 2 for binary objectives, num_class for multi:softprob, and 0 for
// multi:softmax and for models that are not single-label classifiers.
func (m *Model) ClassProbs() int {
	switch {
	case m.obj.kind == objSoftprob:
		return m.nGroups
	case m.obj.kind != objSoftmax && m.NumClasses() == 2 && m.nGroups == 1:
		return 2
	}
	return 0
}

// ClassifyInto is Classify without allocating, for ML_PREDICT's batches:
// it writes the probabilities into probs (ClassProbs() values) and returns
// the label, or -1 where Classify returns -1.
func (m *Model) ClassifyInto(out, probs []float32) int {
	switch {
	case m.obj.kind == objSoftmax:
		if len(out) < 1 || out[0] != out[0] {
			return -1
		}
		return int(out[0])
	case m.obj.kind == objSoftprob:
		if len(out) < m.nGroups || len(probs) < m.nGroups {
			return -1
		}
		copy(probs, out[:m.nGroups])
		return npArgmax(probs[:m.nGroups])
	case m.NumClasses() == 2 && m.nGroups == 1:
		if len(out) < 1 || len(probs) < 2 {
			return -1
		}
		p := out[0]
		probs[0], probs[1] = 1-p, p
		if p > 0.5 {
			return 1
		}
		return 0
	}
	return -1
}

// npArgmax is NumPy's argmax: the first NaN, else the first maximum.
func npArgmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x != x {
			return i
		}
		if x > v[best] {
			best = i
		}
	}
	return best
}
