# kvplot: see README.md.
GO ?= go
SPECS ?= specs
OUT ?= out
# Lints .github/workflows; the module proxy serves it, so a clean machine
# with Go builds it on first use (the module cache keeps it after).
ACTIONLINT ?= github.com/rhysd/actionlint/cmd/actionlint@v1.7.12

.PHONY: all build site test golden bench fuzz vet lint-workflows clean

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
