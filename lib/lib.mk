# SPDX-License-Identifier: LGPL-2.1-or-later
# libktls: static and shared library, pkg-config file.
LIBKTLS_SRCS := $(wildcard lib/*.c)
LIBKTLS_A := $(O)/lib/libktls.a
LIBKTLS_SO := $(O)/lib/libktls.so.0
LIBKTLS_PC := $(O)/lib/libktls.pc
LIBKTLS_VERSION := 0.1.0
EXTRA_CFLAGS_lib/ = $(GNUTLS_CFLAGS) -fvisibility=hidden -DKTLS_BUILD

$(LIBKTLS_A): $(LIBKTLS_SRCS:%.c=$(O)/obj/%.pic.o)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(LIBKTLS_SO): $(LIBKTLS_SRCS:%.c=$(O)/obj/%.pic.o) lib/libktls.map
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -shared -Wl,-soname,libktls.so.0 -Wl,-z,relro,-z,now \
		-Wl,--version-script=lib/libktls.map -o $@ $(filter %.o,$^) \
		$(GNUTLS_LIBS) -lkeyutils
	ln -sf libktls.so.0 $(O)/lib/libktls.so

# Regenerated on every run (the install prefix may differ from the last
# one), but rewritten only when its text changes.
$(LIBKTLS_PC): lib/libktls.pc.in FORCE
	@mkdir -p $(dir $@)
	@sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
		-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' \
		-e 's|@VERSION@|$(LIBKTLS_VERSION)|' $< >$@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv -f $@.tmp $@

.PHONY: FORCE
FORCE:

all: $(LIBKTLS_A) $(LIBKTLS_SO) $(LIBKTLS_PC)
