package xgboost

import (
	"encoding/binary"
	"fmt"
	"math"
)

// binReader reads the legacy binary format: C structs written raw in
// little-endian byte order, strings and vectors as a uint64 count followed by
// the payload (dmlc::Stream).
type binReader struct {
	b []byte
	p int
}

func (r *binReader) errf(what string, args ...any) error {
	return fmt.Errorf("xgboost: binary: offset %d: %s", r.p, fmt.Sprintf(what, args...))
}

func (r *binReader) need(n int, what string) error {
	if n < 0 || len(r.b)-r.p < n {
		return r.errf("truncated %s: need %d bytes, have %d", what, n, len(r.b)-r.p)
	}
	return nil
}

func (r *binReader) bytes(n int, what string) ([]byte, error) {
	if err := r.need(n, what); err != nil {
		return nil, err
	}
	s := r.b[r.p : r.p+n]
	r.p += n
	return s, nil
}

func (r *binReader) u64(what string) (uint64, error) {
	s, err := r.bytes(8, what)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(s), nil
}

// count reads a vector/string length and checks that elemSize*count bytes
// remain.
func (r *binReader) count(elemSize int, what string) (int, error) {
	n, err := r.u64(what + " length")
	if err != nil {
		return 0, err
	}
	if n > uint64(len(r.b)-r.p)/uint64(elemSize) {
		r.p -= 8
		return 0, r.errf("%s length %d exceeds the remaining %d bytes", what, n, len(r.b)-r.p-8)
	}
	return int(n), nil
}

func (r *binReader) str(what string) (string, error) {
	n, err := r.count(1, what)
	if err != nil {
		return "", err
	}
	s, _ := r.bytes(n, what)
	return string(s), nil
}

func le32(b []byte, i int) uint32 { return binary.LittleEndian.Uint32(b[4*i:]) }

// loadBinary decodes the legacy binary format (after the optional "binf"
// magic): XGBoost 1.0–3.0, and the layout of 0.x (format
// FormatBinaryPre1_0), whose base_score is stored as a margin.
func loadBinary(data []byte, format Format) (*Model, error) {
	r := &binReader{b: data}
	b := newBuilder(format)
	// LearnerModelParam, 136 bytes.
	lp, err := r.bytes(136, "learner parameters (136 bytes)")
	if err != nil {
		return nil, err
	}
	baseScore := math.Float32frombits(le32(lp, 0))
	b.baseScore = []float32{baseScore}
	b.numFeature = int64(le32(lp, 1))
	b.numClass = int64(int32(le32(lp, 2)))
	containAttrs := int32(le32(lp, 3)) != 0
	major, minor := le32(lp, 5), le32(lp, 6)
	numTarget := le32(lp, 7)
	if b.numClass < 0 || b.numClass > 1<<20 {
		return nil, fmt.Errorf("xgboost: binary: num_class %d is out of range", b.numClass)
	}
	if major == 0 {
		// Before 1.0 the version fields were reserved (zero).
		b.preV1 = true
		format = FormatBinaryPre1_0
		b.m.format = format
	} else {
		if major > 1<<16 || minor > 1<<16 {
			return nil, fmt.Errorf("xgboost: binary: implausible version %d.%d (corrupt file?)", major, minor)
		}
		b.m.version = [3]int{int(major), int(minor), 0}
		if numTarget > 1 {
			b.numTarget = int64(numTarget)
		}
	}
	if format == FormatBinaryPre1_0 && b.numFeature > maxFeature {
		return nil, fmt.Errorf("xgboost: not a model file (unrecognised header; as a pre-1.0 binary model it would have num_feature %d)", b.numFeature)
	}

	// Objective name. Before 1.0 a length >= 2^32 had a 4-byte gap and the
	// real length in the high word (a compatibility hack of 0.x).
	n, err := r.u64("objective name length")
	if err != nil {
		return nil, err
	}
	if n >= math.MaxUint32 {
		if _, err := r.bytes(4, "objective name length gap"); err != nil {
			return nil, err
		}
		n >>= 32
	}
	if n > uint64(len(r.b)-r.p) || n > 256 {
		return nil, r.errf("objective name length %d is invalid (not an XGBoost model?)", n)
	}
	name, _ := r.bytes(int(n), "objective name")
	b.objective = string(name)
	if _, ok := lookupObjective(b.objective); !ok {
		if format == FormatBinaryPre1_0 && !printable(name) {
			return nil, fmt.Errorf("xgboost: not a model file (unrecognised header)")
		}
		return nil, fmt.Errorf("xgboost: %w objective %q", ErrUnsupported, b.objective)
	}
	booster, err := r.str("booster name")
	if err != nil {
		return nil, err
	}
	b.boosterName = booster
	switch booster {
	case boosterTree, boosterDart:
		if err := b.binaryTrees(r, booster == boosterDart); err != nil {
			return nil, err
		}
	case boosterLinear:
		if _, err := r.bytes(136, "gblinear parameters (136 bytes)"); err != nil {
			return nil, err
		}
		cnt, err := r.count(4, "gblinear weights")
		if err != nil {
			return nil, err
		}
		w := make([]float32, cnt)
		s, _ := r.bytes(4*cnt, "gblinear weights")
		for i := range w {
			w[i] = math.Float32frombits(le32(s, i))
		}
		b.linear = w
		b.hasLinear = true
	default:
		return nil, fmt.Errorf("xgboost: %w booster %q", ErrUnsupported, booster)
	}
	if containAttrs {
		cnt, err := r.count(16, "attributes")
		if err != nil {
			return nil, err
		}
		attrs := make(map[string]string, cnt)
		for i := 0; i < cnt; i++ {
			k, err := r.str("attribute name")
			if err != nil {
				return nil, err
			}
			v, err := r.str("attribute value")
			if err != nil {
				return nil, err
			}
			attrs[k] = v
		}
		// "objective" holds the objective's JSON configuration and
		// SAVED_PARAM_* training parameters: not attributes of the model.
		delete(attrs, "objective")
		for k := range attrs {
			if len(k) > 12 && k[:12] == "SAVED_PARAM_" {
				delete(attrs, k)
			}
		}
		b.m.attributes = attrs
	}
	// Anything after this (0.x: poisson max_delta_step, eval metrics) is
	// training configuration and ignored.
	return b.finish()
}

func printable(s []byte) bool {
	for _, c := range s {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

func (b *builder) binaryTrees(r *binReader, dart bool) error {
	gp, err := r.bytes(160, "gbtree parameters (160 bytes)")
	if err != nil {
		return err
	}
	numTrees := int32(le32(gp, 0))
	numParallel := int32(le32(gp, 1))
	numPbuffer := int64(binary.LittleEndian.Uint64(gp[16:]))
	sizeLeaf := int32(le32(gp, 7))
	if numTrees < 0 {
		return fmt.Errorf("xgboost: binary: num_trees %d is negative", numTrees)
	}
	// Every tree takes at least 148+36 bytes.
	if int64(numTrees) > int64(r.remaining()/(148+36)) {
		return fmt.Errorf("xgboost: binary: num_trees %d does not fit in the remaining %d bytes", numTrees, r.remaining())
	}
	if numPbuffer != 0 {
		return fmt.Errorf("xgboost: binary: %w: prediction buffer (num_pbuffer %d) of XGBoost < 0.6", ErrUnsupported, numPbuffer)
	}
	if sizeLeaf > 1 {
		return fmt.Errorf("xgboost: binary: %w: vector-leaf trees (size_leaf_vector %d)", ErrUnsupported, sizeLeaf)
	}
	b.numTrees = int64(numTrees)
	if !b.preV1 {
		b.numParallel = int64(numParallel) // num_roots before 1.0, always 1
	}
	t := &b.raw
	for i := 0; i < int(numTrees); i++ {
		t.reset()
		tp, err := r.bytes(148, fmt.Sprintf("tree %d parameters (148 bytes)", i))
		if err != nil {
			return err
		}
		nn := int32(le32(tp, 1))
		if sl := int32(le32(tp, 5)); sl > 1 {
			return fmt.Errorf("xgboost: binary: tree %d: %w: vector-leaf tree (size_leaf_vector %d)", i, ErrUnsupported, sl)
		}
		if nn <= 0 || int64(nn) > int64(r.remaining()/36) {
			return fmt.Errorf("xgboost: binary: tree %d: num_nodes %d is invalid or exceeds the remaining %d bytes", i, nn, r.remaining())
		}
		t.numNodes = int64(nn)
		nodes, _ := r.bytes(20*int(nn), "nodes")
		r.p += 16 * int(nn) // node statistics: not needed
		for j := 0; j < int(nn); j++ {
			rec := nodes[20*j:]
			left := int32(binary.LittleEndian.Uint32(rec[4:]))
			right := int32(binary.LittleEndian.Uint32(rec[8:]))
			sindex := binary.LittleEndian.Uint32(rec[12:])
			info := math.Float32frombits(binary.LittleEndian.Uint32(rec[16:]))
			t.left = append(t.left, left)
			t.right = append(t.right, right)
			t.splitIndex = append(t.splitIndex, int64(sindex&0x7fffffff))
			t.cond = append(t.cond, info)
			t.defaultLeft = append(t.defaultLeft, uint8(sindex>>31))
		}
		if err := b.addTree(); err != nil {
			return err
		}
	}
	if numTrees > 0 {
		s, err := r.bytes(4*int(numTrees), "tree_info")
		if err != nil {
			return err
		}
		b.treeInfo = make([]int32, numTrees)
		for i := range b.treeInfo {
			b.treeInfo[i] = int32(le32(s, i))
		}
		if dart {
			cnt, err := r.count(4, "weight_drop")
			if err != nil {
				return err
			}
			s, _ := r.bytes(4*cnt, "weight_drop")
			w := make([]float32, cnt)
			for i := range w {
				w[i] = math.Float32frombits(le32(s, i))
			}
			b.weightDrop = w
			b.hasWeightDrop = true
		}
	}
	return nil
}

func (r *binReader) remaining() int { return len(r.b) - r.p }
