# kvplot: see README.md.
GO ?= go
SPECS ?= specs
OUT ?= out
# Lints .github/workflows; the module proxy serves it, so a clean machine
# with Go builds it on first use (the module cache keeps it after).
ACTIONLINT ?= github.com/rhysd/actionlint/cmd/actionlint@v1.7.12

.PHONY: all build site test golden bench fuzz vet lint-workflows clean mutate

all: build

build:
	$(GO) build -o kvplot ./cmd/kvplot

site:
	$(GO) run ./cmd/kvplot build --specs $(SPECS) --out $(OUT)

test: lint-workflows
	$(GO) vet ./...
	$(GO) test ./...

lint-workflows:
	$(GO) run $(ACTIONLINT)

golden:
	$(GO) test ./internal/charts/ ./internal/spec/ ./internal/diff/ ./cmd/kvplot/ -update

bench:
	GO=$(GO) bash scripts/bench.sh

vet:
	$(GO) vet ./...

clean:
	rm -rf kvplot $(OUT)

# Mutation testing (slow: tens of minutes; not part of test or CI). Gremlins
# mutates the memory model (internal/analysis) and the spec reader (the
# bounded, tree-confined file reading and the parse/check helpers:
# internal/spec/read.go and problems.go) and runs their tests on each mutant.
# Do not add --test-cpu: with it gremlins v0.6.0 makes every test run fail,
# so every mutant counts as killed (100% efficacy, all of it false).
GREMLINS ?= github.com/go-gremlins/gremlins/cmd/gremlins@v0.6.0
MUTATE_FLAGS ?= --workers 2 --timeout-coefficient 20
mutate:
	$(GO) run $(GREMLINS) unleash $(MUTATE_FLAGS) ./internal/analysis
	$(GO) run $(GREMLINS) unleash $(MUTATE_FLAGS) -E '(^|/)[a-oqs-z][a-z_0-9]*\.go$$' ./internal/spec
