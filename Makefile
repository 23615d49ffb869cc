# libudsock: build, install, test.
#   make            release build: target/release/libudsock.{so,a}, and
#                   build/lib/libudsock.so (versioned exports) that install puts
#   make demo       the documents' programs, ported to the library, run live
#   make check      every test: Rust, C (dynamic and static), ABI, docs, Python
#   make bench      raw system calls vs libudsock, side by side
#   make install    PREFIX=/usr/local DESTDIR= LIBDIR= INCLUDEDIR= PKGCONFIGDIR= BINDIR= MANDIR=
#   make uninstall  the same variables
#   make header     regenerate the committed include/udsock.h

.DELETE_ON_ERROR:
.PHONY: all build man check-tool header install uninstall stage check check-rust check-clippy check-abi check-c \
        check-cxx check-docs check-python check-bench check-sanitize check-reliability-quick check-reliability demo bench bench-instr fuzz clean

PREFIX      ?= /usr/local
EXEC_PREFIX ?= $(PREFIX)
LIBDIR      ?= $(EXEC_PREFIX)/lib
INCLUDEDIR  ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
BINDIR      ?= $(EXEC_PREFIX)/bin
MANDIR      ?= $(PREFIX)/share/man
DESTDIR     ?=

CARGO   ?= cargo
CC      ?= cc
CXX     ?= c++
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
MAJOR   := $(firstword $(subst ., ,$(VERSION)))
REL     := $(or $(CARGO_TARGET_DIR),target)/release
# What the library is built from: `make install` rebuilds only when one of
# these is newer, so `make && sudo make install` does not need cargo as root.
LIB_SOURCES := $(shell find src udsock/src -name '*.rs') build.rs Cargo.toml udsock/Cargo.toml Cargo.lock cbindgen.toml
TOOL_SOURCES := $(shell find tool/src -name '*.rs') tool/Cargo.toml
# The shared library as installed: linked again from the archive with
# udsock.map, which gives every export the version UDSOCK_0. The cdylib
# cargo builds cannot carry it: rustc passes the linker a version script
# of its own first, and the linker keeps to that one.
SHLIB   := build/lib/libudsock.so

# The manual pages, generated so that they can never drift: udsock(1) from
# the tool's clap definitions, uds_*(3) from the header's doc comments,
# libudsock(7) from the header and the README.
MAN        := build/man
MAN3_NAMES := ${shell sed -n 's/^[a-z][^(]*[ *]\(uds_[a-z_]*\)(.*/\1/p' include/udsock.h}
MAN_PAGES  := $(MAN)/man1/udsock.1 $(MAN)/man7/libudsock.7 $(MAN3_NAMES:%=$(MAN)/man3/%.3)

# A staged install that the C and Python tests build against, exactly as a
# user's program would: through the installed header and pkg-config.
STAGE     := $(CURDIR)/build/stage
STAGE_ENV := $(STAGE)/env.sh
C_STD_FLAGS := -std=c99 -Wall -Wextra -Werror -pedantic

all: build

build:
	$(CARGO) build --release --locked --workspace
	@$(MAKE) --no-print-directory $(SHLIB)
	$(MAKE) --no-print-directory man

$(REL)/libudsock.so $(REL)/libudsock.a &: $(LIB_SOURCES)
	$(CARGO) build --release --locked -p udsock-c
	touch $(REL)/libudsock.so $(REL)/libudsock.a

$(REL)/udsock $(REL)/udsock-mangen &: $(LIB_SOURCES) $(TOOL_SOURCES)
	$(CARGO) build --release --locked -p udsock-tool
	touch $(REL)/udsock $(REL)/udsock-mangen

man: $(MAN_PAGES)

$(MAN)/man1/udsock.1: $(REL)/udsock-mangen
	$(REL)/udsock-mangen $(MAN)/man1

$(MAN)/man7/libudsock.7 $(MAN3_NAMES:%=$(MAN)/man3/%.3) &: man/genman.py include/udsock.h README.md Cargo.toml
	rm -rf $(MAN)/man3 $(MAN)/man7
	python3 man/genman.py include/udsock.h README.md $(VERSION) $(MAN)

$(SHLIB): $(REL)/libudsock.a udsock.map
	@mkdir -p $(@D)
	$(CC) -shared -o $@ -Wl,--whole-archive $(REL)/libudsock.a -Wl,--no-whole-archive \
	    -Wl,--version-script=udsock.map -Wl,-soname,libudsock.so.$(MAJOR) -Wl,--no-undefined \
	    -Wl,--gc-sections -Wl,--strip-debug -Wl,-z,relro,-z,now -Wl,-z,noexecstack

header:
	UDSOCK_WRITE_HEADER=1 $(CARGO) build --locked -p udsock-c

# The .pc file names its directories relative to ${prefix} and
# ${exec_prefix} where they lie below them, as distributions write it, so
# that it relocates: `pkg-config --define-prefix` on a DESTDIR tree.
pc_rel = $(patsubst $(2)/%,$${$(3)}/%,$(1))
PC_EXEC_PREFIX := $(if $(filter $(PREFIX),$(EXEC_PREFIX)),$${prefix},$(call pc_rel,$(EXEC_PREFIX),$(PREFIX),prefix))
PC_LIBDIR      := $(call pc_rel,$(call pc_rel,$(LIBDIR),$(EXEC_PREFIX),exec_prefix),$(PREFIX),prefix)
PC_INCLUDEDIR  := $(call pc_rel,$(INCLUDEDIR),$(PREFIX),prefix)
INSTALL_DIRS   := $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(BINDIR) \
                  $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3 $(DESTDIR)$(MANDIR)/man7
# The directories `make install` created, one a line, for `make uninstall`
# (empty: not recorded).
INSTALL_RECORD ?= build/install-dirs

install: $(SHLIB) $(REL)/libudsock.a $(REL)/udsock $(MAN_PAGES)
	@[ -z "$(INSTALL_RECORD)" ] || { mkdir -p $(dir $(INSTALL_RECORD)) && touch "$(INSTALL_RECORD)" && \
	  { while IFS= read -r d; do [ ! -d "$$d" ] || echo "$$d"; done < "$(INSTALL_RECORD)"; \
	    for d in $(INSTALL_DIRS); do \
	      while [ -n "$$d" ] && [ ! -e "$$d" ]; do echo "$$d"; d=$${d%/*}; done; \
	    done; } | sort -u -o "$(INSTALL_RECORD)"; }
	install -d $(INSTALL_DIRS)
	install -m 755 $(REL)/udsock $(DESTDIR)$(BINDIR)/udsock
	install -m 644 $(MAN)/man1/udsock.1 $(DESTDIR)$(MANDIR)/man1/udsock.1
	install -m 644 $(MAN)/man7/libudsock.7 $(DESTDIR)$(MANDIR)/man7/libudsock.7
	install -m 644 $(MAN3_NAMES:%=$(MAN)/man3/%.3) $(DESTDIR)$(MANDIR)/man3/
	install -m 755 $(SHLIB) $(DESTDIR)$(LIBDIR)/libudsock.so.$(VERSION)
	ln -sf libudsock.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libudsock.so.$(MAJOR)
	ln -sf libudsock.so.$(MAJOR) $(DESTDIR)$(LIBDIR)/libudsock.so
	install -m 644 $(REL)/libudsock.a $(DESTDIR)$(LIBDIR)/libudsock.a
	install -m 644 include/udsock.h $(DESTDIR)$(INCLUDEDIR)/udsock.h
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@EXEC_PREFIX@|$(PC_EXEC_PREFIX)|' \
	    -e 's|@LIBDIR@|$(PC_LIBDIR)|' -e 's|@INCLUDEDIR@|$(PC_INCLUDEDIR)|' \
	    -e 's|@VERSION@|$(VERSION)|' pkgconfig/udsock.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/udsock.pc
	chmod 644 $(DESTDIR)$(PKGCONFIGDIR)/udsock.pc

# Then the directories install created, deepest first, each only while
# empty (rmdir never removes one that holds anything).
uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/libudsock.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libudsock.so.$(MAJOR) \
	      $(DESTDIR)$(LIBDIR)/libudsock.so $(DESTDIR)$(LIBDIR)/libudsock.a \
	      $(DESTDIR)$(INCLUDEDIR)/udsock.h $(DESTDIR)$(PKGCONFIGDIR)/udsock.pc \
	      $(DESTDIR)$(BINDIR)/udsock $(DESTDIR)$(MANDIR)/man1/udsock.1 $(DESTDIR)$(MANDIR)/man7/libudsock.7 \
	      $(MAN3_NAMES:%=$(DESTDIR)$(MANDIR)/man3/%.3)
	@[ ! -f "$(INSTALL_RECORD)" ] || { \
	  sort -r "$(INSTALL_RECORD)" | while IFS= read -r d; do \
	    for t in $(INSTALL_DIRS); do case $$t/ in "$$d"/*) \
	      if [ -d "$$d" ]; then rmdir "$$d" 2>/dev/null && echo "rmdir $$d"; fi; break;; esac; done; \
	  done; \
	  while IFS= read -r d; do [ ! -d "$$d" ] || echo "$$d"; done < "$(INSTALL_RECORD)" > "$(INSTALL_RECORD).new"; \
	  mv "$(INSTALL_RECORD).new" "$(INSTALL_RECORD)"; }

# Always through cargo, which also sees a changed profile or environment.
stage: build
	rm -rf $(STAGE)
	$(MAKE) --no-print-directory install DESTDIR=$(STAGE) INSTALL_RECORD=
	{ echo 'export PKG_CONFIG_SYSROOT_DIR="$(STAGE)"'; \
	  echo 'export PKG_CONFIG_LIBDIR="$(STAGE)$(PKGCONFIGDIR)"'; \
	  echo 'export PKG_CONFIG_PATH='; \
	  echo 'export UDS_LIBDIR="$(STAGE)$(LIBDIR)"'; \
	  echo 'export LD_LIBRARY_PATH="$(STAGE)$(LIBDIR)$${LD_LIBRARY_PATH:+:$$LD_LIBRARY_PATH}"'; \
	  echo 'export UDSOCK_BIN="$(STAGE)$(BINDIR)/udsock"'; \
	  echo 'export UDS_MANDIR="$(STAGE)$(MANDIR)"'; \
	} > $(STAGE_ENV)
	@# The one definition of how the tests link libudsock.a into an otherwise
	@# dynamic program: what pkg-config --static prints, the archive named.
	. $(STAGE_ENV) && \
	  echo "export UDS_STATIC_LIBS=\"$$(pkg-config --static --libs udsock | sed 's/-ludsock\b/-l:libudsock.a/')\"" >> $(STAGE_ENV)

# Every test. Each part runs to its end even when one before it failed;
# tools/tally.sh adds up their counts into the last line, one total
# "N passed, M failed[, K skipped]", and fails the target when M > 0.
# The parts, run alone (make check-c), stage first; under check, once.
CHECK_PARTS := check-rust check-clippy check-abi check-c check-reliability-quick \
               check-cxx check-docs check-python check-tool check-bench
TALLY       := bash tools/tally.sh
STAGE_DEP   ?= stage
# The C tests and the documents' tests run under pytest (c-tests/conftest.py:
# each C program a test, built against the stage, which it finds itself).
PYTHON      ?= python3
PYTEST      := env PYTHONDONTWRITEBYTECODE=1 $(PYTHON) -m pytest
DOC_TESTS   := $(sort $(dir $(wildcard c-tests/*/test_*.py)))

check: stage
	@$(TALLY) reset
	@for p in $(CHECK_PARTS); do $(TALLY) run $$p $(MAKE) --no-print-directory $$p STAGE_DEP=; done; \
	 $(TALLY) total

check-rust:
	$(CARGO) test --locked --workspace
	$(CARGO) test --locked -p udsock --features tokio
	$(CARGO) run --locked --quiet -p udsock --features tokio --example tokio_fds
	$(CARGO) run --locked --quiet -p udsock --example echo
	$(CARGO) run --locked --quiet -p udsock --example fdserver
	sh udsock/tools/dependent-check.sh
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --locked --no-deps --quiet -p udsock --features tokio

# Lints: Cargo.toml's [lints] table (every unsafe block documented).
check-clippy:
	$(CARGO) clippy -p udsock-c -p udsock --all-targets --locked -- -D warnings
	$(CARGO) clippy -p udsock --features tokio --all-targets --locked -- -D warnings

check-abi: $(STAGE_DEP)
	bash c-tests/abi-check.sh
	bash c-tests/install-check.sh

# Every c-tests/unit/test_*.c, linked dynamically and statically.
check-c: $(STAGE_DEP)
	$(PYTEST) c-tests/unit
	bash c-tests/readme-check.sh
	bash c-tests/examples-check.sh

# Load, faults and hostile input (SECURITY.md): quick sizes in make check.
check-reliability-quick: $(STAGE_DEP)
	$(PYTEST) c-tests/reliability

# The full sizes: 1,000 clients x 100 frames, 100,000 fds, 256 MiB under signals.
# -rP: each test's output, with the figures it measured.
check-reliability: $(STAGE_DEP)
	$(PYTEST) c-tests/reliability --full -rP

check-cxx: $(STAGE_DEP)
	. $(STAGE_ENV) && echo '#include <udsock.h>' | \
	  $(CXX) -x c++ -Wall -Wextra -Werror -pedantic $$(pkg-config --cflags udsock) -fsyntax-only -
	@echo "ok - udsock.h compiles as C++"

# The documents' programs, printed and ported: c-tests/<document>/test_*.py.
check-docs: $(STAGE_DEP)
	$(PYTEST) $(DOC_TESTS)

check-python: $(STAGE_DEP)
	. $(STAGE_ENV) && bash bindings/python/run-tests.sh

# The udsock tool against real peers, and the manual pages.
check-tool: $(STAGE_DEP)
	. $(STAGE_ENV) && bash tool/run-tests.sh

check-bench: $(STAGE_DEP)
	. $(STAGE_ENV) && bash bench/run.sh --smoke

# The build's output goes to build/demo-build.log (shown only if it fails).
demo:
	@mkdir -p build && $(MAKE) --no-print-directory -s stage >build/demo-build.log 2>&1 || \
	  { cat build/demo-build.log; exit 1; }
	@. $(STAGE_ENV) && PYTHONDONTWRITEBYTECODE=1 $(PYTHON) c-tests/docs_demo.py
	@. $(STAGE_ENV) && bash tool/demo.sh

# The C tests under AddressSanitizer/UBSan and under Valgrind memcheck,
# with one total like make check's. TALLY_KEEP=1 adds to the counts so far
# instead: .ci/run's last line is the total of make check and this.
check-sanitize: stage
	@[ -n "$(TALLY_KEEP)" ] || $(TALLY) reset
	@$(TALLY) run unit-asan $(PYTEST) c-tests/unit --sanitize; \
	 $(TALLY) run unit-valgrind $(PYTEST) c-tests/unit --valgrind; \
	 $(TALLY) run reliability-asan $(PYTEST) c-tests/reliability --sanitize; \
	 $(TALLY) run reliability-valgrind $(PYTEST) c-tests/reliability --valgrind; \
	 $(TALLY) total

# Coverage-guided fuzzing (cargo-fuzz, nightly toolchain): FUZZ_SECONDS per target.
FUZZ_SECONDS ?= 300
fuzz:
	cd fuzz && for t in addr addr_format frame; do \
	  cargo +nightly fuzz run $$t corpus/$$t -- -max_total_time=$(FUZZ_SECONDS) -max_len=4096 || exit 1; done

bench: stage
	. $(STAGE_ENV) && bash bench/run.sh

bench-instr: stage
	. $(STAGE_ENV) && bash bench/run.sh --instr

clean:
	$(CARGO) clean
	rm -rf build
