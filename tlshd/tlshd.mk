# SPDX-License-Identifier: GPL-2.0-or-later
# tlshd: everything but main.c also goes into an archive the unit tests link.
TLSHD_SRCS := $(filter-out tlshd/main.c,$(wildcard tlshd/*.c))
TLSHD_A := $(O)/obj/tlshd/libtlshd.a
TLSHD_LIBS = $(TLSHD_A) $(LIBKTLS_A) $(NL_LIBS) $(GNUTLS_LIBS) -lkeyutils -lsystemd -lpthread
EXTRA_CFLAGS_tlshd/ = $(GNUTLS_CFLAGS) $(NL_CFLAGS)

$(TLSHD_A): $(TLSHD_SRCS:%.c=$(O)/obj/%.o)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(O)/bin/tlshd: $(O)/obj/tlshd/main.o $(TLSHD_A) $(LIBKTLS_A)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(TLSHD_LIBS)

ifneq ($(wildcard tlshd/main.c),)
all: $(O)/bin/tlshd
endif
