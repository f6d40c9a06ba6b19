// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * --plot: bars per path grouped by cipher, TX and RX one above the other,
 * each with the AEAD seal ceiling as its first bar and min-max error bars.
 * gnuplot draws it from a data file and a script written to a temporary
 * directory.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "bench.h"

#define PLOT_MAX_PATHS 16

struct plot_panel {
	enum bench_kind kind;
	const char *paths[PLOT_MAX_PATHS];
	unsigned int npaths;
	uint16_t version;
};

static void plot_collect(const struct bench_result *r, struct plot_panel *p)
{
	unsigned int i, k;
	const struct bench_item *it;

	p->npaths = 0;
	p->paths[p->npaths++] = "aead-seal";
	for (i = 0; i < r->nitems; i++) {
		it = &r->items[i];
		if (it->kind != p->kind || !it->n)
			continue;
		if (!p->version)
			p->version = it->version;
		if (it->version != p->version)
			continue;
		for (k = 0; k < p->npaths; k++)
			if (!strcmp(p->paths[k], it->path))
				break;
		if (k == p->npaths && p->npaths < PLOT_MAX_PATHS)
			p->paths[p->npaths++] = it->path;
	}
}

static void plot_stats(const struct bench_item *it, double *med, double *lo,
		       double *hi)
{
	double v[BENCH_MAX_SAMPLES];
	unsigned int i;

	*med = *lo = *hi = 0;
	if (!it || !it->n)
		return;
	for (i = 0; i < it->n; i++)
		v[i] = it->s[i].value;
	qsort(v, it->n, sizeof(double), bench_cmp_double);
	*med = bench_quantile(v, it->n, 0.5);
	*lo = v[0];
	*hi = v[it->n - 1];
}

/* One row per cipher: name, then median min max for each path. */
static int plot_data(const char *file, const struct bench_result *r,
		     const struct plot_panel *p)
{
	const struct bench_item *it;
	unsigned int bit, k, rows = 0;
	double med, lo, hi;
	FILE *f = fopen(file, "we");

	if (!f)
		return -errno;
	for (bit = 1; bit & KTLS_CIPHER_ALL; bit <<= 1) {
		it = report_find(r, BENCH_CEILING, "aead-seal", bit, 0, 0, 0);
		if (!it)
			continue;
		fprintf(f, "%s", bench_cipher_short(bit));
		for (k = 0; k < p->npaths; k++) {
			it = k ? report_find(r, p->kind, p->paths[k], bit,
					     p->version, 0, 0) : it;
			plot_stats(it, &med, &lo, &hi);
			fprintf(f, " %.2f %.2f %.2f", med, lo, hi);
		}
		fprintf(f, "\n");
		rows++;
	}
	fclose(f);
	return rows ? 0 : -ENOENT;
}

static void plot_panel_script(FILE *f, const char *data, const char *title,
			      const struct plot_panel *p)
{
	unsigned int k;

	fprintf(f, "set title \"%s\"\n", title);
	fprintf(f, "plot ");
	for (k = 0; k < p->npaths; k++)
		fprintf(f, "%s'%s' using %u:%u:%u%s title \"%s\"", k ? ", " : "",
			data, 2 + 3 * k, 3 + 3 * k, 4 + 3 * k,
			k ? "" : ":xtic(1)", p->paths[k]);
	fprintf(f, "\n");
}

static int plot_gnuplot(const char *script)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -errno;
	if (!pid) {
		execlp("gnuplot", "gnuplot", script, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return -ENOENT;
	return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -EIO;
}

int report_plot(const char *png, const struct bench_ctx *ctx,
		const struct bench_result *r)
{
	struct plot_panel tx = { .kind = BENCH_TX }, rx = { .kind = BENCH_RX };
	char dir[256], script[300], txd[300], rxd[300], title[128];
	int have_tx, have_rx, ret, term;
	FILE *f;

	plot_collect(r, &tx);
	plot_collect(r, &rx);
	snprintf(dir, sizeof(dir), "%s/ktls-bench-plot.XXXXXX", ctx->o->tmpdir);
	if (!mkdtemp(dir)) {
		fprintf(stderr, "ktls-bench: --plot: mkdtemp: %s\n", strerror(errno));
		return -errno;
	}
	snprintf(script, sizeof(script), "%s/plot.gp", dir);
	snprintf(txd, sizeof(txd), "%s/tx.dat", dir);
	snprintf(rxd, sizeof(rxd), "%s/rx.dat", dir);
	have_tx = tx.npaths > 1 && !plot_data(txd, r, &tx);
	have_rx = rx.npaths > 1 && !plot_data(rxd, r, &rx);
	ret = -ENOENT;
	if (!have_tx && !have_rx) {
		fprintf(stderr, "ktls-bench: --plot: no throughput to draw\n");
		goto out;
	}
	/* pngcairo looks better; plain png (libgd) is the fallback. */
	for (term = 0; term < 2; term++) {
		f = fopen(script, "we");
		if (!f) {
			ret = -errno;
			goto out;
		}
		fprintf(f, "set terminal %s size 1280,%d\n",
			term ? "png" : "pngcairo noenhanced font \"sans,10\"",
			have_tx && have_rx ? 1000 : 560);
		fprintf(f, "set output '%s'\n", png);
		fprintf(f, "set multiplot layout %d,1 title \"ktls-bench, %s (median, bars min-max over %u rounds)\"\n",
			have_tx + have_rx, ctx->kernel, r->rounds);
		fprintf(f, "set style data histogram\n"
			"set style histogram errorbars gap 2 lw 1\n"
			"set style fill solid 0.75 border -1\n"
			"set key outside right top vertical\n"
			"set grid ytics mytics\n"
			/* plain TCP is 10x the TLS paths: log keeps both readable */
			"set logscale y\n"
			"set yrange [1:*]\n"
			"set ylabel \"MiB/s (log scale)\"\n");
		if (have_tx) {
			snprintf(title, sizeof(title),
				 "TX, TLS %s: measured sender, kTLS receiver",
				 bench_version_name(tx.version));
			plot_panel_script(f, txd, title, &tx);
		}
		if (have_rx) {
			snprintf(title, sizeof(title),
				 "RX, TLS %s: measured receiver, kTLS sendfile sender",
				 bench_version_name(rx.version));
			plot_panel_script(f, rxd, title, &rx);
		}
		fprintf(f, "unset multiplot\n");
		fclose(f);
		ret = plot_gnuplot(script);
		if (ret != -EIO)
			break;
	}
	if (ret == -ENOENT)
		fprintf(stderr, "ktls-bench: --plot: gnuplot is not installed (Debian: gnuplot-nox)\n");
	else if (ret)
		fprintf(stderr, "ktls-bench: --plot: gnuplot failed\n");
out:
	unlink(script);
	unlink(txd);
	unlink(rxd);
	rmdir(dir);
	return ret;
}
