# collm: `make demo` runs the quickstart notebook headless, `make test` runs every test,
# `make notebook` opens Jupyter with the collm kernel. Each target sets the environment itself.

export GOTOOLCHAIN := go1.27.3
export GOEXPERIMENT := simd
export GOMLX_BACKEND := go:parallelism=-1
export GOMLX_NO_AUTO_INSTALL := 1

COLLM := bin/collm
GO_DIRS := cmd envs kernel maac notebooks widgets

.PHONY: build build-xla install demo test notebook bench clean

build:
	go build -o $(COLLM) ./cmd/collm

# collm with GoMLX's XLA backend as well (cgo): run it with GOMLX_BACKEND=xla:/abs/path/plugin.so.
build-xla:
	CGO_ENABLED=1 go build -tags xla -o bin/collm-xla ./cmd/collm

install: build
	$(COLLM) kernel install

demo: install
	rm -rf out/runs
	COLLM_RUNS=$(CURDIR)/out/runs $(COLLM) notebook run notebooks/01-quickstart.ipynb --out out/01-quickstart.ipynb --html out/01-quickstart.html
	@echo "demo: open out/01-quickstart.html in a browser (works offline), or run 'make notebook'"

test: build
	$(COLLM) kernel install --test-tools
	bash maac/tokenizer/testdata/fetch_reference.sh
	@unformatted=$$(gofmt -l $(GO_DIRS)); if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	go vet ./...
	CGO_ENABLED=1 go vet -tags xla ./maac/backend
	COLLM_REQUIRE_TOOLS=1 go test -timeout 30m ./...
	# The agents' and critics' concurrent steps under the race detector (checkptr off: the go
	# backend's matrix packing does pointer arithmetic that checkptr rejects).
	go test -race -gcflags=all=-d=checkptr=0 -run TestConcurrentUpdatesMatchSequential ./maac

# Jupyter (classic Notebook) on 127.0.0.1 in notebooks/, with --allow-root only when run as root;
# prints the URL with its token. NOTEBOOK_PORT=N picks the port (default: the first free from 8888).
notebook: install
	$(COLLM) notebook serve --dir notebooks$(if $(NOTEBOOK_PORT), --port $(NOTEBOOK_PORT))

bench: build
	$(COLLM) bench

clean:
	rm -rf bin out
