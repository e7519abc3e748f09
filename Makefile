# kvplot: see README.md.
GO ?= go
SPECS ?= specs
OUT ?= out

.PHONY: all build site test golden bench fuzz vet clean

all: build

build:
	$(GO) build -o kvplot ./cmd/kvplot

site:
	$(GO) run ./cmd/kvplot build --specs $(SPECS) --out $(OUT)

test:
	$(GO) vet ./...
	$(GO) test ./...

golden:
	$(GO) test ./internal/charts/ ./internal/spec/ ./cmd/kvplot/ -update

bench:
	GO=$(GO) bash scripts/bench.sh

vet:
	$(GO) vet ./...

clean:
	rm -rf kvplot $(OUT)
