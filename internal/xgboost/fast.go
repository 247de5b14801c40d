package xgboost

import "math"

// b2i converts a comparison to 0 or 1 without a branch (SETcc).
func b2i(b bool) int32 {
	var i int32
	if b {
		i = 1
	}
	return i
}

// fastTree walks one tree for a block of rows with the branch-free step
//
//	i = node.child + (buf[node.feat] >= node.thr)
//
// repeated exactly depth times: leaves point to themselves with a NaN
// threshold, so rows that reach a leaf early stay there. buf holds each
// feature twice with missing values as +Inf and -Inf (see node), which folds
// the default direction into the comparison; the model checked at load time
// that this is exact for the tree. Eight rows are walked at once so that
// their independent chains of loads overlap.
func (m *Model) fastTree(tr *tree, buf []float32, stride, nb int, acc []float32, ng int, dart bool, w float32) {
	nodes := m.nodes[tr.off : tr.off+tr.n]
	depth := int(tr.depth)
	g := int(tr.group)
	root := nodes[0]
	rf, rt, rc := root.feat, root.thr, root.child
	r := 0
	for ; r+8 <= nb; r += 8 {
		b := buf[r*stride : (r+8)*stride]
		b0 := b[0*stride : 1*stride]
		b1 := b[1*stride : 2*stride]
		b2 := b[2*stride : 3*stride]
		b3 := b[3*stride : 4*stride]
		b4 := b[4*stride : 5*stride]
		b5 := b[5*stride : 6*stride]
		b6 := b[6*stride : 7*stride]
		b7 := b[7*stride : 8*stride]
		i0 := rc + b2i(b0[rf] >= rt)
		i1 := rc + b2i(b1[rf] >= rt)
		i2 := rc + b2i(b2[rf] >= rt)
		i3 := rc + b2i(b3[rf] >= rt)
		i4 := rc + b2i(b4[rf] >= rt)
		i5 := rc + b2i(b5[rf] >= rt)
		i6 := rc + b2i(b6[rf] >= rt)
		i7 := rc + b2i(b7[rf] >= rt)
		for d := 1; d < depth; d++ {
			n0 := &nodes[i0]
			n1 := &nodes[i1]
			n2 := &nodes[i2]
			n3 := &nodes[i3]
			n4 := &nodes[i4]
			n5 := &nodes[i5]
			n6 := &nodes[i6]
			n7 := &nodes[i7]
			i0 = n0.child + b2i(b0[n0.feat] >= n0.thr)
			i1 = n1.child + b2i(b1[n1.feat] >= n1.thr)
			i2 = n2.child + b2i(b2[n2.feat] >= n2.thr)
			i3 = n3.child + b2i(b3[n3.feat] >= n3.thr)
			i4 = n4.child + b2i(b4[n4.feat] >= n4.thr)
			i5 = n5.child + b2i(b5[n5.feat] >= n5.thr)
			i6 = n6.child + b2i(b6[n6.feat] >= n6.thr)
			i7 = n7.child + b2i(b7[n7.feat] >= n7.thr)
		}
		a := acc[r*ng:]
		if dart {
			addLeaf(&a[0*ng+g], math.Float32frombits(nodes[i0].val), true, w)
			addLeaf(&a[1*ng+g], math.Float32frombits(nodes[i1].val), true, w)
			addLeaf(&a[2*ng+g], math.Float32frombits(nodes[i2].val), true, w)
			addLeaf(&a[3*ng+g], math.Float32frombits(nodes[i3].val), true, w)
			addLeaf(&a[4*ng+g], math.Float32frombits(nodes[i4].val), true, w)
			addLeaf(&a[5*ng+g], math.Float32frombits(nodes[i5].val), true, w)
			addLeaf(&a[6*ng+g], math.Float32frombits(nodes[i6].val), true, w)
			addLeaf(&a[7*ng+g], math.Float32frombits(nodes[i7].val), true, w)
			continue
		}
		a[0*ng+g] += math.Float32frombits(nodes[i0].val)
		a[1*ng+g] += math.Float32frombits(nodes[i1].val)
		a[2*ng+g] += math.Float32frombits(nodes[i2].val)
		a[3*ng+g] += math.Float32frombits(nodes[i3].val)
		a[4*ng+g] += math.Float32frombits(nodes[i4].val)
		a[5*ng+g] += math.Float32frombits(nodes[i5].val)
		a[6*ng+g] += math.Float32frombits(nodes[i6].val)
		a[7*ng+g] += math.Float32frombits(nodes[i7].val)
	}
	for ; r < nb; r++ {
		b0 := buf[r*stride : (r+1)*stride]
		i0 := rc + b2i(b0[rf] >= rt)
		for d := 1; d < depth; d++ {
			n0 := &nodes[i0]
			i0 = n0.child + b2i(b0[n0.feat] >= n0.thr)
		}
		addLeaf(&acc[r*ng+g], math.Float32frombits(nodes[i0].val), dart, w)
	}
}
