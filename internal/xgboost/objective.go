package xgboost

import (
	"fmt"
	"math"
)

type objKind uint8

const (
	objIdentity  objKind = iota // output = margin
	objSigmoid                  // reg:logistic, binary:logistic
	objHinge                    // binary:hinge
	objExp                      // count:poisson, reg:gamma, reg:tweedie, survival:cox: expf
	objExpDouble                // survival:aft: float(exp(double(x)))
	objSoftmax                  // multi:softmax: index of the largest margin
	objSoftprob                 // multi:softprob: softmax probabilities
)

type linkKind uint8

const (
	linkIdentity linkKind = iota
	linkLogit             // base_score -> -logf(1/x - 1)
	linkLog               // base_score -> logf(x)
)

// objective describes how an objective turns margins into outputs, and how
// it turns the stored base_score into the starting margin.
type objective struct {
	kind objKind
	link linkKind
}

var objectives = map[string]objective{
	"reg:squarederror":     {objIdentity, linkIdentity},
	"reg:linear":           {objIdentity, linkIdentity}, // alias removed in 2.0
	"reg:squaredlogerror":  {objIdentity, linkIdentity},
	"reg:pseudohubererror": {objIdentity, linkIdentity},
	"reg:absoluteerror":    {objIdentity, linkIdentity},
	"reg:quantileerror":    {objIdentity, linkIdentity},
	"reg:expectileerror":   {objIdentity, linkIdentity},
	"binary:logitraw":      {objIdentity, linkIdentity},
	"rank:pairwise":        {objIdentity, linkIdentity},
	"rank:ndcg":            {objIdentity, linkIdentity},
	"rank:map":             {objIdentity, linkIdentity},
	"reg:logistic":         {objSigmoid, linkLogit},
	"binary:logistic":      {objSigmoid, linkLogit},
	"binary:hinge":         {objHinge, linkIdentity},
	"count:poisson":        {objExp, linkLog},
	"reg:gamma":            {objExp, linkLog},
	"reg:tweedie":          {objExp, linkLog},
	"survival:cox":         {objExp, linkLog},
	"survival:aft":         {objExpDouble, linkLog},
	"multi:softmax":        {objSoftmax, linkIdentity},
	"multi:softprob":       {objSoftprob, linkIdentity},
}

func lookupObjective(name string) (objective, bool) {
	o, ok := objectives[name]
	return o, ok
}

// Objectives lists the objective names Load accepts.
func Objectives() []string {
	out := make([]string, 0, len(objectives))
	for k := range objectives {
		out = append(out, k)
	}
	return out
}

// sigmoid is XGBoost's common::Sigmoid, in float32:
// 1 / (expf(min(-x, 88.7)) + 1 + 1e-16).
func sigmoid(x float32) float32 {
	const eps float32 = 1e-16
	nx := -x
	if float32(88.7) < nx { // std::min(-x, 88.7f) keeps -x when it is NaN
		nx = 88.7
	}
	denom := expf32(nx) + 1
	denom += eps
	return 1 / denom
}

// transform1 applies the element-wise output transform to one margin (not
// for the multi-class objectives).
func (o objective) transform1(x float32) float32 {
	switch o.kind {
	case objSigmoid:
		return sigmoid(x)
	case objHinge:
		if x > 0 {
			return 1
		}
		return 0
	case objExp:
		return expf32(x)
	case objExpDouble:
		// XGBoost's AFT transform calls exp() on a float, which resolves to
		// the double-precision C function.
		return float32(math.Exp(float64(x)))
	}
	return x
}

// transformRow turns one row's margins into outputs. For multi:softmax it
// writes one value (the class index); otherwise len(margin) values.
func (o objective) transformRow(margin, out []float32) {
	switch o.kind {
	case objSoftprob:
		softmax(margin, out)
	case objSoftmax:
		out[0] = float32(argmax(margin))
	case objIdentity:
		copy(out, margin)
	default:
		for i, v := range margin {
			out[i] = o.transform1(v)
		}
	}
}

// fmaxf is C's fmaxf: a NaN argument is ignored.
func fmaxf(a, b float32) float32 {
	switch {
	case a != a:
		return b
	case b != b:
		return a
	case a > b:
		return a
	}
	return b
}

// softmax is XGBoost's common::Softmax: subtract the maximum, expf each value
// in float32, sum in float64, divide by the sum rounded to float32.
func softmax(in, out []float32) {
	wmax := in[0]
	for _, v := range in[1:] {
		wmax = fmaxf(v, wmax)
	}
	var wsum float64
	for i, v := range in {
		e := expf32(v - wmax)
		out[i] = e
		wsum += float64(e)
	}
	s := float32(wsum)
	for i := range out[:len(in)] {
		out[i] /= s
	}
}

// argmax is XGBoost's FindMaxIndex: the first maximum wins, and a NaN in
// front is never replaced.
func argmax(v []float32) int {
	best := 0
	for i := range v {
		if v[i] > v[best] {
			best = i
		}
	}
	return best
}

// probToMargin converts a stored base_score to the starting margin, as the
// objective's ProbToMargin.
func (o objective) probToMargin(v float32, version [3]int) (float32, error) {
	switch o.link {
	case linkLogit:
		if version[0] > 3 || (version[0] == 3 && version[1] >= 2) {
			// 3.2+ clamps the intercept to [1e-6, 1-1e-6].
			const eps float32 = 1e-6
			v = min(max(v, eps), 1-eps)
		} else if !(v > 0 && v < 1) {
			return 0, fmt.Errorf("xgboost: base_score must be in (0,1) for the logistic loss, got %v", v)
		}
		q := 1/v - 1
		return -logf32(q), nil
	case linkLog:
		return logf32(v), nil
	}
	return v, nil
}
