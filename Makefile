# SPDX-License-Identifier: GPL-2.0-or-later
# tlshd, libktls, their tools, kernel modules and tests.
#
#   make            build everything for the host (daemon, library, tools, tests)
#   make run        the end-to-end demo in a 6.12 guest
#   make check      every test: host, then the 6.12 and 6.1 guests
#   make modules    the kernel modules for both guest kernels
#   make bench      the standard benchmark suite in a 6.12 guest
#
# `run` and `check` install missing Debian packages and kernels themselves.

BUILD ?= build
O := $(BUILD)
CC ?= gcc
PKG_CONFIG ?= pkg-config
SERIES ?= 6.12 6.1

# Recursive (=) so that pkg-config runs only once deps are installed.
GNUTLS_CFLAGS = $(shell $(PKG_CONFIG) --cflags gnutls)
GNUTLS_LIBS = $(shell $(PKG_CONFIG) --libs gnutls)
NL_CFLAGS = $(shell $(PKG_CONFIG) --cflags libnl-genl-3.0)
NL_LIBS = $(shell $(PKG_CONFIG) --libs libnl-genl-3.0)
URING_LIBS = $(shell $(PKG_CONFIG) --libs liburing)
SSL_LIBS = $(shell $(PKG_CONFIG) --libs openssl)

WARN := -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow -Wformat=2
CFLAGS ?= -O2 -g
ALL_CFLAGS = -std=gnu11 $(WARN) $(CFLAGS) -D_GNU_SOURCE -Iuapi -Ilib/include \
	-fstack-protector-strong -D_FORTIFY_SOURCE=2 -MMD -MP

# Keep objects that only feed a link: a rebuild should not redo them.
.SECONDARY:

.PHONY: all deps kernels modules check check-host run bench clean
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
	@for s in $(SERIES); do selftests/vm/kernel-fetch.sh $$s $(O)/kernels || exit 1; done

# Build in a sub-make so that pkg-config sees freshly installed packages.
check: kernels
	@$(MAKE) --no-print-directory all modules
	@selftests/run.sh --build $(O) --kernels "$(SERIES)"

check-host: deps
	@$(MAKE) --no-print-directory all
	@selftests/run.sh --build $(O) --kernels ""

run: deps
	@selftests/vm/kernel-fetch.sh 6.12 $(O)/kernels
	@$(MAKE) --no-print-directory all modules SERIES=6.12
	@scripts/demo.sh --build $(O)

bench: deps
	@selftests/vm/kernel-fetch.sh 6.12 $(O)/kernels
	@$(MAKE) --no-print-directory all modules SERIES=6.12
	@scripts/bench.sh --build $(O)

clean:
	rm -rf $(O)/obj $(O)/bin $(O)/lib $(O)/kmod $(O)/selftests $(O)/vm

-include $(shell find $(O)/obj -name '*.d' 2>/dev/null)
