# SPDX-License-Identifier: GPL-2.0-or-later
# Host unit tests (selftests/host/*.c) and the programs in-guest tests use
# (selftests/bin/*.c): one standalone program per file, each linked with
# what it uses and nothing else.
EXTRA_CFLAGS_selftests/host/ = $(GNUTLS_CFLAGS) $(NL_CFLAGS) -Itlshd -Ilib \
	-Itools/ktls-serve
EXTRA_CFLAGS_selftests/bin/ = $(GNUTLS_CFLAGS) $(NL_CFLAGS) -Itlshd -Ilib -Ikmod \
	-Iselftests/lib
EXTRA_CFLAGS_selftests/lib/ = $(NL_CFLAGS)

SELFTEST_PROGS := $(patsubst %.c,$(O)/%,$(wildcard selftests/host/*.c selftests/bin/*.c))

# The helper libraries, compiled once (liburing's test/helpers.c is the model).
HS_NL_LIB = $(O)/obj/selftests/lib/hs-nl-lib.o
KTLS_PAIR_LIB = $(O)/obj/selftests/lib/ktls-pair.o

# Link sets. A program not named below is a libktls user.
KTLS_LINK = $(LIBKTLS_A) $(GNUTLS_LIBS) -lkeyutils -lpthread
TLSHD_LINK = $(TLSHD_A) $(KTLS_LINK) $(NL_LIBS)
SERVE_OBJS = $(O)/obj/tools/ktls-serve/http.o $(O)/obj/tools/ktls-serve/files.o

LINK_host/alloc_fail = $(TLSHD_LINK)
LINK_host/tlshd_config = $(TLSHD_LINK)
LINK_host/tlshd_netlink = $(TLSHD_LINK)
LINK_host/tlshd_notify = $(TLSHD_LINK)
LINK_host/tlshd_session_cache = $(TLSHD_LINK)
LINK_host/serve_http = $(O)/obj/tools/ktls-serve/http.o
LINK_host/serve_files = $(O)/obj/tools/ktls-serve/files.o
LINK_host/uapi_handshake =
LINK_host/uapi_ktls_test_consumer =
LINK_bin/echo-gnutls = $(GNUTLS_LIBS) -lpthread
LINK_bin/echo-openssl = $(SSL_LIBS) -lpthread
LINK_bin/tls-poke = $(GNUTLS_LIBS)
LINK_bin/tls-rekey-proxy = $(GNUTLS_LIBS)
LINK_bin/hs-agent = $(NL_LIBS) -lkeyutils
LINK_bin/hs-nl = $(HS_NL_LIB)
LINK_bin/hs-nl-close = $(HS_NL_LIB)
LINK_bin/hs-nl-cycle = $(HS_NL_LIB)
LINK_bin/hs-nl-fuzz = $(HS_NL_LIB)
LINK_bin/hs-nl-neg = $(HS_NL_LIB)
LINK_bin/ktls-selftest = $(KTLS_PAIR_LIB) $(KTLS_LINK)
LINK_bin/ktls-rekey = $(KTLS_PAIR_LIB) $(KTLS_LINK)

selftest_link = $(if $(filter undefined,$(origin LINK_$(1))),$(KTLS_LINK),$(LINK_$(1)))

$(O)/selftests/%: $(O)/obj/selftests/%.o $(TLSHD_A) $(LIBKTLS_A) $(HS_NL_LIB) \
		$(KTLS_PAIR_LIB) $(SERVE_OBJS)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $< $(call selftest_link,$*)

all: $(SELFTEST_PROGS)

# The failing allocator the out-of-memory test preloads.
FAILMALLOC_SO = $(O)/selftests/lib/failmalloc.so

$(FAILMALLOC_SO): selftests/lib/failmalloc.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -shared -fPIC -o $@ $<

all: $(FAILMALLOC_SO)
