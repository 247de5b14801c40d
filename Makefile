# modelsql — build, test and benchmark targets.
# `make test` installs what the tests need (apt packages, go-installed servers)
# into $(TOOLS) when missing, then runs vet and the whole test suite.

GO      ?= go
TOOLS   ?= $(HOME)/.cache/modelsql-tools
BIN     ?= bin/modelsql
export MODELSQL_TOOLS := $(TOOLS)

.PHONY: build run test deps vet fmt-check fuzz bench-xgboost bench-sql bench-ai fixtures

build:
	$(GO) build -o $(BIN) ./cmd/modelsql

# The main job: the demo script on the embedded default data directory.
run: build
	./scripts/demo.sh

deps:
	./scripts/ensure-deps.sh

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "not gofmt'ed:"; echo "$$out"; exit 1; fi

test: deps fmt-check vet build
	MODELSQL_REQUIRE_TOOLS=1 MODELSQL_BIN=$(CURDIR)/$(BIN) $(GO) test -count=1 -timeout 30m ./...
