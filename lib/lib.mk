# SPDX-License-Identifier: LGPL-2.1-or-later
# libktls: static and shared library, pkg-config file.
LIBKTLS_SRCS := $(wildcard lib/*.c)
LIBKTLS_A := $(O)/lib/libktls.a
LIBKTLS_SO := $(O)/lib/libktls.so.0
EXTRA_CFLAGS_lib/ = $(GNUTLS_CFLAGS) -fvisibility=hidden -DKTLS_BUILD

$(LIBKTLS_A): $(LIBKTLS_SRCS:%.c=$(O)/obj/%.pic.o)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(LIBKTLS_SO): $(LIBKTLS_SRCS:%.c=$(O)/obj/%.pic.o)
	@mkdir -p $(dir $@)
	$(CC) -shared -Wl,-soname,libktls.so.0 -Wl,-z,relro,-z,now -o $@ $^ $(GNUTLS_LIBS)
	ln -sf libktls.so.0 $(O)/lib/libktls.so

all: $(LIBKTLS_A) $(LIBKTLS_SO)
