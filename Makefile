# modelsql — build, test and benchmark targets.
# `make test` installs what the tests need (apt packages, go-installed servers)
# into $(TOOLS) when missing, then runs vet and the whole test suite.

GO      ?= go
TOOLS   ?= $(HOME)/.cache/modelsql-tools
BIN     ?= bin/modelsql
export MODELSQL_TOOLS := $(TOOLS)

# `modelsql --version` prints these (internal/buildinfo; a plain `go build`
# falls back to what the Go toolchain records).
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
COMMIT  ?= $(shell c=$$(git rev-parse HEAD 2>/dev/null) && { git diff --quiet HEAD 2>/dev/null || c=$$c-dirty; echo $$c; })
LDFLAGS := -X github.com/modelsql/modelsql/internal/buildinfo.version=$(VERSION) -X github.com/modelsql/modelsql/internal/buildinfo.commit=$(COMMIT)

.PHONY: build run test deps vet fmt-check fuzz bench-xgboost bench-sql bench-ai bench-server bench-train bench-objects fixtures examples

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/modelsql

# The main job: the demo script on the embedded default data directory.
run: build
	./scripts/deps.d/40-xgboost.sh --lib-only
	./scripts/demo.sh

deps:
	./scripts/ensure-deps.sh

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "not gofmt'ed:"; echo "$$out"; exit 1; fi

test: deps fmt-check vet build
	MODELSQL_REQUIRE_TOOLS=1 MODELSQL_BIN=$(CURDIR)/$(BIN) $(GO) test -count=1 -timeout 30m ./...

# Regenerates the demo models and data sets in examples/ with XGBoost itself.
examples:
	./scripts/ensure-python-xgboost.sh
	/usr/bin/python3 examples/train_demo.py
	/usr/bin/python3 examples/train_churn.py

# 5,000 rows through AI_GENERATE against the test server (50 ms latency,
# MAX_CONCURRENCY 64), with and without 10% 429/503 answers.
bench-ai: build
	MODELSQL_BENCH_AI=1 MODELSQL_BIN=$(CURDIR)/$(BIN) $(GO) test -count=1 -run TestBenchAI -v ./e2e

# Object tables against MinIO: REFRESH METADATA of 10,000 objects, and
# GET_DATA_FROM_OSS over 2,000 objects of 100 KB (objects/s, CPU per
# object, peak RSS of modelsql); BENCHMARKS.md, "Object tables".
bench-objects: build
	MODELSQL_BENCH_OBJECTS=1 MODELSQL_BIN=$(CURDIR)/$(BIN) $(GO) test -count=1 -timeout 20m -run TestBenchObjects -v ./e2e

# ML_PREDICT over 1,000,000 rows against the runtime's batch API and XGBoost.
bench-sql: build
	./scripts/ensure-python-xgboost.sh
	MODELSQL_BENCH_SQL=1 MODELSQL_BIN=$(CURDIR)/$(BIN) $(GO) test -count=1 -timeout 30m -run TestBenchSQL -v ./e2e

# 32 concurrent pgx clients (non-administrators, so every statement is
# checked) against `modelsql serve` on loopback: model DDL, SHOW/DESC,
# ML_PREDICT, AI_GENERATE against the test LLM server, queries, inserts;
# statements/s, latencies, errors and server RSS (BENCHMARKS.md, "Server").
bench-server: build
	MODELSQL_BENCH_SERVER=1 MODELSQL_BIN=$(CURDIR)/$(BIN) $(GO) test -count=1 -timeout 15m -run TestBenchServer -v ./e2e

# Training 1,000,000 rows x 28 features (100 rounds, depth 6, 2 threads)
# in SQL against XGBoost's Python package on the same rows: time, peak RSS.
bench-train: build
	./scripts/ensure-python-xgboost.sh
	MODELSQL_BENCH_TRAIN=1 MODELSQL_BIN=$(CURDIR)/$(BIN) $(GO) test -count=1 -timeout 60m -run TestBenchTrain -v ./e2e

# Regenerates the golden fixtures of internal/xgboost and internal/train
# with XGBoost 1.7.4 and scikit-learn (make test only reads the committed
# files and needs no Python).
fixtures:
	./scripts/ensure-python-xgboost.sh
	/usr/bin/python3 internal/xgboost/testdata/gen.py
	/usr/bin/python3 internal/train/testdata/gen.py

# Runs every fuzz target for FUZZTIME each (seed corpora run in make test).
# A short FUZZMINIMIZETIME keeps a target from spending its whole run
# minimising a new input (the default is 60s per input).
FUZZTIME ?= 30s
FUZZMINIMIZETIME ?= 5s
fuzz:
	@set -e; for pkg in $$(go list ./internal/...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZETIME) $$pkg; \
	  done; \
	done

# modelsql's XGBoost runtime vs XGBoost 1.7.4 inplace_predict (1 and 2
# threads, outputs checked bit for bit), plus load time and memory of a
# ~100 MB JSON model. Models are cached in ~/.cache/modelsql-xgbench.
bench-xgboost:
	./scripts/ensure-python-xgboost.sh
	GO=$(GO) /usr/bin/python3 internal/xgboost/bench/bench.py
