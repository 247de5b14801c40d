package xgboost

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"unicode/utf8"
)

// ErrUnsupported is wrapped by errors for valid XGBoost models that this
// package does not evaluate (for example vector-leaf trees).
var ErrUnsupported = errors.New("unsupported")

// Format is the encoding a model was loaded from.
type Format int

const (
	FormatJSON         Format = iota + 1 // JSON text (save_model("*.json"))
	FormatUBJSON                         // Universal Binary JSON (save_model("*.ubj"))
	FormatBinary                         // legacy binary with the "binf" magic (XGBoost 1.0–3.0)
	FormatBinaryPre1_0                   // legacy binary without magic (XGBoost < 1.0)
)

func (f Format) String() string {
	switch f {
	case FormatJSON:
		return "json"
	case FormatUBJSON:
		return "ubjson"
	case FormatBinary:
		return "binary"
	case FormatBinaryPre1_0:
		return "binary-pre-1.0"
	}
	return "unknown"
}

// Booster kinds.
const (
	boosterTree   = "gbtree"
	boosterDart   = "dart"
	boosterLinear = "gblinear"
)

// node is one tree node in the compact 16-byte layout used for prediction.
// Each tree's nodes are stored breadth-first in Model.nodes, and the two
// children of a node are adjacent: the left child is at child, the right
// child at child+1 (XGBoost itself computes the right child as left+1).
//
//   - feat locates the split feature in the prediction buffer. Prediction
//     keeps, for a block of blockRows rows, two columns per feature: column
//     2f with missing values replaced by +Inf and column 2f+1 with missing
//     values replaced by -Inf. feat is the byte offset of column 2f+dl in
//     that buffer, (2f+dl) << featShift, where dl is 1 when missing values go
//     left; then "x >= thr" sends missing values right exactly when the
//     default direction is right. Bit 31 marks a categorical split.
//   - thr is the split threshold; NaN for leaves, so that a leaf never moves
//     (x >= NaN is false) and a fixed number of steps reaches the leaf.
//   - child is the index of the left child, relative to the tree's first
//     node; a leaf points to itself.
//   - val is the float32 bits of a leaf's value; for a categorical split it
//     is the offset of the category set in Model.cats.
type node struct {
	thr   float32
	feat  uint32
	child int32
	val   uint32
}

const (
	featCat   = 1 << 31
	featShift = 9 // log2(blockRows * 4): one buffer column is blockRows float32s
)

// featIndex decodes a node's feature index and default direction.
func featIndex(feat uint32) (f uint32, dl bool) {
	c := (feat &^ featCat) >> featShift
	return c >> 1, c&1 == 1
}

// tree describes one tree in Model.nodes.
type tree struct {
	off   int32 // index of the root in Model.nodes
	n     int32 // number of nodes
	depth int32 // number of steps from the root to the deepest leaf
	group int32 // output group (class or target) the tree adds to
	// fast is set when the branch-free traversal is exact for this tree: no
	// categorical split, no NaN threshold, no -Inf threshold on a node whose
	// missing values go left.
	fast bool
	cat  bool // has a categorical split
}

// Model is an XGBoost model ready for prediction. It is immutable after Load
// and safe for concurrent use.
type Model struct {
	format     Format
	version    [3]int
	objective  string
	obj        objective
	booster    string
	numFeature int
	numClass   int
	numTarget  int
	nGroups    int // margin values per row: max(num_class, num_target, 1)

	baseScore  []float32 // as stored (prediction space), one per group
	baseMargin []float32 // after the objective's ProbToMargin, one per group

	nodes   []node
	trees   []tree
	iterPtr []int32   // boosting round r holds trees [iterPtr[r], iterPtr[r+1])
	weights []float32 // DART tree weights, nil for plain gbtree
	cats    []uint32  // category sets of categorical splits
	allFast bool      // every tree is fast
	anyFast bool      // some tree is fast

	linear []float32 // gblinear weights, feature-major, biases last

	featureNames []string
	featureTypes []string
	attributes   map[string]string
}

// Format reports the encoding the model was loaded from.
func (m *Model) Format() Format { return m.format }

// Version is the XGBoost version recorded in the model ([0,0,0] if unknown,
// for example in binary files before 1.0).
func (m *Model) Version() [3]int { return m.version }

// Objective is the objective's name, e.g. "binary:logistic".
func (m *Model) Objective() string { return m.objective }

// Booster is "gbtree", "dart" or "gblinear".
func (m *Model) Booster() string { return m.booster }

// NumFeatures is the number of input features per row.
func (m *Model) NumFeatures() int { return m.numFeature }

// NumGroups is the number of raw margin values per row: the number of
// classes for multi-class models, the number of targets for multi-target
// regression, otherwise 1. Predict with OutputMargin writes this many values
// per row.
func (m *Model) NumGroups() int { return m.nGroups }

// NumOutputs is the number of values per row that Predict writes without
// OutputMargin: 1 for multi:softmax (the class index) and NumGroups otherwise.
func (m *Model) NumOutputs() int {
	if m.obj.kind == objSoftmax {
		return 1
	}
	return m.nGroups
}

// OutputWidth is the number of values per row that Predict writes with opt.
func (m *Model) OutputWidth(opt PredictOptions) int {
	if opt.OutputMargin {
		return m.nGroups
	}
	return m.NumOutputs()
}

// NumTrees is the number of trees (0 for gblinear).
func (m *Model) NumTrees() int { return len(m.trees) }

// NumRounds is the number of boosting rounds (iterations) of a tree model.
func (m *Model) NumRounds() int {
	if len(m.iterPtr) == 0 {
		return 0
	}
	return len(m.iterPtr) - 1
}

// IsClassification reports whether the objective is a classifier's:
// binary:* (logistic, logitraw, hinge) or multi:* (softmax, softprob).
// reg:logistic is treated as regression: its output is a probability-valued
// regression target, and XGBoost's sklearn wrapper uses it with XGBRegressor.
func (m *Model) IsClassification() bool {
	return strings.HasPrefix(m.objective, "binary:") || strings.HasPrefix(m.objective, "multi:")
}

// NumClasses is 2 for binary classifiers, num_class for multi-class models and
// 0 for everything else.
func (m *Model) NumClasses() int {
	switch {
	case strings.HasPrefix(m.objective, "binary:"):
		return 2
	case strings.HasPrefix(m.objective, "multi:"):
		return m.nGroups
	}
	return 0
}

// BaseScore returns the stored base_score (in prediction space) per group.
func (m *Model) BaseScore() []float32 { return append([]float32(nil), m.baseScore...) }

// BaseMargin returns the starting margin per group (base_score after the
// objective's link function), to which the trees are added.
func (m *Model) BaseMargin() []float32 { return append([]float32(nil), m.baseMargin...) }

// FeatureNames returns the training feature names (nil if not recorded).
func (m *Model) FeatureNames() []string { return append([]string(nil), m.featureNames...) }

// FeatureTypes returns the training feature types ("float", "int", "i", "q",
// or "c" for categorical), nil if not recorded.
func (m *Model) FeatureTypes() []string { return append([]string(nil), m.featureTypes...) }

// Attributes returns a copy of the model's string attributes (best_iteration,
// best_score, scikit_learn, user attributes).
func (m *Model) Attributes() map[string]string {
	out := make(map[string]string, len(m.attributes))
	for k, v := range m.attributes {
		out[k] = v
	}
	return out
}

// BestIteration returns the best_iteration attribute set by early stopping.
func (m *Model) BestIteration() (int, bool) {
	s, ok := m.attributes["best_iteration"]
	if !ok {
		return 0, false
	}
	var v int
	if _, err := fmt.Sscan(strings.TrimSpace(s), &v); err != nil || v < 0 {
		return 0, false
	}
	return v, true
}

// EstimatorType returns the scikit-learn estimator type recorded by
// XGBoost's sklearn wrapper in the scikit_learn attribute ("classifier",
// "regressor", "ranker", ...), or "" when the model was not saved from it.
func (m *Model) EstimatorType() string {
	s, ok := m.attributes["scikit_learn"]
	if !ok {
		return ""
	}
	// Not encoding/json: XGBoost 1.x writes "missing": NaN in it.
	v, err := readStringMap(newJSONReader([]byte(s)))
	if err != nil {
		return ""
	}
	return v["_estimator_type"]
}

// MemoryBytes estimates the memory held by the model, for byte-bounded caches.
func (m *Model) MemoryBytes() int64 {
	n := int64(200)
	n += int64(cap(m.nodes)) * 16
	n += int64(cap(m.trees)) * 20
	n += int64(cap(m.iterPtr)+cap(m.weights)+cap(m.cats)+cap(m.linear)+cap(m.baseScore)+cap(m.baseMargin)) * 4
	for _, s := range m.featureNames {
		n += int64(len(s)) + 16
	}
	for _, s := range m.featureTypes {
		n += int64(len(s)) + 16
	}
	for k, v := range m.attributes {
		n += int64(len(k)+len(v)) + 48
	}
	return n
}

// Load decodes a model saved by XGBoost. The encoding is recognised by the
// first bytes, not a file name: "binf" is the legacy binary format; '{'
// followed (after optional spaces) by '"' or '}' is JSON text; '{' followed by
// a UBJSON length marker is UBJSON; JSON may follow a UTF-8 byte order
// mark; other text (a JSON array, a CSV file) is refused as not a model;
// anything else is tried as the binary format of XGBoost before 1.0. Load never panics; malformed, truncated or
// unsupported input gives an error that says what is wrong and where.
func Load(data []byte) (m *Model, err error) {
	defer func() {
		// Defence in depth: every access is bounds-checked by the decoders,
		// but a decoder bug must surface as an error, not a crash.
		if p := recover(); p != nil {
			m, err = nil, fmt.Errorf("xgboost: internal error while loading: %v", p)
		}
	}()
	switch {
	case len(data) >= 4 && string(data[:4]) == "binf":
		return loadBinary(data[4:], FormatBinary)
	case len(data) >= 4 && string(data[:4]) == "bs64":
		return nil, fmt.Errorf("xgboost: the base64 model format (\"bs64\") is not supported (XGBoost rejects it too)")
	}
	// A JSON model saved by an editor may start with a UTF-8 byte order mark.
	if text, ok := bytes.CutPrefix(data, []byte("\xEF\xBB\xBF")); ok {
		if t := bytes.TrimLeft(text, " \t\r\n"); len(t) > 0 && t[0] == '{' {
			return loadDocument(newJSONReader(text), FormatJSON)
		}
		return nil, notAModel(text)
	}
	if bytes.HasPrefix(data, []byte("\xFF\xFE")) || bytes.HasPrefix(data, []byte("\xFE\xFF")) {
		return nil, fmt.Errorf("xgboost: invalid model: UTF-16 text (it starts with a UTF-16 byte order mark); save a JSON model as UTF-8")
	}
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] == '{' {
		rest := bytes.TrimLeft(trimmed[1:], " \t\r\n")
		switch {
		case len(rest) > 0 && (rest[0] == '"' || rest[0] == '}'):
			return loadDocument(newJSONReader(data), FormatJSON)
		case len(trimmed) == len(data) && len(data) > 1 && isUBJLengthMarker(data[1]):
			return loadDocument(newUBJReader(data), FormatUBJSON)
		}
		if len(trimmed) != len(data) || len(data) < 136 {
			return nil, fmt.Errorf("xgboost: invalid model: starts with '{' but is neither JSON nor UBJSON")
		}
	}
	// Any other text (a JSON array, a CSV file) is not a model: a binary
	// model always holds zero bytes (its reserved parameter fields).
	if len(trimmed) > 0 && isText(data) {
		return nil, notAModel(data)
	}
	if len(data) == 0 {
		return nil, fmt.Errorf("xgboost: empty model")
	}
	return loadBinary(data, FormatBinaryPre1_0)
}

// isText reports whether data is UTF-8 text without control characters
// other than tab, CR and LF.
func isText(data []byte) bool {
	if !utf8.Valid(data) {
		return false
	}
	for _, c := range data {
		if c < ' ' && c != '\t' && c != '\r' && c != '\n' || c == 0x7f {
			return false
		}
	}
	return true
}

// notAModel is the error for text that is not a JSON object: XGBoost's
// JSON models are objects with "learner" and "version".
func notAModel(text []byte) error {
	t := bytes.TrimLeft(text, " \t\r\n")
	kind := "text that is not JSON"
	switch {
	case len(t) == 0:
		return fmt.Errorf("xgboost: empty model (only a byte order mark or spaces)")
	case !json.Valid(t):
	case t[0] == '[':
		kind = "a JSON array"
	case t[0] == '"':
		kind = "a JSON string"
	default:
		kind = "JSON that is not an object"
	}
	return fmt.Errorf("xgboost: invalid model: %s, not an XGBoost model (a JSON model is an object with \"learner\" and \"version\", as written by save_model)", kind)
}

func isUBJLengthMarker(c byte) bool {
	switch c {
	case 'i', 'U', 'I', 'l', 'L', '}', 'N':
		return true
	}
	return false
}

// rawTree holds one tree's arrays as decoded, before conversion to nodes.
// The builder reuses it for every tree.
type rawTree struct {
	numNodes       int64 // from tree_param; -1 if absent
	numFeature     int64
	sizeLeafVector int64
	id             int64 // -1 if absent
	left, right    []int32
	splitIndex     []int64
	cond           []float32
	defaultLeft    []uint8
	splitType      []uint8
	hasSplitType   bool
	catNodes       []int32
	catSegments    []int64
	catSizes       []int64
	categories     []int32
	// scratch for conversion
	newIdx []int32
	queue  []int32
	depth  []int32
	catSet []uint32
	catOf  []int32
}

func (t *rawTree) reset() {
	t.numNodes, t.numFeature, t.sizeLeafVector, t.id = -1, -1, 0, -1
	t.left, t.right = t.left[:0], t.right[:0]
	t.splitIndex = t.splitIndex[:0]
	t.cond = t.cond[:0]
	t.defaultLeft = t.defaultLeft[:0]
	t.splitType = t.splitType[:0]
	t.hasSplitType = false
	t.catNodes = t.catNodes[:0]
	t.catSegments = t.catSegments[:0]
	t.catSizes = t.catSizes[:0]
	t.categories = t.categories[:0]
}

// maxFeature bounds feature indices: the byte offset of a feature's buffer
// columns must fit in the 31 bits of node.feat.
const maxFeature = 1 << (30 - featShift)

// maxFastFeature bounds the features of a model that uses the branch-free
// traversal, whose buffer holds 2 * blockRows values per feature.
const maxFastFeature = 1 << 15

// maxCategory is XGBoost's bound on category values (OutOfRangeCat).
const maxCategory = 1 << 24

// builder assembles a Model from decoded parts.
type builder struct {
	m *Model

	baseScore      []float32 // nil if absent
	numFeature     int64     // -1 if absent
	numClass       int64
	numTarget      int64
	objective      string
	boosterName    string
	numTrees       int64 // gbtree_model_param.num_trees, -1 if absent
	numParallel    int64
	treeInfo       []int32
	indptr         []int64
	hasIndptr      bool
	weightDrop     []float32
	hasWeightDrop  bool
	linear         []float32
	hasLinear      bool
	maxSplitFeat   int64
	preV1          bool // binary before 1.0: base_score is stored as a margin
	sizeLeafVector int64

	raw rawTree
}

func newBuilder(format Format) *builder {
	return &builder{
		m:            &Model{format: format},
		numFeature:   -1,
		numClass:     -1,
		numTarget:    -1,
		numTrees:     -1,
		numParallel:  -1,
		maxSplitFeat: -1,
	}
}

// addTree converts b.raw into compact nodes appended to the model.
func (b *builder) addTree() error {
	t := &b.raw
	idx := len(b.m.trees)
	where := func(format string, args ...any) error {
		return fmt.Errorf("xgboost: tree %d: "+format, append([]any{idx}, args...)...)
	}
	if t.id >= 0 && t.id != int64(idx) {
		return where("id is %d, want %d (trees must be stored in order)", t.id, idx)
	}
	if t.sizeLeafVector > 1 {
		return fmt.Errorf("xgboost: tree %d: %w: vector-leaf (multi-target) trees with size_leaf_vector %d", idx, ErrUnsupported, t.sizeLeafVector)
	}
	n := int64(len(t.left))
	if t.numNodes >= 0 {
		n = t.numNodes
	}
	if n <= 0 {
		return where("num_nodes is %d, want at least 1", n)
	}
	if n > math.MaxInt32/2 {
		return where("num_nodes %d is too large", n)
	}
	check := func(name string, have int) error {
		if int64(have) != n {
			return where("%s has %d entries, want %d", name, have, n)
		}
		return nil
	}
	if err := check("left_children", len(t.left)); err != nil {
		return err
	}
	if err := check("right_children", len(t.right)); err != nil {
		return err
	}
	if err := check("split_indices", len(t.splitIndex)); err != nil {
		return err
	}
	if err := check("split_conditions", len(t.cond)); err != nil {
		return err
	}
	if err := check("default_left", len(t.defaultLeft)); err != nil {
		return err
	}
	if t.hasSplitType {
		if err := check("split_type", len(t.splitType)); err != nil {
			return err
		}
	}
	nn := int(n)

	// Categorical splits: node -> index into catNodes.
	t.catOf = t.catOf[:0]
	hasCat := false
	if t.hasSplitType {
		for i := 0; i < nn; i++ {
			if t.splitType[i] == 1 && t.left[i] != -1 {
				hasCat = true
				break
			}
		}
	}
	if hasCat || len(t.catNodes) > 0 {
		if len(t.catSegments) != len(t.catNodes) || len(t.catSizes) != len(t.catNodes) {
			return where("categories_nodes has %d entries but categories_segments has %d and categories_sizes %d",
				len(t.catNodes), len(t.catSegments), len(t.catSizes))
		}
		t.catOf = grow32(t.catOf, nn)
		for i := range t.catOf {
			t.catOf[i] = -1
		}
		prev := int32(-1)
		for k, c := range t.catNodes {
			if c < 0 || int64(c) >= n {
				return where("categories_nodes[%d] = %d is not a node", k, c)
			}
			if c <= prev {
				return where("categories_nodes is not strictly ascending at entry %d", k)
			}
			prev = c
			seg, size := t.catSegments[k], t.catSizes[k]
			if seg < 0 || size <= 0 || seg > int64(len(t.categories)) || size > int64(len(t.categories))-seg {
				return where("node %d: category segment [%d, %d+%d) is outside categories (%d entries)", c, seg, seg, size, len(t.categories))
			}
			// XGBoost lays the segments out one after another; overlapping
			// segments would let a small file expand into a large model.
			if k > 0 && seg < t.catSegments[k-1]+t.catSizes[k-1] {
				return where("node %d: category segment [%d, %d+%d) overlaps the previous one", c, seg, seg, size)
			}
			t.catOf[c] = int32(k)
		}
	}

	// Breadth-first relayout with adjacent children.
	base := len(b.m.nodes)
	if cap(b.m.nodes)-base < nn {
		grown := make([]node, base, base+nn+base/4+64)
		copy(grown, b.m.nodes)
		b.m.nodes = grown
	}
	t.newIdx = grow32(t.newIdx, nn)
	for i := range t.newIdx {
		t.newIdx[i] = -1
	}
	t.queue = append(t.queue[:0], 0)
	t.depth = append(t.depth[:0], 0)
	t.newIdx[0] = 0
	b.m.nodes = append(b.m.nodes, node{})
	maxDepth := int32(0)
	tr := tree{off: int32(base), fast: true}
	for qi := 0; qi < len(t.queue); qi++ {
		old := t.queue[qi]
		d := t.depth[qi]
		if d > maxDepth {
			maxDepth = d
		}
		pos := int32(qi) // BFS order: queue position == new index
		nd := &b.m.nodes[base+int(pos)]
		l := t.left[old]
		if l == -1 {
			nd.thr = float32(math.NaN())
			nd.feat = 0
			nd.child = pos
			nd.val = math.Float32bits(t.cond[old])
			continue
		}
		r := t.right[old]
		if l < 0 || int64(l) >= n || r < 0 || int64(r) >= n {
			return where("node %d: children %d and %d are not nodes (num_nodes %d)", old, l, r, n)
		}
		if r != l+1 {
			return where("node %d: right child %d is not left child + 1 (%d); XGBoost's predictor requires adjacent children", old, r, l+1)
		}
		if t.newIdx[l] != -1 || t.newIdx[r] != -1 || l == 0 {
			return where("node %d: child %d is reached twice (the nodes do not form a tree)", old, l)
		}
		f := t.splitIndex[old]
		if f < 0 || f >= maxFeature {
			return where("node %d: split feature %d is out of range", old, f)
		}
		if f > b.maxSplitFeat {
			b.maxSplitFeat = f
		}
		dl := uint32(0)
		if t.defaultLeft[old] != 0 {
			dl = 1
		}
		c := int32(len(t.queue))
		t.newIdx[l], t.newIdx[r] = c, c+1
		t.queue = append(t.queue, l, r)
		t.depth = append(t.depth, d+1, d+1)
		b.m.nodes = append(b.m.nodes, node{}, node{})
		nd = &b.m.nodes[base+int(pos)] // append may have moved the slice
		nd.feat = (uint32(f)*2 + dl) << featShift
		nd.child = c
		if t.hasSplitType && t.splitType[old] == 1 {
			off, err := b.addCategories(old)
			if err != nil {
				return where("%v", err)
			}
			nd.feat |= featCat
			nd.val = off
			nd.thr = 0
			tr.cat = true
			tr.fast = false
			continue
		}
		thr := t.cond[old]
		nd.thr = thr
		if thr != thr || (dl == 1 && math.IsInf(float64(thr), -1)) {
			tr.fast = false
		}
	}
	tr.n = int32(len(t.queue))
	tr.depth = maxDepth
	b.m.trees = append(b.m.trees, tr)
	return nil
}

// addCategories stores the category set of categorical node old and returns
// its offset in Model.cats. A set is either a bitset (header bit 31 set, low
// bits the number of words) or a sorted list (header is the length), whichever
// is smaller, so a hostile category value cannot inflate memory.
func (b *builder) addCategories(old int32) (uint32, error) {
	t := &b.raw
	k := int32(-1)
	if int(old) < len(t.catOf) {
		k = t.catOf[old]
	}
	off := uint32(len(b.m.cats))
	if k < 0 {
		// split_type says categorical but no categories are recorded: the
		// set is empty and every valid category goes left, as in XGBoost.
		b.m.cats = append(b.m.cats, 0)
		return off, nil
	}
	seg, size := t.catSegments[k], t.catSizes[k]
	set := t.catSet[:0]
	for _, c := range t.categories[seg : seg+size] {
		if c < 0 {
			return 0, fmt.Errorf("node %d: negative category %d", old, c)
		}
		if c < maxCategory { // larger codes can never be matched
			set = append(set, uint32(c))
		}
	}
	sort.Slice(set, func(i, j int) bool { return set[i] < set[j] })
	uniq := set[:0]
	for i, c := range set {
		if i == 0 || c != set[i-1] {
			uniq = append(uniq, c)
		}
	}
	set = uniq
	t.catSet = set
	if len(set) == 0 {
		b.m.cats = append(b.m.cats, 0)
		return off, nil
	}
	words := set[len(set)-1]/32 + 1
	if int(words) <= len(set)+2 {
		b.m.cats = append(b.m.cats, 1<<31|words)
		start := len(b.m.cats)
		for i := uint32(0); i < words; i++ {
			b.m.cats = append(b.m.cats, 0)
		}
		for _, c := range set {
			b.m.cats[start+int(c/32)] |= 1 << (c % 32)
		}
		return off, nil
	}
	b.m.cats = append(b.m.cats, uint32(len(set)))
	b.m.cats = append(b.m.cats, set...)
	return off, nil
}

func grow32(s []int32, n int) []int32 {
	if cap(s) < n {
		return make([]int32, n)
	}
	return s[:n]
}

// finish validates the assembled parts and computes derived fields.
func (b *builder) finish() (*Model, error) {
	m := b.m
	m.objective = b.objective
	if m.objective == "" {
		return nil, fmt.Errorf("xgboost: the model has no objective")
	}
	obj, ok := lookupObjective(m.objective)
	if !ok {
		return nil, fmt.Errorf("xgboost: %w objective %q", ErrUnsupported, m.objective)
	}
	m.obj = obj

	numClass := max(b.numClass, 0)
	numTarget := max(b.numTarget, 1)
	if numClass > 1<<16 || numTarget > 1<<16 {
		return nil, fmt.Errorf("xgboost: num_class %d / num_target %d is too large", numClass, numTarget)
	}
	m.numClass = int(numClass)
	m.numTarget = int(numTarget)
	m.nGroups = int(max(numClass, numTarget, 1))
	if obj.kind == objSoftmax || obj.kind == objSoftprob {
		if numClass < 1 {
			return nil, fmt.Errorf("xgboost: objective %s needs num_class >= 1, have %d", m.objective, numClass)
		}
	}
	if b.numTarget > 1 && b.sizeLeafVector > 1 {
		return nil, fmt.Errorf("xgboost: %w: vector-leaf (multi-target) trees", ErrUnsupported)
	}

	nf := b.numFeature
	if nf < 0 {
		nf = b.maxSplitFeat + 1
	}
	if nf > maxFeature {
		return nil, fmt.Errorf("xgboost: num_feature %d is too large", nf)
	}
	if b.maxSplitFeat >= nf {
		return nil, fmt.Errorf("xgboost: a tree splits on feature %d but num_feature is %d", b.maxSplitFeat, nf)
	}
	m.numFeature = int(nf)

	m.booster = b.boosterName
	switch m.booster {
	case boosterTree, boosterDart:
		if err := b.finishTrees(); err != nil {
			return nil, err
		}
	case boosterLinear:
		want := (nf + 1) * int64(m.nGroups)
		switch {
		case len(b.linear) == 0:
			// XGBoost initialises an empty model to zeros.
			if want > 1<<24 {
				return nil, fmt.Errorf("xgboost: gblinear has no weights and (num_feature %d + 1) * %d groups is too large to initialise", nf, m.nGroups)
			}
			b.linear = make([]float32, want)
		case int64(len(b.linear)) != want:
			return nil, fmt.Errorf("xgboost: gblinear has %d weights, want (num_feature %d + 1) * %d groups = %d", len(b.linear), nf, m.nGroups, want)
		}
		m.linear = b.linear
	case "":
		return nil, fmt.Errorf("xgboost: the model has no gradient booster")
	default:
		return nil, fmt.Errorf("xgboost: %w booster %q", ErrUnsupported, m.booster)
	}

	// base_score: broadcast a single value (models before 3.1).
	bs := b.baseScore
	if len(bs) == 0 {
		bs = []float32{0.5}
	}
	if len(bs) == 1 && m.nGroups > 1 {
		v := bs[0]
		bs = make([]float32, m.nGroups)
		for i := range bs {
			bs[i] = v
		}
	}
	if len(bs) != m.nGroups {
		return nil, fmt.Errorf("xgboost: base_score has %d values, want 1 or %d", len(bs), m.nGroups)
	}
	if b.preV1 && !strings.HasPrefix(m.objective, "multi:") {
		// Before 1.0 the binary stored the margin; XGBoost >= 1.0 converts it
		// back with the output transform (then applies ProbToMargin below).
		for i := range bs {
			bs[i] = obj.transform1(bs[i])
		}
	}
	m.baseScore = bs
	m.baseMargin = make([]float32, len(bs))
	for i, v := range bs {
		mv, err := obj.probToMargin(v, m.version)
		if err != nil {
			return nil, err
		}
		m.baseMargin[i] = mv
	}
	return m, nil
}

func (b *builder) finishTrees() error {
	m := b.m
	nt := int64(len(m.trees))
	if b.numTrees >= 0 && b.numTrees != nt {
		return fmt.Errorf("xgboost: num_trees is %d but %d trees are stored", b.numTrees, nt)
	}
	if int64(len(b.treeInfo)) != nt {
		return fmt.Errorf("xgboost: tree_info has %d entries, want %d (one per tree)", len(b.treeInfo), nt)
	}
	for i, g := range b.treeInfo {
		if g < 0 || int(g) >= m.nGroups {
			return fmt.Errorf("xgboost: tree_info[%d] = %d, want a group in [0, %d)", i, g, m.nGroups)
		}
		m.trees[i].group = g
	}
	if b.hasWeightDrop && len(b.weightDrop) > 0 {
		if int64(len(b.weightDrop)) != nt {
			return fmt.Errorf("xgboost: weight_drop has %d entries, want %d (one per tree)", len(b.weightDrop), nt)
		}
		m.weights = b.weightDrop
		m.booster = boosterDart
	}
	npt := max(b.numParallel, 1)
	if b.hasIndptr {
		p := b.indptr
		if len(p) == 0 || p[0] != 0 || p[len(p)-1] != nt {
			return fmt.Errorf("xgboost: iteration_indptr must start at 0 and end at num_trees %d", nt)
		}
		m.iterPtr = make([]int32, len(p))
		for i, v := range p {
			if i > 0 && v < p[i-1] {
				return fmt.Errorf("xgboost: iteration_indptr is not ascending at entry %d", i)
			}
			m.iterPtr[i] = int32(v)
		}
	} else {
		// Models before 2.0: each round has num_parallel_tree trees per group.
		layer := npt * int64(m.nGroups)
		rounds := (nt + layer - 1) / layer
		m.iterPtr = make([]int32, rounds+1)
		for r := int64(1); r <= rounds; r++ {
			m.iterPtr[r] = int32(min(r*layer, nt))
		}
	}
	m.allFast = true
	for i := range m.trees {
		if m.numFeature > maxFastFeature {
			m.trees[i].fast = false
		}
		if !m.trees[i].fast {
			m.allFast = false
		} else {
			m.anyFast = true
		}
	}
	return nil
}
