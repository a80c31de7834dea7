# atomdav — make targets are the way in.
GO        ?= go
BIN       ?= bin/atomdav
ADDR      ?= 127.0.0.1:8080
# Debian packages the tests drive as real clients.
TEST_DEBS := litmus cadaver rclone curl chromium

.PHONY: build run test deps lint litmus bench crashtest clean

build:
	$(GO) build -o $(BIN) ./cmd/atomdav

run:
	mkdir -p files
	$(GO) run ./cmd/atomdav serve ./files --addr $(ADDR) --anonymous

# test installs the real clients when it can (root with apt-get), then runs
# every test; tests whose client is missing skip, naming the package
# (with CI=true a missing client fails instead).
test: deps
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...

deps:
	@missing=""; for p in $(TEST_DEBS); do dpkg -s $$p >/dev/null 2>&1 || command -v $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing Debian packages:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	else \
		echo "missing Debian packages:$$missing — the tests that need them will be skipped"; \
	fi

lint:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

# litmus runs every litmus suite against a freshly built binary.
litmus: deps build
	@dir=$$(mktemp -d); port=18$$(( $$$$ % 900 + 100 )); \
	$(BIN) serve $$dir --addr 127.0.0.1:$$port --anonymous --log-level warn & pid=$$!; sleep 1; \
	(cd $$dir && for s in basic copymove props locks http; do TESTS=$$s litmus http://127.0.0.1:$$port/ | grep -E "summary|FAIL|WARNING"; done); \
	kill $$pid; wait $$pid; rm -rf $$dir

# crashtest kill -9s the server 1000 times under PROPPATCH/PUT/MOVE/DELETE
# load and checks all-or-none after every restart (go test runs 50 kills).
crashtest:
	$(GO) test -run TestCrash -count=1 -timeout 60m ./internal/crashtest -kills 1000 -v

bench:
	$(GO) test -run XXX -bench . -benchtime 2s ./internal/dav ./storage/bolt ./proppatch

clean:
	rm -rf bin files
