# SPDX-License-Identifier: GPL-2.0-or-later
# tlshd, libktls, their tools, kernel modules and tests.
#
#   make            build everything for the host (daemon, library, tools, tests)
#   make run        the end-to-end demo in a 6.12 guest
#   make check      what CI runs: host tests, the whole functional suite on
#                   6.12, the focused set on 6.1 and 7.3 (selftests/lib/tiers.bash)
#   make check-quick  host tests and the smoke set in one 6.12 guest
#   make soak       the long tier at full size on every kernel
#   make fuzz       each fuzz harness for FUZZ_SECONDS (300)
#   make modules    the kernel modules for every guest kernel (6.12, 6.1, 7.3)
#   make bench      the standard benchmark suite, then bench-serve, in 6.12 guests
#   make bench-rekey  TLS 1.3 KeyUpdate cost and throughput in a 7.3 guest
#   make bench-versus upcall handshakes: our tlshd against ktls-utils' (Debian's)
#   make bench-serve  ktls-serve against nginx (kTLS and user space), wrk
#   make install    DESTDIR=... PREFIX=... (default /usr/local); make uninstall
#   make deb        the Debian packages (dpkg-buildpackage) in $(BUILD)/deb
#
# `run` and `check` install missing Debian packages and kernels themselves
# (7.3 with a trixie build root for its modules, in ~/.cache/tlshd).

BUILD ?= build
O := $(BUILD)
CC ?= gcc
PKG_CONFIG ?= pkg-config
SERIES ?= 6.12 6.1 7.3
# Downloaded kernels live outside the work tree, so that a fresh clone (CI's)
# reuses them; they are fetched again when missing.
KCACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/tlshd/kernels
export KCACHE

# Install locations. The daemon's configuration stays in /etc whatever the
# prefix, because that is where tlshd (and ktls-utils' tlshd) look.
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
UNITDIR ?= $(PREFIX)/lib/systemd/system
SYSCONFDIR ?= /etc

# Recursive (=) so that pkg-config runs only once deps are installed.
GNUTLS_CFLAGS = $(shell $(PKG_CONFIG) --cflags gnutls)
GNUTLS_LIBS = $(shell $(PKG_CONFIG) --libs gnutls)
NL_CFLAGS = $(shell $(PKG_CONFIG) --cflags libnl-genl-3.0)
NL_LIBS = $(shell $(PKG_CONFIG) --libs libnl-genl-3.0)
URING_LIBS = $(shell $(PKG_CONFIG) --libs liburing)
SSL_LIBS = $(shell $(PKG_CONFIG) --libs openssl)

WARN := -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow -Wformat=2
CFLAGS ?= -O2 -g
ALL_CFLAGS = -std=gnu11 $(WARN) $(CPPFLAGS) $(CFLAGS) -D_GNU_SOURCE -Iuapi -Ilib/include \
	-fstack-protector-strong -D_FORTIFY_SOURCE=2 -MMD -MP

# Keep objects that only feed a link: a rebuild should not redo them.
.SECONDARY:

# Each run has a whole-run budget, counted from make's start (set-up
# included): below CI's 90 minutes by a margin. The runner stops starting
# tests as the budget nears and still prints its summary.
RUN_START := $(shell date +%s)
CHECK_BUDGET ?= 4800
QUICK_BUDGET ?= 900
SOAK_BUDGET ?= 10800
RUN = selftests/run.sh --build $(O) --start $(RUN_START)

.PHONY: all deps kernels modules check check-quick check-host soak run bench bench-rekey bench-versus bench-serve bench-nvme clean install uninstall products deb
all:

include lib/lib.mk
include tlshd/tlshd.mk
include tools/tools.mk
include selftests/selftests.mk
include kmod/kmod.mk
include selftests/fuzz/fuzz.mk

$(O)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(EXTRA_CFLAGS_$(dir $<)) -c -o $@ $<

$(O)/obj/%.pic.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(EXTRA_CFLAGS_$(dir $<)) -fPIC -c -o $@ $<

deps:
	@scripts/deps.sh

kernels: deps
	@for s in $(SERIES); do selftests/vm/kernel-fetch.sh $$s $(KCACHE) || exit 1; done

# Build in a sub-make so that pkg-config sees freshly installed packages.
check: kernels
	@$(MAKE) --no-print-directory all modules deb
	@$(RUN) --tier check --budget $(CHECK_BUDGET) --kernels "$(SERIES)"

check-quick: deps
	@selftests/vm/kernel-fetch.sh 6.12 $(KCACHE)
	@$(MAKE) --no-print-directory all modules SERIES=6.12
	@$(RUN) --tier quick --budget $(QUICK_BUDGET) --kernels 6.12

check-host: deps
	@$(MAKE) --no-print-directory all deb
	@$(RUN) --tier check --budget $(CHECK_BUDGET) --kernels ""

soak: kernels
	@$(MAKE) --no-print-directory all modules
	@$(RUN) --tier soak --budget $(SOAK_BUDGET) --kernels "$(SERIES)"

run: deps
	@selftests/vm/kernel-fetch.sh 6.12 $(KCACHE)
	@$(MAKE) --no-print-directory all modules SERIES=6.12
	@scripts/demo.sh --build $(O)

bench: deps
	@selftests/vm/kernel-fetch.sh 6.12 $(KCACHE)
	@$(MAKE) --no-print-directory all modules SERIES=6.12
	@scripts/bench.sh --build $(O)
	@scripts/bench-serve.sh --build $(O)
	@scripts/bench-nvme.sh --build $(O)

bench-serve: deps
	@selftests/vm/kernel-fetch.sh 6.12 $(KCACHE)
	@$(MAKE) --no-print-directory all SERIES=6.12
	@scripts/bench-serve.sh --build $(O)

bench-nvme: deps
	@selftests/vm/kernel-fetch.sh 6.12 $(KCACHE)
	@$(MAKE) --no-print-directory all modules SERIES=6.12
	@scripts/bench-nvme.sh --build $(O)

bench-rekey: deps
	@selftests/vm/kernel-fetch.sh 7.3 $(KCACHE)
	@$(MAKE) --no-print-directory all modules SERIES=7.3
	@scripts/bench.sh --build $(O) --rekey-only

bench-versus: deps
	@selftests/vm/kernel-fetch.sh 6.12 $(KCACHE)
	@$(MAKE) --no-print-directory all modules SERIES=6.12
	@scripts/bench.sh --build $(O) --versus

# What `make install` puts where (uninstall removes the same list).
INST_TOOLS = $(filter ktls-serve ktls-bench ktls-probe,$(TOOLS))
INST_MAN = $(wildcard man/*.[1-8] tools/*/*.1 lib/man/*.3 tlshd/man/*.5)
INST_FILES = $(SBINDIR)/tlshd $(INST_TOOLS:%=$(BINDIR)/%) \
	$(LIBDIR)/libktls.so.0 $(LIBDIR)/libktls.so $(LIBDIR)/libktls.a \
	$(INCLUDEDIR)/ktls.h $(LIBDIR)/pkgconfig/libktls.pc \
	$(UNITDIR)/tlshd.service \
	$(foreach m,$(INST_MAN),$(MANDIR)/man$(subst .,,$(suffix $(m)))/$(notdir $(m)))

# Only what gets installed (debian/rules builds this, not the tests).
products: $(O)/bin/tlshd $(INST_TOOLS:%=$(O)/bin/%) $(LIBKTLS_A) $(LIBKTLS_SO) $(LIBKTLS_PC)

install: products
	install -D -m 0755 $(O)/bin/tlshd $(DESTDIR)$(SBINDIR)/tlshd
	for t in $(INST_TOOLS); do \
		install -D -m 0755 $(O)/bin/$$t $(DESTDIR)$(BINDIR)/$$t || exit 1; done
	install -D -m 0755 $(LIBKTLS_SO) $(DESTDIR)$(LIBDIR)/libktls.so.0
	ln -sf libktls.so.0 $(DESTDIR)$(LIBDIR)/libktls.so
	install -D -m 0644 $(LIBKTLS_A) $(DESTDIR)$(LIBDIR)/libktls.a
	install -D -m 0644 lib/include/ktls.h $(DESTDIR)$(INCLUDEDIR)/ktls.h
	install -D -m 0644 $(LIBKTLS_PC) $(DESTDIR)$(LIBDIR)/pkgconfig/libktls.pc
	for m in $(INST_MAN); do s=$${m##*.}; \
		install -D -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$s/$${m##*/} || exit 1; done
	@mkdir -p $(DESTDIR)$(UNITDIR)
	sed 's|/usr/sbin/tlshd|$(SBINDIR)/tlshd|' systemd/tlshd.service \
		>$(DESTDIR)$(UNITDIR)/tlshd.service
	@# An administrator's configuration is never overwritten.
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/tlshd/config ]; then \
		echo "keeping $(DESTDIR)$(SYSCONFDIR)/tlshd/config"; \
	else \
		install -D -m 0644 tlshd/config.example $(DESTDIR)$(SYSCONFDIR)/tlshd/config; \
	fi

# The configuration goes only if nobody changed it.
uninstall:
	rm -f $(addprefix $(DESTDIR),$(INST_FILES))
	if cmp -s tlshd/config.example $(DESTDIR)$(SYSCONFDIR)/tlshd/config; then \
		rm -f $(DESTDIR)$(SYSCONFDIR)/tlshd/config; \
		rmdir $(DESTDIR)$(SYSCONFDIR)/tlshd 2>/dev/null || true; fi

# The Debian packages, built from a copy of the tree (scripts/build-deb.sh),
# again only when a file git knows of changed.
DEB_SRCS := $(wildcard $(shell git ls-files -co --exclude-standard 2>/dev/null))

deb: $(O)/deb/stamp

$(O)/deb/stamp: $(DEB_SRCS)
	@scripts/build-deb.sh $(O)/deb
	@touch $@

clean:
	rm -rf $(O)/obj $(O)/bin $(O)/lib $(O)/kmod $(O)/selftests $(O)/vm $(O)/deb

-include $(shell find $(O)/obj -name '*.d' 2>/dev/null)
