# SPDX-License-Identifier: GPL-2.0-or-later
# Out-of-tree modules, built once per guest kernel in $(O)/kmod/SERIES/.
# Kbuild writes its output next to the sources, so each series gets a copy.
modules: kernels
	@for s in $(SERIES); do \
		rel=$$(cat $(KCACHE)/$$s/release) || exit 1; \
		dst=$(O)/kmod/$$s; mkdir -p $$dst; \
		cp -a Kbuild $$dst/ && cp -a kmod uapi $$dst/ || exit 1; \
		$(MAKE) --no-print-directory -C $(KCACHE)/$$s/root/usr/src/linux-headers-$$rel \
			M=$(abspath $(O))/kmod/$$s modules >$$dst/build.log 2>&1 || \
			{ cat $$dst/build.log; exit 1; }; \
		grep -E 'warning|error' $$dst/build.log || true; \
	done
