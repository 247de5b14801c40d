package xgboost

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// loadDocument walks a JSON or UBJSON model document (XGBoost 1.0 to 3.x).
// Keys may come in any order; unknown keys are skipped.
func loadDocument(r reader, format Format) (*Model, error) {
	b := newBuilder(format)
	sawLearner := false
	err := eachKey(r, "", func(k []byte) (bool, error) {
		switch string(k) {
		case "learner":
			sawLearner = true
			return true, b.learner(r)
		case "version":
			v, err := r.i64s(nil)
			if err != nil {
				return true, fieldErr("version", err)
			}
			for i := 0; i < len(v) && i < 3; i++ {
				b.m.version[i] = int(min(max(v[i], 0), 1<<20))
			}
			return true, nil
		}
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	if err := r.end(); err != nil {
		return nil, err
	}
	if !sawLearner {
		return nil, errors.New("xgboost: invalid model: no \"learner\" object (is this an XGBoost model file?)")
	}
	return b.finish()
}

// fieldErr adds the field name to a decoding error.
func fieldErr(field string, err error) error {
	return fmt.Errorf("%w (in %q)", err, field)
}

// eachKey reads an object and calls f with each key; f reads that key's value
// and returns true, or returns false to have the value skipped. The key is
// valid only during the call. An error opening the object is wrapped with
// fieldErr(field, ...) unless field is ""; all other errors are returned as
// they are.
func eachKey(r reader, field string, f func(k []byte) (bool, error)) error {
	it, err := r.object()
	if err != nil {
		if field != "" {
			err = fieldErr(field, err)
		}
		return err
	}
	for {
		k, ok, err := r.key(&it)
		if err != nil {
			return err
		}
		if !ok {
			return nil
		}
		used, err := f(k)
		if err != nil {
			return err
		}
		if !used {
			if err := r.skip(); err != nil {
				return err
			}
		}
	}
}

func (b *builder) learner(r reader) error {
	return eachKey(r, "learner", func(k []byte) (bool, error) {
		switch string(k) {
		case "attributes":
			a, err := readStringMap(r)
			if err != nil {
				return true, fieldErr("attributes", err)
			}
			b.m.attributes = a
		case "feature_names":
			s, err := readStrings(r)
			if err != nil {
				return true, fieldErr("feature_names", err)
			}
			b.m.featureNames = s
		case "feature_types":
			s, err := readStrings(r)
			if err != nil {
				return true, fieldErr("feature_types", err)
			}
			b.m.featureTypes = s
		case "learner_model_param":
			return true, b.learnerModelParam(r)
		case "objective":
			return true, b.objectiveObj(r)
		case "gradient_booster":
			return true, b.gradientBooster(r, 0)
		default:
			return false, nil
		}
		return true, nil
	})
}

// scalarString reads a parameter value that XGBoost writes as a decimal
// string; a plain number is accepted too.
func scalarString(r reader) (string, error) {
	k, err := r.peek()
	if err != nil {
		return "", err
	}
	switch k {
	case kindString:
		s, err := r.str()
		return string(s), err
	case kindNumber:
		// Only integers are expected here; keep full precision.
		v, err := r.f32()
		if err != nil {
			return "", err
		}
		return strconv.FormatFloat(float64(v), 'g', -1, 32), nil
	case kindBool:
		v, err := r.boolean()
		if v {
			return "1", err
		}
		return "0", err
	}
	return "", fmt.Errorf("xgboost: want a string or number, found %v at offset %d", k, r.offset())
}

func parseIntParam(name, s string) (int64, error) {
	s = strings.TrimSpace(s)
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || f != float64(int64(f)) {
			return 0, fmt.Errorf("xgboost: %s is %q, want an integer", name, s)
		}
		v = int64(f)
	}
	if v < 0 || v > 1<<40 {
		return 0, fmt.Errorf("xgboost: %s is %d, out of range", name, v)
	}
	return v, nil
}

// parseBaseScore accepts the 1.0–3.0 form ("5E-1") and the 3.1+ form, a JSON
// array inside the string ("[5E-1]", "[1.2E0,3.4E0]"); "(...)" is accepted
// for "[...]" as XGBoost does.
func parseBaseScore(s string) ([]float32, error) {
	t := strings.TrimSpace(s)
	if strings.HasPrefix(t, "(") && strings.HasSuffix(t, ")") {
		t = "[" + t[1:len(t)-1] + "]"
	}
	bad := func() error { return fmt.Errorf("xgboost: base_score %q is not a number or an array of numbers", s) }
	if strings.HasPrefix(t, "[") {
		r := newJSONReader([]byte(t))
		v, err := r.f32s(nil)
		if err != nil || r.end() != nil || len(v) == 0 {
			return nil, bad()
		}
		return v, nil
	}
	r := newJSONReader([]byte(t))
	v, err := r.f32()
	if err != nil || r.end() != nil {
		return nil, bad()
	}
	return []float32{v}, nil
}

func (b *builder) learnerModelParam(r reader) error {
	return eachKey(r, "learner_model_param", func(k []byte) (bool, error) {
		name := string(k)
		switch name {
		case "base_score", "num_class", "num_feature", "num_target":
		default:
			return false, nil
		}
		s, err := scalarString(r)
		if err != nil {
			return true, fieldErr(name, err)
		}
		switch name {
		case "base_score":
			b.baseScore, err = parseBaseScore(s)
		case "num_class":
			b.numClass, err = parseIntParam(name, s)
		case "num_feature":
			b.numFeature, err = parseIntParam(name, s)
		case "num_target":
			b.numTarget, err = parseIntParam(name, s)
		}
		return true, err
	})
}

func (b *builder) objectiveObj(r reader) error {
	k, err := r.peek()
	if err != nil {
		return err
	}
	if k == kindString { // tolerate a bare name
		s, err := r.str()
		b.objective = string(s)
		return err
	}
	return eachKey(r, "objective", func(k []byte) (bool, error) {
		if string(k) != "name" {
			return false, nil
		}
		s, err := r.str()
		if err != nil {
			return true, fieldErr("objective.name", err)
		}
		b.objective = string(s)
		return true, nil
	})
}

// gradientBooster reads {"name": ..., "model": {...}} (gbtree, gblinear, and
// the 3.4+ DART layout with weight_drop inside the model) or
// {"name": "dart", "gbtree": {...}, "weight_drop": [...]} (DART up to 3.2).
func (b *builder) gradientBooster(r reader, depth int) error {
	if depth > 2 {
		return errors.New("xgboost: gradient_booster nested too deeply")
	}
	name := ""
	err := eachKey(r, "gradient_booster", func(k []byte) (bool, error) {
		var err error
		switch string(k) {
		case "name":
			s, err := r.str()
			if err != nil {
				return true, fieldErr("gradient_booster.name", err)
			}
			name = string(s)
		case "model":
			err = b.boosterModel(r)
		case "gbtree":
			err = b.gradientBooster(r, depth+1)
		case "weight_drop":
			if b.weightDrop, err = r.f32s(b.weightDrop[:0]); err != nil {
				return true, fieldErr("weight_drop", err)
			}
			b.hasWeightDrop = true
		default:
			return false, nil
		}
		return true, err
	})
	if err != nil {
		return err
	}
	switch name {
	case boosterTree, boosterDart, boosterLinear:
	case "":
		return errors.New("xgboost: gradient_booster has no name")
	default:
		return fmt.Errorf("xgboost: %w booster %q", ErrUnsupported, name)
	}
	if depth == 0 {
		b.boosterName = name
	}
	return nil
}

// boosterModel reads the "model" object of gbtree or gblinear.
func (b *builder) boosterModel(r reader) error {
	return eachKey(r, "model", func(k []byte) (bool, error) {
		var err error
		switch string(k) {
		case "gbtree_model_param":
			return true, b.gbtreeModelParam(r)
		case "trees":
			return true, b.treesArray(r)
		case "tree_info":
			if b.treeInfo, err = r.i32s(b.treeInfo[:0]); err != nil {
				return true, fieldErr("tree_info", err)
			}
		case "iteration_indptr":
			if b.indptr, err = r.i64s(b.indptr[:0]); err != nil {
				return true, fieldErr("iteration_indptr", err)
			}
			b.hasIndptr = true
		case "weight_drop":
			if b.weightDrop, err = r.f32s(b.weightDrop[:0]); err != nil {
				return true, fieldErr("weight_drop", err)
			}
			b.hasWeightDrop = true
		case "weights":
			if b.linear, err = r.f32s(b.linear[:0]); err != nil {
				return true, fieldErr("weights", err)
			}
			b.hasLinear = true
		default: // boosted_rounds, cats (3.1+ category recoder), ...
			return false, nil
		}
		return true, nil
	})
}

func (b *builder) gbtreeModelParam(r reader) error {
	return eachKey(r, "gbtree_model_param", func(k []byte) (bool, error) {
		name := string(k)
		switch name {
		case "num_trees", "num_parallel_tree", "size_leaf_vector":
		default:
			return false, nil
		}
		s, err := scalarString(r)
		if err != nil {
			return true, fieldErr(name, err)
		}
		v, err := parseIntParam(name, s)
		if err != nil {
			return true, err
		}
		switch name {
		case "num_trees":
			b.numTrees = v
		case "num_parallel_tree":
			b.numParallel = v
		case "size_leaf_vector":
			b.sizeLeafVector = v
		}
		return true, nil
	})
}

func (b *builder) treesArray(r reader) error {
	it, err := r.array()
	if err != nil {
		return fieldErr("trees", err)
	}
	for {
		ok, err := r.next(&it)
		if err != nil {
			return err
		}
		if !ok {
			return nil
		}
		if err := b.treeObject(r); err != nil {
			return err
		}
	}
}

func (b *builder) treeObject(r reader) error {
	t := &b.raw
	t.reset()
	idx := len(b.m.trees)
	it, err := r.object()
	if err != nil {
		return fmt.Errorf("xgboost: tree %d: %w", idx, err)
	}
	for {
		k, ok, err := r.key(&it)
		if err != nil {
			return fmt.Errorf("xgboost: tree %d: %w", idx, err)
		}
		if !ok {
			break
		}
		field := string(k)
		switch field {
		case "tree_param":
			err = b.treeParam(r)
		case "id":
			t.id, err = r.i64()
			if err == nil && t.id < 0 {
				t.id = 1 << 62 // reported as a wrong id below
			}
		case "left_children":
			t.left, err = r.i32s(t.left)
		case "right_children":
			t.right, err = r.i32s(t.right)
		case "split_indices":
			t.splitIndex, err = r.i64s(t.splitIndex)
		case "split_conditions":
			t.cond, err = r.f32s(t.cond)
		case "default_left":
			t.defaultLeft, err = r.u8s(t.defaultLeft)
		case "split_type":
			t.splitType, err = r.u8s(t.splitType)
			t.hasSplitType = true
		case "categories_nodes":
			t.catNodes, err = r.i32s(t.catNodes)
		case "categories_segments":
			t.catSegments, err = r.i64s(t.catSegments)
		case "categories_sizes", "categorical_sizes":
			t.catSizes, err = r.i64s(t.catSizes)
		case "categories":
			t.categories, err = r.i32s(t.categories)
		case "leaf_weights":
			return fmt.Errorf("xgboost: tree %d: %w: vector-leaf (multi-target) trees", idx, ErrUnsupported)
		default: // parents, base_weights, loss_changes, sum_hessian
			err = r.skip()
		}
		if err != nil {
			return fmt.Errorf("xgboost: tree %d: %s: %w", idx, field, err)
		}
	}
	return b.addTree()
}

func (b *builder) treeParam(r reader) error {
	t := &b.raw
	return eachKey(r, "", func(k []byte) (bool, error) {
		name := string(k)
		switch name {
		case "num_nodes", "num_feature", "size_leaf_vector":
		default:
			return false, nil
		}
		s, err := scalarString(r)
		if err != nil {
			return true, err
		}
		v, err := parseIntParam(name, s)
		if err != nil {
			return true, err
		}
		switch name {
		case "num_nodes":
			t.numNodes = v
		case "num_feature":
			t.numFeature = v
		case "size_leaf_vector":
			t.sizeLeafVector = v
		}
		return true, nil
	})
}
