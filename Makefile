# trialtrack — build, test, run and install.
#   make run      set up, build, and run trialsd on the default local database with the demo data
#   make check    set up, build, and pass the whole test suite
#   make install  install binaries, units, catalog, man pages and completions (DESTDIR, PREFIX)

PREFIX ?= /usr/local
DESTDIR ?=
SWIFT ?= swift
DEBIAN_PACKAGES = libsqlite3-dev libsystemd-dev libssl-dev pkg-config sqlite3 python3

.PHONY: deps build run check test bench clean

# Debian packages the build and the tests need (as root; otherwise it says what is missing).
deps:
	@missing=$$(for p in $(DEBIAN_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "installing: $$missing"; \
			DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
		else \
			echo "missing Debian packages: $$missing (run: sudo apt-get install $$missing)"; exit 1; \
		fi; \
	fi

build: deps
	$(SWIFT) build

# The daemon in the foreground on its default database (root: /var/lib/trialsd/trials.db,
# /run/trialsd/control; others: ~/.local/state/trialsd/trials.db, $XDG_RUNTIME_DIR/trialsd/control),
# with the demo data recorded into an empty log. Stop it with Ctrl-C.
run: build
	.build/debug/trialsd --seed demo/trial-timeline.jsonl

check: deps
	@python3 -c 'import varlink' 2>/dev/null || python3 -m pip install -q varlink
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

test: check

# Benchmarks print figures; they are never timed tests. See benchmarks/README.md.
bench: deps
	$(SWIFT) build -c release --product trialbench
	.build/release/trialbench

clean:
	rm -rf .build
