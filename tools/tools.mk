# SPDX-License-Identifier: GPL-2.0-or-later
# Each tools/NAME/ directory builds $(O)/bin/NAME from its *.c files.
TOOLS := $(notdir $(patsubst %/,%,$(dir $(wildcard tools/*/*.c))))
TOOLS_LIBS = $(LIBKTLS_A) $(GNUTLS_LIBS) $(URING_LIBS) -lkeyutils -lpthread -lm

define tool_rule
EXTRA_CFLAGS_tools/$(1)/ = $$(GNUTLS_CFLAGS)
$(O)/bin/$(1): $$(patsubst %.c,$(O)/obj/%.o,$$(wildcard tools/$(1)/*.c)) $$(LIBKTLS_A)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) -o $$@ $$(filter %.o,$$^) $$(TOOLS_LIBS)
all: $(O)/bin/$(1)
endef
$(foreach t,$(sort $(TOOLS)),$(eval $(call tool_rule,$(t))))
