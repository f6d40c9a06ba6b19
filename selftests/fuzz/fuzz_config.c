// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness: tlshd's configuration parser on arbitrary bytes.
 * Checks that each diagnostic is a bounded string with its "name:line:"
 * prefix, that errors are reported when the parse fails, and that the
 * keyring list agrees with its count (LeakSanitizer checks the frees).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_reports {
	unsigned int errors;
};

static void fuzz_report(enum tlshd_config_severity sev, const char *msg,
			void *ctx)
{
	struct fuzz_reports *r = ctx;

	if (strnlen(msg, 512) == 512 || strncmp(msg, "fuzz:", 5))
		abort();
	if (sev == TLSHD_CONFIG_ERROR)
		r->errors++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_reports reports = { 0 };
	struct tlshd_config cfg;
	unsigned int n = 0;
	int ret;

	tlshd_config_init(&cfg);
	ret = tlshd_config_parse(&cfg, "fuzz", (const char *)data, size,
				 fuzz_report, &reports);
	if (ret != 0 && ret != -EINVAL && ret != -ENOMEM)
		abort();
	if ((ret == -EINVAL) != (reports.errors > 0))
		abort();
	if (cfg.keyrings)
		while (cfg.keyrings[n])
			n++;
	if (n != cfg.nkeyrings)
		abort();
	if (cfg.loglevel < 0 || cfg.tls_debug < 0 || cfg.nl_debug < 0)
		abort();
	tlshd_config_free(&cfg);
	return 0;
}
