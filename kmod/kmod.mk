# SPDX-License-Identifier: GPL-2.0-or-later
# Out-of-tree modules, built once per guest kernel in $(O)/kmod/SERIES/.
# Kbuild writes its output next to the sources, so each series gets a copy.
# 7.x kernels want their own toolchain (gcc-14, glibc >= 2.38): they build
# inside the trixie build root that kernel-fetch-trixie.sh makes.
TRIXIE_ROOT ?= $(dir $(KCACHE))trixie-root

modules: kernels
	@for s in $(SERIES); do \
		rel=$$(cat $(KCACHE)/$$s/release) || exit 1; \
		dst=$(O)/kmod/$$s; mkdir -p $$dst; \
		cp -a Kbuild $$dst/ && cp -a kmod uapi $$dst/ || exit 1; \
		case $$s in \
		7.*) in=/build/tlshd-kmod-$$s; \
			rm -rf $(TRIXIE_ROOT)$$in && mkdir -p $(TRIXIE_ROOT)/build && \
			cp -a $$dst $(TRIXIE_ROOT)$$in || exit 1; \
			unshare -m --propagation private sh -c \
				"mount -t proc proc $(TRIXIE_ROOT)/proc && \
				 chroot $(TRIXIE_ROOT) make -C /usr/src/linux-headers-$$rel M=$$in modules" \
				>$$dst/build.log 2>&1 || { cat $$dst/build.log; exit 1; }; \
			cp -a $(TRIXIE_ROOT)$$in/. $$dst/ || exit 1 ;; \
		*) $(MAKE) --no-print-directory -C $(KCACHE)/$$s/root/usr/src/linux-headers-$$rel \
			M=$(abspath $(O))/kmod/$$s modules >$$dst/build.log 2>&1 || \
			{ cat $$dst/build.log; exit 1; } ;; \
		esac; \
		grep -E 'warning|error' $$dst/build.log || true; \
	done
