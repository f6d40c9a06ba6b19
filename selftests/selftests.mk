# SPDX-License-Identifier: GPL-2.0-or-later
# Host unit tests (selftests/host/*.c) and the programs in-guest tests use
# (selftests/bin/*.c): one standalone program per file.
SELFTEST_LIBS = $(TLSHD_A) $(LIBKTLS_A) $(NL_LIBS) $(GNUTLS_LIBS) $(SSL_LIBS) \
	$(URING_LIBS) -lkeyutils -lpthread
EXTRA_CFLAGS_selftests/host/ = $(GNUTLS_CFLAGS) $(NL_CFLAGS) -Itlshd -Ilib
EXTRA_CFLAGS_selftests/bin/ = $(GNUTLS_CFLAGS) $(NL_CFLAGS) -Itlshd -Ilib -Ikmod

SELFTEST_PROGS := $(patsubst %.c,$(O)/%,$(wildcard selftests/host/*.c selftests/bin/*.c))

$(O)/selftests/%: $(O)/obj/selftests/%.o $(TLSHD_A) $(LIBKTLS_A)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $< $(SELFTEST_LIBS)

all: $(SELFTEST_PROGS)

# The failing allocator the out-of-memory test preloads.
FAILMALLOC_SO = $(O)/selftests/lib/failmalloc.so

$(FAILMALLOC_SO): selftests/lib/failmalloc.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -shared -fPIC -o $@ $<

all: $(FAILMALLOC_SO)
