# atomdav — make targets are the way in.
GO        ?= go
BIN       ?= bin/atomdav
ADDR      ?= 127.0.0.1:8080
# Debian packages the tests drive as real clients, the PostgreSQL server
# the shared store's tests run against, apache2-utils (htpasswd writes the
# users files the tests log in with), systemd (systemd-analyze verifies
# the packaged unit) and logrotate (runs the packaged logrotate file).
TEST_DEBS := litmus cadaver rclone curl chromium davfs2 postgresql apache2-utils systemd logrotate

.PHONY: build run test deps lint litmus bench crashtest clean pg fuzz rclone-current dist deb docker

# VERSION and COMMIT are what `atomdav version` prints: the nearest tag,
# the commits since and the commit (git describe, "dirty" for uncommitted
# changes), and the commit itself (set here too: a go command configured
# with -buildvcs=false stamps none).
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
COMMIT    ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null)
LDFLAGS   := -X github.com/atomdav/atomdav/internal/cli.version=$(VERSION) -X github.com/atomdav/atomdav/internal/cli.commit=$(COMMIT)

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/atomdav

# dist cross-builds static release binaries (no cgo, paths trimmed, the
# version stamped) for every platform of DIST_TARGETS into DIST, named
# atomdav_VERSION_OS_ARCH (.exe on Windows), with their SHA256SUMS
# (check with: cd dist && sha256sum -c SHA256SUMS).
DIST         ?= dist
DIST_TARGETS ?= linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64
dist:
	@set -e; rm -rf $(DIST); mkdir -p $(DIST); \
	for t in $(DIST_TARGETS); do \
		os=$${t%/*}; arch=$${t#*/}; ext=""; if [ $$os = windows ]; then ext=.exe; fi; \
		out=atomdav_$(VERSION)_$${os}_$${arch}$$ext; \
		echo "building $(DIST)/$$out"; \
		CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -ldflags "-s -w $(LDFLAGS)" -o $(DIST)/$$out ./cmd/atomdav; \
	done; \
	cd $(DIST) && sha256sum atomdav_* >SHA256SUMS && cat SHA256SUMS

# deb builds DIST/atomdav_DEBVERSION_ARCH.deb with nfpm (the module in
# internal/packaging/nfpm, kept out of go.mod): the static binary, the
# systemd unit, the logrotate file and /etc/atomdav/atomdav.yaml as a
# conffile; its postinst creates the atomdav user and its folders.
# DEB_VERSION is VERSION as Debian orders it: a tag v1.2.3-4-gabc becomes
# 1.2.3.4.gabc, an untagged commit 0.0.0+gitabc.
DEB_ARCH    ?= $(shell $(GO) env GOARCH)
DEB_VERSION := $(shell echo '$(VERSION)' | sed -E -e 's/^v([0-9])/\1/' -e '/^[0-9]+\./!s/^/0.0.0+git/' -e 's/-/./g')
deb:
	@set -e; mkdir -p $(DIST)/deb-$(DEB_ARCH); \
	echo "building $(DIST)/deb-$(DEB_ARCH)/atomdav (linux/$(DEB_ARCH))"; \
	CGO_ENABLED=0 GOOS=linux GOARCH=$(DEB_ARCH) $(GO) build -trimpath -ldflags "-s -w $(LDFLAGS)" -o $(DIST)/deb-$(DEB_ARCH)/atomdav ./cmd/atomdav; \
	echo "packaging $(DIST)/atomdav_$(DEB_VERSION)_$(DEB_ARCH).deb with nfpm (internal/packaging/nfpm)"; \
	VERSION='$(DEB_VERSION)' ARCH=$(DEB_ARCH) BINARY=$(abspath $(DIST))/deb-$(DEB_ARCH)/atomdav \
		$(GO) -C internal/packaging/nfpm run . -config ../nfpm.yaml -target $(abspath $(DIST))/atomdav_$(DEB_VERSION)_$(DEB_ARCH).deb

# docker builds the container image IMAGE from internal/packaging/Dockerfile
# (the repository is the build context), stamped like make build.
IMAGE ?= atomdav:$(VERSION)
docker:
	docker build -f internal/packaging/Dockerfile --build-arg LDFLAGS="$(LDFLAGS)" -t $(IMAGE) .

run:
	@mkdir -p files
	@echo "building atomdav and serving ./files at http://$(ADDR)/ to anyone who can reach it (the first build fetches modules: a minute or so)"
	@$(GO) run ./cmd/atomdav serve ./files --addr $(ADDR) --anonymous

# test installs the real clients when it can (root with apt-get), then runs
# every test; tests whose client is missing skip, naming the package
# (with CI=true a missing client fails instead). The PostgreSQL tests run
# against a throwaway cluster (see with-pg).
test: export ATOMDAV_TEST_RCLONE_CURRENT = $(CURDIR)/$(RCLONE_CURRENT)
test: deps rclone-current
	$(GO) vet ./...
	@$(call with-pg,$(GO) test -race -count=1 ./...)
	@$(MAKE) --no-print-directory fuzz

# rclone-current builds a current rclone into bin/ for the interop tests
# (they find it through ATOMDAV_TEST_RCLONE_CURRENT; servers the tests
# start ignore ATOMDAV_TEST_* variables): Debian's rclone predates
# Nextcloud chunked uploads (rclone 1.63). internal/interop/rclone is its
# own Go module and links only the local and WebDAV backends and the
# commands the tests run; Go's build cache makes a rebuild take seconds.
# Without it (no network for the module proxy) the tests that need it skip,
# or fail with CI=true.
RCLONE_CURRENT := bin/rclone-current
rclone-current: $(RCLONE_CURRENT)
$(RCLONE_CURRENT): internal/interop/rclone/main.go internal/interop/rclone/go.mod internal/interop/rclone/go.sum
	@echo "building $@ (rclone $$(sed -n 's/^require github.com\/rclone\/rclone //p' internal/interop/rclone/go.mod))"
	@cd internal/interop/rclone && $(GO) build -o $(CURDIR)/$@ . || \
		echo "could not build $@: the tests that need a current rclone will skip"

# fuzz runs every Go fuzz target of the repository (each parser of client
# input has one) for FUZZTIME, on top of its seed corpus in the package's
# testdata/fuzz; a crash fails it and leaves the input in that corpus.
# FUZZTIME=10m for a real search. A run that fails only because Go's
# fuzzing engine missed its own deadline ("context deadline exceeded", no
# failing input: its workers stalled on a busy machine) is run once more.
FUZZTIME ?= 4s
fuzz:
	@set -e; log=$$(mktemp); trap 'rm -f "$$log"' EXIT; \
	grep -rl --include='*_test.go' '^func Fuzz' . | sort | while read -r f; do \
		pkg=./$$(dirname "$${f#./}"); \
		for name in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' "$$f"); do \
			echo "fuzz $$pkg $$name ($(FUZZTIME))"; \
			for try in 1 2; do \
				if $(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) "$$pkg" >"$$log" 2>&1; then break; fi; \
				if [ $$try = 1 ] && grep -q 'context deadline exceeded' "$$log" && ! grep -q 'Failing input written' "$$log"; then \
					echo "  the fuzzing engine missed its deadline with no failing input (a busy machine): once more"; continue; \
				fi; \
				cat "$$log"; exit 1; \
			done; \
		done; \
	done

# with-pg runs the command $(1) with ATOMDAV_TEST_POSTGRES set to the URL of
# a throwaway PostgreSQL cluster: initdb in a temp folder (as the postgres
# user when run as root: initdb refuses root), started on a free loopback
# port, stopped and removed when the command ends, whatever its outcome.
# Without the server binaries it runs the command alone, and the tests that
# need PostgreSQL skip naming the Debian package (CI=true: they fail).
with-pg = set -e; \
	pgbin=$$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1); \
	if [ -x "$$pgbin/initdb" ]; then \
		as=""; if [ "$$(id -u)" = 0 ]; then as="runuser -u postgres --"; fi; \
		pgdir=$$(mktemp -d "$${TMPDIR:-/tmp}/atomdav-pg.XXXXXX"); \
		if [ -n "$$as" ]; then chown postgres: "$$pgdir"; fi; \
		trap 'cd / && $$as "$$pgbin/pg_ctl" -D "$$pgdir/data" -m immediate stop >/dev/null 2>&1; rm -rf "$$pgdir"' EXIT; \
		(cd / && $$as "$$pgbin/initdb" -D "$$pgdir/data" -U postgres -A trust -E UTF8 --no-sync >"$$pgdir/initdb.log") || \
			{ cat "$$pgdir/initdb.log"; exit 1; }; \
		for try in 1 2 3 4 5; do \
			port=$$(( 20000 + ($$$$ * 7 + try * 7919) % 30000 )); \
			if (cd / && $$as "$$pgbin/pg_ctl" -D "$$pgdir/data" -l "$$pgdir/log" -w -t 30 \
				-o "-k $$pgdir -p $$port -h 127.0.0.1 -c max_connections=300" start >/dev/null); then break; fi; \
			port=""; \
		done; \
		if [ -z "$$port" ]; then cat "$$pgdir/log"; exit 1; fi; \
		"$$pgbin/createdb" -h 127.0.0.1 -p $$port -U postgres atomdav_test; \
		export ATOMDAV_TEST_POSTGRES="postgres://postgres@127.0.0.1:$$port/atomdav_test?sslmode=disable"; \
		echo "PostgreSQL $$("$$pgbin/postgres" -V | awk '{print $$3}') on 127.0.0.1:$$port for the tests"; \
	else \
		echo "no PostgreSQL server (Debian package postgresql): its tests will be skipped"; \
	fi; \
	$(1)

# pg runs a shell with ATOMDAV_TEST_POSTGRES set to a throwaway cluster, for
# running single PostgreSQL tests or benchmarks by hand.
pg:
	@$(call with-pg,$${SHELL:-sh})

deps:
	@missing=""; for p in $(TEST_DEBS); do dpkg -s $$p >/dev/null 2>&1 || command -v $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing Debian packages:$$missing (apt-get update, then apt-get install -y$$missing)"; \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing; \
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
# load and checks all-or-none after every restart, also of PROPPATCHes that
# set a file's mtime and execute bit with dead properties (the -live mode,
# on by default; go test runs 50 kills).
crashtest:
	$(GO) test -run TestCrash -count=1 -timeout 60m ./internal/crashtest -kills 1000 -v

bench:
	$(GO) test -run XXX -bench . -benchtime 2s ./internal/dav ./storage/bolt ./proppatch

clean:
	rm -rf bin files dist

.PHONY: bench-compare davbench-smoke

# bench-compare measures atomdav against Apache httpd's mod_dav and the
# in-memory net/http stub (davbench stub) side by side (davbench compare: all
# on loopback, shares on one disk, every scenario alternating for 3 rounds)
# and prints Markdown tables of medians on stdout, progress on stderr:
# server CPU per operation against issue 15's targets, then throughput and
# ratios (make -s bench-compare >bench.md keeps just the tables). It installs Apache when it can (root with apt-get), else says
# what to install. Tune it with BENCH_FLAGS, e.g. BENCH_FLAGS="-rounds 5 -d 30s".
BENCH_FLAGS ?= -rounds 3 -d 10s
bench-compare: build
	@command -v apache2 >/dev/null 2>&1 || [ -x /usr/sbin/apache2 ] || \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing Debian package apache2"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq apache2 >/dev/null; \
	else \
		echo "bench-compare needs Apache httpd: install the Debian package apache2 (as root: apt-get install -y apache2)"; exit 2; \
	fi
	$(GO) build -o bin/davbench ./cmd/davbench && bin/davbench compare -atomdav $(BIN) $(BENCH_FLAGS)

# davbench-smoke runs every davbench scenario for a moment against the real
# binary (it also runs in CI, as part of go test).
davbench-smoke:
	$(GO) test -count=1 -run TestSmoke ./cmd/davbench
