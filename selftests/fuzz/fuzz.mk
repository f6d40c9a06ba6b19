# SPDX-License-Identifier: GPL-2.0-or-later
# libFuzzer harnesses for the parsers that take outside input. Each
# selftests/fuzz/fuzz_NAME.c is built with clang, ASan and UBSan together
# with the parser's own source file(s) into $(O)/fuzz/fuzz_NAME, and fed
# the seeds in selftests/fuzz/corpus/NAME/.
#
#   make fuzz-build                 build the harnesses
#   make fuzz [FUZZ_SECONDS=300]    run each one for that long (0: the
#                                   seeds only; libFuzzer's 0 is "forever")
#
# New inputs go to $(O)/fuzz/corpus/NAME, crashes to $(O)/fuzz/artifacts/NAME;
# the seed corpus in the tree is only read.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 300
FUZZ_SANITIZE := -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined
FUZZ_CFLAGS = -std=gnu11 $(WARN) -g -O1 $(FUZZ_SANITIZE) -D_GNU_SOURCE \
	-Iuapi -Ilib/include -Ilib -Itlshd -Itools/ktls-serve

# Harness name -> the parser sources it links, and their libraries.
FUZZ_SRCS_accept := tlshd/msg.c
FUZZ_LIBS_accept = $(NL_LIBS)
FUZZ_SRCS_config := tlshd/config.c lib/cipher_table.c lib/groups.c
FUZZ_LIBS_config = $(GNUTLS_LIBS)
FUZZ_SRCS_http := tools/ktls-serve/http.c
FUZZ_SRCS_psk_identity := lib/keyring_desc.c
FUZZ_SRCS_session_cache := tlshd/session_cache.c
FUZZ_LIBS_session_cache = $(GNUTLS_LIBS)

FUZZ_NAMES := $(patsubst selftests/fuzz/fuzz_%.c,%,$(wildcard selftests/fuzz/fuzz_*.c))
FUZZ_BINS := $(FUZZ_NAMES:%=$(O)/fuzz/fuzz_%)

define fuzz_rule
$(O)/fuzz/fuzz_$(1): selftests/fuzz/fuzz_$(1).c $$(FUZZ_SRCS_$(1)) \
		$$(wildcard $$(patsubst %.c,%.h,$$(FUZZ_SRCS_$(1)))) \
		selftests/fuzz/fuzz.mk
	@mkdir -p $$(dir $$@)
	$$(FUZZ_CC) $$(FUZZ_CFLAGS) $$(GNUTLS_CFLAGS) $$(NL_CFLAGS) -o $$@ \
		$$(filter %.c,$$^) $$(FUZZ_LIBS_$(1))
endef
$(foreach n,$(FUZZ_NAMES),$(eval $(call fuzz_rule,$(n))))

.PHONY: fuzz fuzz-build
fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	@for n in $(FUZZ_NAMES); do \
		mkdir -p $(O)/fuzz/corpus/$$n $(O)/fuzz/artifacts/$$n || exit 1; \
		if [ "$(FUZZ_SECONDS)" -le 0 ]; then runs=-runs=0; \
			echo "fuzz: $$n, seeds only (FUZZ_SECONDS=$(FUZZ_SECONDS))"; \
		else runs=-max_total_time=$(FUZZ_SECONDS); \
			echo "fuzz: $$n for $(FUZZ_SECONDS)s"; fi; \
		$(O)/fuzz/fuzz_$$n $$runs -timeout=10 \
			-print_final_stats=1 \
			-artifact_prefix=$(O)/fuzz/artifacts/$$n/ \
			$(O)/fuzz/corpus/$$n selftests/fuzz/corpus/$$n \
			>$(O)/fuzz/$$n.log 2>&1 || { \
			tail -n 40 $(O)/fuzz/$$n.log; \
			echo "fuzz: $$n failed; reproducer in $(O)/fuzz/artifacts/$$n/"; \
			exit 1; }; \
		grep -a -E '^stat::number_of_executed_units|^Done' $(O)/fuzz/$$n.log; \
	done
