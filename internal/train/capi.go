package train

// This file is the binding to XGBoost's C API (c_api.h of XGBoost 1.7),
// loaded at run time with purego so that modelsql builds and runs without
// libxgboost; only training (and the calls below) need it.

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"
)

// DebianPackage is the package that provides the library on Debian.
const DebianPackage = "libxgboost0"

// LibraryEnv names an environment variable that overrides the library path.
const LibraryEnv = "MODELSQL_LIBXGBOOST"

// libCandidates are tried in order when LibraryEnv is unset.
var libCandidates = []string{
	"libxgboost.so.0",
	"libxgboost.so",
	"/usr/lib/x86_64-linux-gnu/libxgboost.so.0",
	"/usr/lib/aarch64-linux-gnu/libxgboost.so.0",
	"/usr/lib/python3/dist-packages/xgboost/lib/libxgboost.so",
}

// ErrNoLibrary is returned (wrapped) when libxgboost cannot be loaded.
var ErrNoLibrary = errors.New("libxgboost is not available")

type handle = uintptr

// capi holds the C functions modelsql calls.
type capi struct {
	version              func(major, minor, patch *int32)
	lastError            func() string
	dmatrixFromDense     func(data, config string, out *handle) int32
	dmatrixFromColumns   func(data unsafe.Pointer, types unsafe.Pointer, nrow, ncol uint64, out *handle, nthread int32) int32
	dmatrixFree          func(h handle) int32
	dmatrixSetFloatInfo  func(h handle, field string, data unsafe.Pointer, n uint64) int32
	dmatrixSetStrFeature func(h handle, field string, names unsafe.Pointer, n uint64) int32
	boosterCreate        func(dmats unsafe.Pointer, n uint64, out *handle) int32
	boosterFree          func(h handle) int32
	boosterSetParam      func(h handle, name, value string) int32
	boosterUpdate        func(h handle, iter int32, dtrain handle) int32
	boosterEval          func(h handle, iter int32, dmats unsafe.Pointer, names unsafe.Pointer, n uint64, out *unsafe.Pointer) int32
	boosterSlice         func(h handle, begin, end, step int32, out *handle) int32
	boosterSetAttr       func(h handle, key, value string) int32
	boosterSetStrFeature func(h handle, field string, names unsafe.Pointer, n uint64) int32
	boosterJSONConfig    func(h handle, outLen *uint64, out *unsafe.Pointer) int32
	boosterSave          func(h handle, config string, outLen *uint64, out *unsafe.Pointer) int32
	boosterLoad          func(h handle, data unsafe.Pointer, n uint64) int32
	boosterPredict       func(h handle, dmat handle, config string, outShape *unsafe.Pointer, outDim *uint64, out *unsafe.Pointer) int32
	boosterFeatureScore  func(h handle, config string, outNFeat *uint64, outFeat *unsafe.Pointer, outDim *uint64, outShape *unsafe.Pointer, outScores *unsafe.Pointer) int32
	major, minor, patch  int
	path                 string
}

var (
	libOnce sync.Once
	lib     *capi
	libErr  error
)

// load opens libxgboost once per process.
func load() (*capi, error) {
	libOnce.Do(func() { lib, libErr = open() })
	return lib, libErr
}

func open() (*capi, error) {
	cands := libCandidates
	if p := os.Getenv(LibraryEnv); p != "" {
		cands = []string{p}
	}
	var h uintptr
	var path string
	var firstErr error
	for _, c := range cands {
		var err error
		h, err = purego.Dlopen(c, purego.RTLD_NOW|purego.RTLD_LOCAL)
		if err == nil {
			path = c
			break
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	if h == 0 {
		return nil, fmt.Errorf("%w (%v): training needs XGBoost's C library; on Debian or Ubuntu install the package %s (apt-get install %s), or set %s to the library's path",
			ErrNoLibrary, firstErr, DebianPackage, DebianPackage, LibraryEnv)
	}
	c := &capi{path: path}
	syms := []struct {
		fn   any
		name string
	}{
		{&c.version, "XGBoostVersion"},
		{&c.lastError, "XGBGetLastError"},
		{&c.dmatrixFromDense, "XGDMatrixCreateFromDense"},
		{&c.dmatrixFromColumns, "XGDMatrixCreateFromDT"},
		{&c.dmatrixFree, "XGDMatrixFree"},
		{&c.dmatrixSetFloatInfo, "XGDMatrixSetFloatInfo"},
		{&c.dmatrixSetStrFeature, "XGDMatrixSetStrFeatureInfo"},
		{&c.boosterCreate, "XGBoosterCreate"},
		{&c.boosterFree, "XGBoosterFree"},
		{&c.boosterSetParam, "XGBoosterSetParam"},
		{&c.boosterUpdate, "XGBoosterUpdateOneIter"},
		{&c.boosterEval, "XGBoosterEvalOneIter"},
		{&c.boosterSlice, "XGBoosterSlice"},
		{&c.boosterSetAttr, "XGBoosterSetAttr"},
		{&c.boosterSetStrFeature, "XGBoosterSetStrFeatureInfo"},
		{&c.boosterJSONConfig, "XGBoosterSaveJsonConfig"},
		{&c.boosterSave, "XGBoosterSaveModelToBuffer"},
		{&c.boosterLoad, "XGBoosterLoadModelFromBuffer"},
		{&c.boosterPredict, "XGBoosterPredictFromDMatrix"},
		{&c.boosterFeatureScore, "XGBoosterFeatureScore"},
	}
	for _, s := range syms {
		addr, err := purego.Dlsym(h, s.name)
		if err != nil || addr == 0 {
			return nil, fmt.Errorf("%w: %s has no %s (XGBoost 1.7 or newer is needed; install %s)", ErrNoLibrary, path, s.name, DebianPackage)
		}
		purego.RegisterFunc(s.fn, addr)
	}
	// XGBoost logs warnings (deprecated files, parameters) on stderr, in the
	// middle of the shell's output; errors still come back from each call.
	var setGlobal func(cfg string) int32
	if addr, err := purego.Dlsym(h, "XGBSetGlobalConfig"); err == nil && addr != 0 {
		purego.RegisterFunc(&setGlobal, addr)
		setGlobal(`{"verbosity":0}`)
	}
	var ma, mi, pa int32
	c.version(&ma, &mi, &pa)
	c.major, c.minor, c.patch = int(ma), int(mi), int(pa)
	if c.major < 1 || (c.major == 1 && c.minor < 7) {
		return nil, fmt.Errorf("%w: %s is XGBoost %d.%d.%d; 1.7 or newer is needed (Debian: %s)", ErrNoLibrary, path, ma, mi, pa, DebianPackage)
	}
	return c, nil
}

// Version reports the loaded library's version ("1.7.4"), or an error
// naming the package to install.
func Version() (string, error) {
	c, err := load()
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%d.%d.%d", c.major, c.minor, c.patch), nil
}

// check turns a C return code into an error carrying XGBoost's message.
func (c *capi) check(rc int32, what string) error {
	if rc == 0 {
		return nil
	}
	return fmt.Errorf("xgboost %s: %s", what, c.lastError())
}

// cstrings builds a NUL-terminated char* array; the returned slices must
// stay alive (runtime.KeepAlive) until the call using the array returns.
func cstrings(ss []string) ([]unsafe.Pointer, [][]byte) {
	ptrs := make([]unsafe.Pointer, len(ss))
	bufs := make([][]byte, len(ss))
	for i, s := range ss {
		b := make([]byte, len(s)+1)
		copy(b, s)
		bufs[i] = b
		ptrs[i] = unsafe.Pointer(&b[0])
	}
	return ptrs, bufs
}

// goString copies a NUL-terminated C string.
func goString(p unsafe.Pointer) string {
	if p == nil {
		return ""
	}
	n := 0
	for *(*byte)(unsafe.Add(p, n)) != 0 {
		n++
	}
	return string(unsafe.Slice((*byte)(p), n))
}

// dmatrix is an XGBoost DMatrix built from float32 data.
type dmatrix struct {
	c *capi
	h handle
}

// newDMatrix builds a DMatrix from nrow×ncol float32 values stored column
// after column (cols[j*nrow+i] is row i, feature j), with NaN as missing.
// The column-major layout is described to XGBoost by strides in the
// __array_interface__, so no row-major copy is made.
func (c *capi) newDMatrix(cols []float32, nrow, ncol int, nthread int) (*dmatrix, error) {
	return c.newDMatrixStrided(cols, nrow, ncol, nthread, 4, 4*nrow)
}

// newDMatrixStrided is newDMatrix for any layout: the byte distance
// between rows and between features.
func (c *capi) newDMatrixStrided(cols []float32, nrow, ncol int, nthread int, rowStride, colStride int) (*dmatrix, error) {
	if nrow == 0 || ncol == 0 {
		return nil, fmt.Errorf("no data")
	}
	if len(cols) != nrow*ncol {
		return nil, fmt.Errorf("internal error: %d values for %d×%d", len(cols), nrow, ncol)
	}
	iface := fmt.Sprintf(`{"data":[%d,true],"shape":[%d,%d],"strides":[%d,%d],"typestr":"<f4","version":3}`,
		uintptr(unsafe.Pointer(&cols[0])), nrow, ncol, rowStride, colStride)
	cfg := fmt.Sprintf(`{"missing":NaN,"nthread":%d}`, nthread)
	var h handle
	rc := c.dmatrixFromDense(iface, cfg, &h)
	runtime.KeepAlive(cols)
	if err := c.check(rc, "DMatrix"); err != nil {
		return nil, err
	}
	return &dmatrix{c: c, h: h}, nil
}

// newDMatrixColumns builds a DMatrix from separate float32 columns of
// nrow values each (NaN missing), through XGBoost's column-table adapter
// (XGDMatrixCreateFromDT), so that the columns need not be copied into
// one block first.
func (c *capi) newDMatrixColumns(cols [][]float32, nrow int, nthread int) (*dmatrix, error) {
	if nrow == 0 || len(cols) == 0 {
		return nil, fmt.Errorf("no data")
	}
	ptrs := make([]unsafe.Pointer, len(cols))
	types := make([]string, len(cols))
	for j, col := range cols {
		if len(col) != nrow {
			return nil, fmt.Errorf("internal error: column %d has %d values for %d rows", j, len(col), nrow)
		}
		ptrs[j] = unsafe.Pointer(&col[0])
		types[j] = "float32"
	}
	tptrs, tbufs := cstrings(types)
	var h handle
	rc := c.dmatrixFromColumns(unsafe.Pointer(&ptrs[0]), unsafe.Pointer(&tptrs[0]), uint64(nrow), uint64(len(cols)), &h, int32(nthread))
	runtime.KeepAlive(cols)
	runtime.KeepAlive(ptrs)
	runtime.KeepAlive(tptrs)
	runtime.KeepAlive(tbufs)
	if err := c.check(rc, "DMatrix"); err != nil {
		return nil, err
	}
	return &dmatrix{c: c, h: h}, nil
}

func (d *dmatrix) free() {
	if d != nil && d.h != 0 {
		d.c.dmatrixFree(d.h)
		d.h = 0
	}
}

func (d *dmatrix) setLabels(y []float32) error {
	if len(y) == 0 {
		return nil
	}
	rc := d.c.dmatrixSetFloatInfo(d.h, "label", unsafe.Pointer(&y[0]), uint64(len(y)))
	runtime.KeepAlive(y)
	return d.c.check(rc, "set labels")
}

func (d *dmatrix) setFeatureNames(names []string) error {
	ptrs, bufs := cstrings(names)
	rc := d.c.dmatrixSetStrFeature(d.h, "feature_name", unsafe.Pointer(&ptrs[0]), uint64(len(names)))
	runtime.KeepAlive(bufs)
	runtime.KeepAlive(ptrs)
	return d.c.check(rc, "set feature names")
}

// booster is an XGBoost Booster.
type booster struct {
	c *capi
	h handle
}

func (c *capi) newBooster(cache []*dmatrix) (*booster, error) {
	hs := make([]handle, len(cache))
	for i, d := range cache {
		hs[i] = d.h
	}
	var p unsafe.Pointer
	if len(hs) > 0 {
		p = unsafe.Pointer(&hs[0])
	}
	var h handle
	rc := c.boosterCreate(p, uint64(len(hs)), &h)
	runtime.KeepAlive(hs)
	if err := c.check(rc, "create booster"); err != nil {
		return nil, err
	}
	return &booster{c: c, h: h}, nil
}

func (b *booster) free() {
	if b != nil && b.h != 0 {
		b.c.boosterFree(b.h)
		b.h = 0
	}
}

func (b *booster) setParam(k, v string) error {
	return b.c.check(b.c.boosterSetParam(b.h, k, v), "parameter "+k)
}

func (b *booster) update(iter int, dtrain *dmatrix) error {
	return b.c.check(b.c.boosterUpdate(b.h, int32(iter), dtrain.h), "update")
}

// eval returns XGBoost's evaluation line for the round, e.g.
// "[3]\ttrain-rmse:0.5\teval-rmse:0.6".
func (b *booster) eval(iter int, sets []*dmatrix, names []string) (string, error) {
	hs := make([]handle, len(sets))
	for i, d := range sets {
		hs[i] = d.h
	}
	ptrs, bufs := cstrings(names)
	var out unsafe.Pointer
	rc := b.c.boosterEval(b.h, int32(iter), unsafe.Pointer(&hs[0]), unsafe.Pointer(&ptrs[0]), uint64(len(hs)), &out)
	runtime.KeepAlive(bufs)
	runtime.KeepAlive(ptrs)
	runtime.KeepAlive(hs)
	if err := b.c.check(rc, "evaluate"); err != nil {
		return "", err
	}
	return goString(out), nil
}

// slice returns a new booster with rounds [begin, end).
func (b *booster) slice(begin, end int) (*booster, error) {
	var h handle
	if err := b.c.check(b.c.boosterSlice(b.h, int32(begin), int32(end), 1, &h), "slice"); err != nil {
		return nil, err
	}
	return &booster{c: b.c, h: h}, nil
}

// setFeatureNames stores the feature names in the booster, as the Python
// package does when a Booster is created from named data.
func (b *booster) setFeatureNames(names []string) error {
	ptrs, bufs := cstrings(names)
	rc := b.c.boosterSetStrFeature(b.h, "feature_name", unsafe.Pointer(&ptrs[0]), uint64(len(names)))
	runtime.KeepAlive(bufs)
	runtime.KeepAlive(ptrs)
	return b.c.check(rc, "set feature names")
}

func (b *booster) setAttr(k, v string) error {
	return b.c.check(b.c.boosterSetAttr(b.h, k, v), "set attribute "+k)
}

// config returns the booster's configuration as JSON (Booster.save_config).
func (b *booster) config() ([]byte, error) {
	var n uint64
	var p unsafe.Pointer
	if err := b.c.check(b.c.boosterJSONConfig(b.h, &n, &p), "save config"); err != nil {
		return nil, err
	}
	return append([]byte(nil), unsafe.Slice((*byte)(p), n)...), nil
}

// save returns the model in format "ubj" or "json".
func (b *booster) save(format string) ([]byte, error) {
	var n uint64
	var p unsafe.Pointer
	if err := b.c.check(b.c.boosterSave(b.h, `{"format":"`+format+`"}`, &n, &p), "save"); err != nil {
		return nil, err
	}
	return append([]byte(nil), unsafe.Slice((*byte)(p), n)...), nil
}

func (c *capi) loadBooster(model []byte) (*booster, error) {
	if len(model) == 0 {
		return nil, fmt.Errorf("empty model")
	}
	b, err := c.newBooster(nil)
	if err != nil {
		return nil, err
	}
	rc := c.boosterLoad(b.h, unsafe.Pointer(&model[0]), uint64(len(model)))
	runtime.KeepAlive(model)
	if err := c.check(rc, "load model"); err != nil {
		b.free()
		return nil, err
	}
	return b, nil
}

// predict runs XGBoosterPredictFromDMatrix; typ is 0 (value), 1 (margin),
// 2 (SHAP contributions). It returns the values and the shape.
func (b *booster) predict(d *dmatrix, typ int) ([]float32, []int, error) {
	cfg := fmt.Sprintf(`{"type":%d,"training":false,"iteration_begin":0,"iteration_end":0,"strict_shape":true}`, typ)
	var shapeP, outP unsafe.Pointer
	var dim uint64
	if err := b.c.check(b.c.boosterPredict(b.h, d.h, cfg, &shapeP, &dim, &outP), "predict"); err != nil {
		return nil, nil, err
	}
	shape := make([]int, dim)
	total := 1
	for i, s := range unsafe.Slice((*uint64)(shapeP), dim) {
		shape[i] = int(s)
		total *= int(s)
	}
	if total == 0 {
		return nil, shape, nil
	}
	return append([]float32(nil), unsafe.Slice((*float32)(outP), total)...), shape, nil
}

// featureScore runs XGBoosterFeatureScore for one importance type
// ("weight", "gain", "cover", "total_gain", "total_cover").
func (b *booster) featureScore(importance string) ([]string, []float32, error) {
	cfg := `{"importance_type":"` + importance + `"}`
	var nFeat, dim uint64
	var featP, shapeP, scoresP unsafe.Pointer
	if err := b.c.check(b.c.boosterFeatureScore(b.h, cfg, &nFeat, &featP, &dim, &shapeP, &scoresP), "feature score"); err != nil {
		return nil, nil, err
	}
	names := make([]string, nFeat)
	if nFeat > 0 {
		for i, p := range unsafe.Slice((*unsafe.Pointer)(featP), nFeat) {
			names[i] = goString(p)
		}
	}
	total := 1
	if dim > 0 {
		for _, s := range unsafe.Slice((*uint64)(shapeP), dim) {
			total *= int(s)
		}
	}
	var scores []float32
	if total > 0 && scoresP != nil {
		scores = append(scores, unsafe.Slice((*float32)(scoresP), total)...)
	}
	return names, scores, nil
}
