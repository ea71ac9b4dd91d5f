# trialtrack — build, test, run and install.
#   make run      set up, build, and run trialsd on a scratch database (.build/demo) with the demo data
#   make demo-clean  remove the demo's database and socket (.build/demo), to start over
#   make timeline-picture  redraw docs/timeline-demo.png, the demo programme as trialctl timeline draws it
#   make check    set up, build, and pass the whole test suite
#   make install  install binaries, units, catalog, man pages and completions (DESTDIR, PREFIX)
#   make fuzz     fuzz what a peer sends trialsd for FUZZ_SECONDS (60) with libFuzzer (Fuzz/)
#   make bench    build trialbench (Benchmarks/, a package of its own) and run BENCH_ARGS (store)

PREFIX ?= /usr/local
DESTDIR ?=
SWIFT ?= swift
CONFIGURATION ?= release
BINDIR = $(PREFIX)/bin
LIBDIR = $(PREFIX)/lib
UNITDIR = $(LIBDIR)/systemd/system
MANDIR = $(PREFIX)/share/man
BUILT = .build/$(CONFIGURATION)
DEBIAN_PACKAGES = libsqlite3-dev libsystemd-dev libssl-dev pkg-config sqlite3 python3 python3-venv util-linux systemd-container \
	libcurl4 ca-certificates chromium
# libcurl4 and ca-certificates: the toolchain's FoundationNetworking (URLSession, which
# RegistryClient fetches ClinicalTrials.gov with) loads libcurl.so.4 and trusts the system's CAs.
# chromium: TrialExportsTests renders the timeline SVG in a real browser (headless) and
# checks the picture is not blank; the test skips, saying so, without it.
# The tests' Python (the independent Varlink client; icalendar and feedparser read the
# calendar and the feed TrialExports writes): a virtual environment inside the build
# folder, so that it works with Debian's own python3 (PEP 668 refuses a system-wide pip install).
VENV = .build/venv

.PHONY: deps venv build run demo-clean check test bench clean man completions install timeline-picture

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

# The daemon in the foreground on a scratch database inside the clone, .build/demo/trials.db,
# and the socket .build/demo/control (never /var/lib/trialsd, which trialsd.service keeps), with
# the demo data recorded into an empty log: demo/run, which prints where they are and how to
# reach them. A database that exists is kept; `make demo-clean` starts over. Ctrl-C stops it.
DEMO_DIR ?= .build/demo

run: build
	DEMO_DIR=$(DEMO_DIR) demo/run

demo-clean:
	rm -rf $(DEMO_DIR)

# The README's picture, docs/timeline-demo.png: the demo programme drawn by `trialctl timeline`
# and photographed by headless chromium (demo/timeline-picture; TODAY=YYYY-MM-DD to redraw it
# for another day). Not part of `make check`.
timeline-picture: build
	demo/timeline-picture

$(VENV)/bin/python3:
	python3 -m venv $(VENV)

# The independent checkers the tests run: a Varlink client, an iCalendar and an Atom parser
# (pinned, so that a new release cannot turn CI red overnight).
PYTHON_PACKAGES = varlink==31.0.0 icalendar==7.3.2 feedparser==6.0.14

venv: $(VENV)/bin/python3
	@$(VENV)/bin/python3 -c 'import varlink, icalendar, feedparser' 2>/dev/null || $(VENV)/bin/python3 -m pip install -q --disable-pip-version-check $(PYTHON_PACKAGES)

check: deps venv
	$(SWIFT) build --build-tests
	# `make install` into a scratch prefix: the tests check the installed units and files.
	$(MAKE) --no-print-directory install PREFIX=$(CURDIR)/.build/install-check CONFIGURATION=debug >/dev/null
	# Line-buffered: if the run is ever stopped, its output names the test it was in.
	bash -o pipefail -c 'stdbuf -oL -eL $(SWIFT) test --skip-build 2>&1 | tee .build/check-tests.log'
	# In CI (CI is set) the fuzzer runs too, for a bounded minute; a user's `make check` skips it.
	@if [ -n "$$CI" ]; then FUZZ_SECONDS=$${FUZZ_SECONDS:-60} SWIFT=$(SWIFT) Fuzz/run; fi
	@# The tests' count last, whatever ran after them: XCTest's summary as one line.
	@line=$$(grep -E 'Executed [0-9]+ tests?, with' .build/check-tests.log | tail -1); \
	n=$$(echo "$$line" | sed -E 's/.*Executed ([0-9]+) tests?.*/\1/'); \
	f=$$(echo "$$line" | sed -E 's/.* ([0-9]+) failures?.*/\1/'); \
	k=$$(echo "$$line" | grep -oE '[0-9]+ tests? skipped' | grep -oE '^[0-9]+' || echo 0); \
	echo "tests: $$((n - f - k)) passed, $$f failed, $$k skipped"

test: check

# The fuzz target (Fuzz/, a package of its own): the JSON parser, Varlink calls, the event
# contract, every payload and ClinicalTrials.gov records, on a copy of Fuzz/corpus. A crash
# prints the input's path and hex; add it to Fuzz/corpus as finding-NAME with a unit test.
.PHONY: fuzz
fuzz:
	SWIFT=$(SWIFT) Fuzz/run

# Benchmarks print figures; they are never timed tests. See benchmarks/README.md. trialbench is
# a package of its own (Benchmarks/, with its own Benchmarks/.build), so that building the
# product never builds it; BENCH_ARGS picks the benchmark and its options (default: store).
BENCH_ARGS ?= store
bench: deps
	$(SWIFT) build -c release --package-path Benchmarks --product trialbench
	Benchmarks/.build/release/trialbench $(BENCH_ARGS)

# Man pages and shell completions are generated from the commands' own definitions; the man
# pages are finished by man/finish-page with the hand-written sections of man/*.sections
# (ENVIRONMENT, FILES, EXIT STATUS, EXAMPLES, SEE ALSO), which generate-manual cannot write.
man:
	$(SWIFT) build -c $(CONFIGURATION) --product trialctl
	$(SWIFT) build -c $(CONFIGURATION) --product trialsd
	$(SWIFT) build --product generate-manual
	mkdir -p .build/man/generated
	.build/debug/generate-manual $(BUILT)/trialctl --section 1 --output-directory .build/man/generated
	.build/debug/generate-manual $(BUILT)/trialsd --section 8 --output-directory .build/man/generated
	python3 man/finish-page .build/man/generated/trialctl.1 man/trialctl.1.sections .build/man/trialctl.1
	python3 man/finish-page .build/man/generated/trialsd.8 man/trialsd.8.sections .build/man/trialsd.8 --no-subcommands

completions:
	$(SWIFT) build -c $(CONFIGURATION) --product trialctl
	mkdir -p .build/completions
	$(BUILT)/trialctl --generate-completion-script bash > .build/completions/trialctl.bash
	$(BUILT)/trialctl --generate-completion-script zsh > .build/completions/_trialctl
	$(BUILT)/trialctl --generate-completion-script fish > .build/completions/trialctl.fish

# Binaries, units, sysusers.d, tmpfiles.d, the journal catalog, man pages and completions in
# the standard places under $(DESTDIR)$(PREFIX). After `make install PREFIX=/usr`:
#   systemd-sysusers; systemd-tmpfiles --create; journalctl --update-catalog
#   systemctl daemon-reload; systemctl enable --now trialsd.socket
#   systemctl enable --now trialtrack-sync.timer   (the weekday registry sync; optional)
install: man completions
	install -Dm755 $(BUILT)/trialsd $(DESTDIR)$(BINDIR)/trialsd
	install -Dm755 $(BUILT)/trialctl $(DESTDIR)$(BINDIR)/trialctl
	install -d $(DESTDIR)$(UNITDIR)
	sed 's|/usr/local/bin/|$(BINDIR)/|' systemd/trialsd.service > $(DESTDIR)$(UNITDIR)/trialsd.service
	install -m644 systemd/trialsd.socket $(DESTDIR)$(UNITDIR)/trialsd.socket
	sed 's|/usr/local/bin/|$(BINDIR)/|' systemd/trialtrack-sync.service > $(DESTDIR)$(UNITDIR)/trialtrack-sync.service
	install -m644 systemd/trialtrack-sync.timer $(DESTDIR)$(UNITDIR)/trialtrack-sync.timer
	install -Dm644 systemd/trialsd.sysusers $(DESTDIR)$(LIBDIR)/sysusers.d/trialsd.conf
	install -Dm644 systemd/trialsd.tmpfiles $(DESTDIR)$(LIBDIR)/tmpfiles.d/trialsd.conf
	install -Dm644 systemd/trialsd.catalog $(DESTDIR)$(LIBDIR)/systemd/catalog/trialsd.catalog
	install -Dm644 .build/man/trialctl.1 $(DESTDIR)$(MANDIR)/man1/trialctl.1
	install -Dm644 .build/man/trialsd.8 $(DESTDIR)$(MANDIR)/man8/trialsd.8
	install -Dm644 .build/completions/trialctl.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/trialctl
	install -Dm644 .build/completions/_trialctl $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_trialctl
	install -Dm644 .build/completions/trialctl.fish $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/trialctl.fish

clean:
	rm -rf .build Benchmarks/.build
