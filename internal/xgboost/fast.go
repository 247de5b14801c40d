package xgboost

import (
	"math"
	"unsafe"
)

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
//	i = node.child + (x >= node.thr)
//
// repeated exactly depth times: leaves point to themselves with a NaN
// threshold, so rows that reach a leaf early stay there. x comes from the
// block buffer (see fillBuf and node), which folds the default direction of
// missing values into the comparison; Load checked that this is exact for
// the tree. Eight rows are walked together so that their independent chains
// of loads overlap.
//
// The loads use unsafe pointer arithmetic without bounds checks. They are in
// bounds by construction: Load validated every child index against the
// tree's size and every split feature against NumFeatures, so
// node.feat + 4*row < len(buf)*4 for row < blockRows.
func (m *Model) fastTree(tr *tree, buf []float32, nb int, acc []float32, ng int, dart bool, w float32) {
	nodes := m.nodes[tr.off : tr.off+tr.n]
	_ = buf[blockRows*2*m.numFeature-1]
	np := unsafe.Pointer(unsafe.SliceData(nodes))
	bp := unsafe.Pointer(unsafe.SliceData(buf))
	depth := int(tr.depth)
	g := int(tr.group)
	root := nodes[0]
	rf, rt, rc := uintptr(root.feat), root.thr, root.child
	at := func(p unsafe.Pointer, off uintptr) float32 { return *(*float32)(unsafe.Add(p, off)) }
	nd := func(i int32) *node { return (*node)(unsafe.Add(np, uintptr(i)*unsafe.Sizeof(node{}))) }
	r := 0
	for ; r+8 <= nb; r += 8 {
		p := unsafe.Add(bp, r*4) // column entry of row r; row r+k is 4k bytes further
		i0 := rc + b2i(at(p, rf+0) >= rt)
		i1 := rc + b2i(at(p, rf+4) >= rt)
		i2 := rc + b2i(at(p, rf+8) >= rt)
		i3 := rc + b2i(at(p, rf+12) >= rt)
		i4 := rc + b2i(at(p, rf+16) >= rt)
		i5 := rc + b2i(at(p, rf+20) >= rt)
		i6 := rc + b2i(at(p, rf+24) >= rt)
		i7 := rc + b2i(at(p, rf+28) >= rt)
		for d := 1; d < depth; d++ {
			n0, n1, n2, n3 := nd(i0), nd(i1), nd(i2), nd(i3)
			i0 = n0.child + b2i(at(p, uintptr(n0.feat)+0) >= n0.thr)
			i1 = n1.child + b2i(at(p, uintptr(n1.feat)+4) >= n1.thr)
			i2 = n2.child + b2i(at(p, uintptr(n2.feat)+8) >= n2.thr)
			i3 = n3.child + b2i(at(p, uintptr(n3.feat)+12) >= n3.thr)
			n4, n5, n6, n7 := nd(i4), nd(i5), nd(i6), nd(i7)
			i4 = n4.child + b2i(at(p, uintptr(n4.feat)+16) >= n4.thr)
			i5 = n5.child + b2i(at(p, uintptr(n5.feat)+20) >= n5.thr)
			i6 = n6.child + b2i(at(p, uintptr(n6.feat)+24) >= n6.thr)
			i7 = n7.child + b2i(at(p, uintptr(n7.feat)+28) >= n7.thr)
		}
		a := acc[r*ng : (r+8)*ng]
		l0 := math.Float32frombits(nd(i0).val)
		l1 := math.Float32frombits(nd(i1).val)
		l2 := math.Float32frombits(nd(i2).val)
		l3 := math.Float32frombits(nd(i3).val)
		l4 := math.Float32frombits(nd(i4).val)
		l5 := math.Float32frombits(nd(i5).val)
		l6 := math.Float32frombits(nd(i6).val)
		l7 := math.Float32frombits(nd(i7).val)
		if dart {
			addLeaf(&a[0*ng+g], l0, true, w)
			addLeaf(&a[1*ng+g], l1, true, w)
			addLeaf(&a[2*ng+g], l2, true, w)
			addLeaf(&a[3*ng+g], l3, true, w)
			addLeaf(&a[4*ng+g], l4, true, w)
			addLeaf(&a[5*ng+g], l5, true, w)
			addLeaf(&a[6*ng+g], l6, true, w)
			addLeaf(&a[7*ng+g], l7, true, w)
			continue
		}
		a[0*ng+g] += l0
		a[1*ng+g] += l1
		a[2*ng+g] += l2
		a[3*ng+g] += l3
		a[4*ng+g] += l4
		a[5*ng+g] += l5
		a[6*ng+g] += l6
		a[7*ng+g] += l7
	}
	for ; r < nb; r++ {
		p := unsafe.Add(bp, r*4)
		i := rc + b2i(at(p, rf) >= rt)
		for d := 1; d < depth; d++ {
			n := nd(i)
			i = n.child + b2i(at(p, uintptr(n.feat)) >= n.thr)
		}
		addLeaf(&acc[r*ng+g], math.Float32frombits(nd(i).val), dart, w)
	}
}
