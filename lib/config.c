// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Configurations: credentials and policy, loaded once and shared by any
 * number of sessions and threads. The first session freezes a config: its
 * priority strings are compiled then, against the running kernel's kTLS.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <gnutls/abstract.h>

#include "ktls-internal.h"

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static int global_err;

static void config_global_init(void)
{
	global_err = gnutls_global_init();
}

static void config_chains_free(struct ktls_config *cfg);

static int config_file_errno(int gerr)
{
	if (gerr == GNUTLS_E_MEMORY_ERROR)
		return -ENOMEM;
	return gerr == GNUTLS_E_FILE_ERROR ? -ENOENT : -EINVAL;
}

/*
 * Read a credentials file ourselves: GnuTLS's *_file calls say "file
 * error" for a missing file, a denied one and an allocation that failed
 * alike. Free d->data with free().
 */
static int config_read_file(const char *path, gnutls_datum_t *d)
{
	struct stat st;
	size_t got = 0;
	ssize_t n;
	int fd, ret = 0;

	d->data = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		goto out;
	}
	if (st.st_size > (1 << 24)) {
		ret = -EFBIG;
		goto out;
	}
	d->data = malloc(st.st_size + 1);
	if (!d->data) {
		ret = -ENOMEM;
		goto out;
	}
	while (got < (size_t)st.st_size) {
		n = read(fd, d->data + got, st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			break;	/* it shrank meanwhile: take what is there */
		if (n < 0) {
			ret = -errno;
			free(d->data);
			d->data = NULL;
			goto out;
		}
		got += n;
	}
	d->data[got] = '\0';
	d->size = got;
out:
	close(fd);
	return ret;
}

KTLS_EXPORT int ktls_config_new(struct ktls_config **out, enum ktls_role role)
{
	struct ktls_config *cfg;

	*out = NULL;
	if (role != KTLS_ROLE_CLIENT && role != KTLS_ROLE_SERVER)
		return -EINVAL;
	pthread_once(&global_once, config_global_init);
	if (global_err < 0)
		return -EIO;

	cfg = calloc(1, sizeof(*cfg));
	if (!cfg)
		return -ENOMEM;
	cfg->refs = 1;
	cfg->role = role;
	pthread_mutex_init(&cfg->lock, NULL);
	cfg->min_version = KTLS_VERSION_1_2;
	cfg->max_version = KTLS_VERSION_1_3;
	cfg->ciphers = KTLS_CIPHER_ALL;
	cfg->verify = role == KTLS_ROLE_CLIENT ? KTLS_VERIFY_REQUIRED :
						 KTLS_VERIFY_NONE;
	if (gnutls_certificate_allocate_credentials(&cfg->x509) < 0) {
		free(cfg);
		return -ENOMEM;
	}
	*out = cfg;
	return 0;
}

KTLS_EXPORT struct ktls_config *ktls_config_get(struct ktls_config *cfg)
{
	if (cfg)
		__atomic_add_fetch(&cfg->refs, 1, __ATOMIC_RELAXED);
	return cfg;
}

KTLS_EXPORT void ktls_config_put(struct ktls_config *cfg)
{
	struct ktls_psk *p, *next;

	if (!cfg || __atomic_sub_fetch(&cfg->refs, 1, __ATOMIC_ACQ_REL))
		return;
	if (cfg->prio_cert)
		gnutls_priority_deinit(cfg->prio_cert);
	if (cfg->prio_psk)
		gnutls_priority_deinit(cfg->prio_psk);
	if (cfg->psk_server)
		gnutls_psk_free_server_credentials(cfg->psk_server);
	for (p = cfg->psks; p; p = next) {
		next = p->next;
		gnutls_memset(p->key.data, 0, p->key.size);
		free(p->key.data);
		free(p->identity);
		free(p);
	}
	if (cfg->ticket_key.data) {
		gnutls_memset(cfg->ticket_key.data, 0, cfg->ticket_key.size);
		gnutls_free(cfg->ticket_key.data);
	}
	gnutls_certificate_free_credentials(cfg->x509);
	config_chains_free(cfg);
	pthread_mutex_destroy(&cfg->lock);
	free(cfg);
}

/* Settings may change only until the first session uses the config. */
static int config_mutable(struct ktls_config *cfg)
{
	int frozen;

	pthread_mutex_lock(&cfg->lock);
	frozen = cfg->frozen;
	pthread_mutex_unlock(&cfg->lock);
	return frozen ? -EBUSY : 0;
}

int ktls_config_mutable(struct ktls_config *cfg)
{
	return config_mutable(cfg);
}

KTLS_EXPORT int ktls_config_set_trust_file(struct ktls_config *cfg,
					   const char *path)
{
	int ret;

	if (config_mutable(cfg))
		return -EBUSY;
	if (path && gnutls_url_is_supported(path)) {
		ret = gnutls_certificate_set_x509_trust_file(cfg->x509, path,
							    GNUTLS_X509_FMT_PEM);
	} else if (path) {
		gnutls_datum_t d;

		ret = config_read_file(path, &d);
		if (ret)
			return ret;
		ret = gnutls_certificate_set_x509_trust_mem(cfg->x509, &d,
							    GNUTLS_X509_FMT_PEM);
		free(d.data);
	} else {
		ret = gnutls_certificate_set_x509_system_trust(cfg->x509);
	}
	if (ret < 0)
		return config_file_errno(ret);
	if (ret == 0)
		return -ENOENT;	/* no certificate in there */
	cfg->have_trust = 1;
	return 0;
}

KTLS_EXPORT int ktls_config_set_crl_file(struct ktls_config *cfg,
					 const char *path)
{
	gnutls_datum_t d;
	int ret;

	if (config_mutable(cfg))
		return -EBUSY;
	if (!path)
		return -EINVAL;
	ret = config_read_file(path, &d);
	if (ret)
		return ret;
	ret = gnutls_certificate_set_x509_crl_mem(cfg->x509, &d,
						  GNUTLS_X509_FMT_PEM);
	free(d.data);
	if (ret < 0)
		return config_file_errno(ret);
	return 0;
}

KTLS_EXPORT int ktls_config_set_cert_files(struct ktls_config *cfg,
					   const char *cert, const char *key)
{
	gnutls_datum_t c, k;
	int ret;

	if (config_mutable(cfg))
		return -EBUSY;
	if (!cert || !key)
		return -EINVAL;
	/* PKCS #11 and TPM URLs are GnuTLS's to open. */
	if (gnutls_url_is_supported(cert) || gnutls_url_is_supported(key)) {
		ret = gnutls_certificate_set_x509_key_file2(cfg->x509, cert,
							    key,
							    GNUTLS_X509_FMT_PEM,
							    NULL, 0);
		goto done;
	}
	ret = config_read_file(cert, &c);
	if (ret)
		return ret;
	ret = config_read_file(key, &k);
	if (ret) {
		free(c.data);
		return ret;
	}
	ret = gnutls_certificate_set_x509_key_mem2(cfg->x509, &c, &k,
						   GNUTLS_X509_FMT_PEM, NULL,
						   0);
	free(c.data);
	gnutls_memset(k.data, 0, k.size);
	free(k.data);
done:
	if (ret < 0)
		return config_file_errno(ret);
	cfg->have_cert = 1;
	return 0;
}

KTLS_EXPORT int ktls_config_set_cert_der(struct ktls_config *cfg,
					 const void *const *certs,
					 const size_t *cert_lens,
					 unsigned int ncerts, const void *key,
					 size_t key_len)
{
	gnutls_pcert_st *pcerts;
	gnutls_privkey_t pkey = NULL;
	gnutls_datum_t d;
	unsigned int i, done = 0;
	int gret = 0, ret;

	if (config_mutable(cfg))
		return -EBUSY;
	if (!certs || !cert_lens || !ncerts || !key || !key_len)
		return -EINVAL;
	pcerts = calloc(ncerts, sizeof(*pcerts));
	if (!pcerts)
		return -ENOMEM;
	for (; done < ncerts; done++) {
		d.data = (void *)certs[done];
		d.size = cert_lens[done];
		gret = gnutls_pcert_import_x509_raw(&pcerts[done], &d,
						    GNUTLS_X509_FMT_DER, 0);
		if (gret < 0)
			goto out;
	}
	gret = gnutls_privkey_init(&pkey);
	if (gret < 0)
		goto out;
	d.data = (void *)key;
	d.size = key_len;
	gret = gnutls_privkey_import_x509_raw(pkey, &d, GNUTLS_X509_FMT_DER,
					      NULL, 0);
	if (gret < 0)
		goto out;
	/* On success the credentials own the certificates and the key. */
	gret = gnutls_certificate_set_key(cfg->x509, NULL, 0, pcerts, ncerts,
					  pkey);
	if (gret < 0)
		goto out;
	free(pcerts);
	cfg->have_cert = 1;
	return 0;
out:
	/* Out of memory is not "bad certificate or key". */
	ret = gret == GNUTLS_E_MEMORY_ERROR ? -ENOMEM : -EINVAL;
	for (i = 0; i < done; i++)
		gnutls_pcert_deinit(&pcerts[i]);
	free(pcerts);
	if (pkey)
		gnutls_privkey_deinit(pkey);
	return ret;
}

KTLS_EXPORT int ktls_config_set_versions(struct ktls_config *cfg, uint16_t min,
					 uint16_t max)
{
	if (config_mutable(cfg))
		return -EBUSY;
	/* Older versions are refused on purpose: kTLS wants AEAD suites. */
	if (min < KTLS_VERSION_1_2 || max > KTLS_VERSION_1_3 || min > max)
		return -EINVAL;
	cfg->min_version = min;
	cfg->max_version = max;
	return 0;
}

KTLS_EXPORT int ktls_config_set_ciphers(struct ktls_config *cfg,
					unsigned int mask)
{
	if (config_mutable(cfg))
		return -EBUSY;
	if (!mask || (mask & ~KTLS_CIPHER_ALL))
		return -EINVAL;
	cfg->ciphers = mask;
	return 0;
}

KTLS_EXPORT int ktls_config_set_groups(struct ktls_config *cfg,
				       const char *groups)
{
	const char *names[KTLS_GROUPS_MAX];
	unsigned int n;
	int ret;

	if (config_mutable(cfg))
		return -EBUSY;
	ret = ktls_groups_parse_list(groups, names, &n);
	if (ret)
		return ret;
	memcpy(cfg->groups, names, n * sizeof(names[0]));
	cfg->ngroups = n;
	return 0;
}

KTLS_EXPORT void ktls_config_set_verify(struct ktls_config *cfg,
					enum ktls_verify mode)
{
	if (!config_mutable(cfg))
		cfg->verify = mode;
}

KTLS_EXPORT void ktls_config_allow_rsa_kx(struct ktls_config *cfg, int allow)
{
	if (!config_mutable(cfg))
		cfg->allow_rsa_kx = !!allow;
}

KTLS_EXPORT void ktls_config_set_user_records(struct ktls_config *cfg,
					      int user)
{
	if (!config_mutable(cfg))
		cfg->user_records = !!user;
}

KTLS_EXPORT int ktls_config_set_key_update_limit(struct ktls_config *cfg,
						uint64_t records)
{
	int ret = config_mutable(cfg);

	if (!ret)
		cfg->key_update_limit = records;
	return ret;
}

static int config_psk_lookup(gnutls_session_t gs, const gnutls_datum_t *user,
			     gnutls_datum_t *key)
{
	struct ktls_session *s = gnutls_session_get_ptr(gs);
	struct ktls_psk *p;
	unsigned int i;

	/* Remembered, printable, for a failure's cause. */
	for (i = 0; i < user->size && i < sizeof(s->peer_psk) - 1; i++)
		s->peer_psk[i] = user->data[i] >= 0x20 && user->data[i] < 0x7f ?
				 user->data[i] : '?';
	s->peer_psk[i] = 0;
	if (!i)
		s->peer_psk[0] = '?';
	for (p = s->cfg->psks; p; p = p->next) {
		if (strlen(p->identity) != user->size ||
		    memcmp(p->identity, user->data, user->size))
			continue;
		key->data = gnutls_malloc(p->key.size);
		if (!key->data)
			return -1;
		memcpy(key->data, p->key.data, p->key.size);
		key->size = p->key.size;
		s->peer_psk_known = 1;
		return 0;
	}
	return -1;
}

KTLS_EXPORT int ktls_config_add_psk(struct ktls_config *cfg,
				    const char *identity, const void *key,
				    size_t key_len)
{
	struct ktls_psk *p;

	if (config_mutable(cfg))
		return -EBUSY;
	if (!identity || !*identity || !key || !key_len || key_len > 1024)
		return -EINVAL;
	if (!cfg->psk_server) {
		if (gnutls_psk_allocate_server_credentials(&cfg->psk_server) < 0)
			return -ENOMEM;
		gnutls_psk_set_server_credentials_function2(cfg->psk_server,
							    config_psk_lookup);
		gnutls_psk_set_server_known_dh_params(cfg->psk_server,
						      GNUTLS_SEC_PARAM_MEDIUM);
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->identity = strdup(identity);
	p->key.data = malloc(key_len);
	if (!p->identity || !p->key.data) {
		free(p->identity);
		free(p->key.data);
		free(p);
		return -ENOMEM;
	}
	memcpy(p->key.data, key, key_len);
	p->key.size = key_len;
	p->next = cfg->psks;
	cfg->psks = p;
	return 0;
}

static void config_chains_free(struct ktls_config *cfg)
{
	struct ktls_client_chain *c;
	unsigned int i, j;

	for (i = 0; i < cfg->nchains; i++) {
		c = &cfg->chains[i];
		for (j = 0; j < c->npcerts; j++)
			gnutls_pcert_deinit(&c->pcerts[j]);
		free(c->pcerts);
		if (c->key)
			gnutls_privkey_deinit(c->key);
	}
	free(cfg->chains);
	cfg->chains = NULL;
	cfg->nchains = 0;
}

/* One loaded chain and its key, copied out of the credentials. */
static int config_chain_copy(struct ktls_config *cfg, unsigned int idx,
			     struct ktls_client_chain *c)
{
	gnutls_x509_privkey_t xkey;
	gnutls_datum_t d;
	unsigned int n;

	for (n = 0; gnutls_certificate_get_crt_raw(cfg->x509, idx, n, &d) == 0;
	     n++)
		;
	if (!n)
		return -ENOENT;
	c->pcerts = calloc(n, sizeof(*c->pcerts));
	if (!c->pcerts)
		return -ENOMEM;
	for (; c->npcerts < n; c->npcerts++) {
		if (gnutls_certificate_get_crt_raw(cfg->x509, idx, c->npcerts,
						   &d) < 0 ||
		    gnutls_pcert_import_x509_raw(&c->pcerts[c->npcerts], &d,
						 GNUTLS_X509_FMT_DER, 0) < 0)
			return -EINVAL;
	}
	/* A token's key (PKCS #11) can't be copied: GnuTLS keeps choosing. */
	if (gnutls_certificate_get_x509_key(cfg->x509, idx, &xkey) < 0)
		return -EOPNOTSUPP;
	if (gnutls_privkey_init(&c->key) < 0) {
		gnutls_x509_privkey_deinit(xkey);
		return -ENOMEM;
	}
	if (gnutls_privkey_import_x509(c->key, xkey,
				       GNUTLS_PRIVKEY_IMPORT_AUTO_RELEASE) < 0) {
		gnutls_x509_privkey_deinit(xkey);
		return -EINVAL;
	}
	return 0;
}

/*
 * GnuTLS answers a CertificateRequest with an empty list when the server
 * names CAs other than our issuer. A client configured with a certificate
 * presents it anyway and lets the server decide: the server then says why
 * with an alert, rather than "no certificate" hiding the mismatch.
 */
static int config_client_retrieve(gnutls_session_t gs,
				  const gnutls_datum_t *req_ca_dn, int nreqs,
				  const gnutls_pk_algorithm_t *pk_algos,
				  int npk, gnutls_pcert_st **pcert,
				  unsigned int *pcert_length,
				  gnutls_privkey_t *privkey)
{
	struct ktls_session *s = gnutls_session_get_ptr(gs);
	struct ktls_config *cfg = s->cfg;
	struct ktls_client_chain *c = &cfg->chains[0];
	unsigned int i;
	int j;

	(void)req_ca_dn;
	(void)nreqs;
	s->cert_requested = 1;
	/* With several chains, prefer one whose key the server takes. */
	for (i = 0; i < cfg->nchains && npk > 0; i++) {
		for (j = 0; j < npk; j++)
			if ((gnutls_pk_algorithm_t)gnutls_pubkey_get_pk_algorithm(
				    cfg->chains[i].pcerts[0].pubkey, NULL) ==
			    pk_algos[j])
				break;
		if (j < npk) {
			c = &cfg->chains[i];
			break;
		}
	}
	*pcert = c->pcerts;
	*pcert_length = c->npcerts;
	*privkey = c->key;
	s->cert_sent = 1;
	return 0;
}

static int config_client_chains(struct ktls_config *cfg)
{
	struct ktls_client_chain *c;
	unsigned int n;
	gnutls_datum_t d;
	int ret = 0;

	for (n = 0; gnutls_certificate_get_crt_raw(cfg->x509, n, 0, &d) == 0;
	     n++)
		;
	if (!n)
		return 0;
	cfg->chains = calloc(n, sizeof(*cfg->chains));
	if (!cfg->chains)
		return -ENOMEM;
	for (; cfg->nchains < n; cfg->nchains++) {
		c = &cfg->chains[cfg->nchains];
		ret = config_chain_copy(cfg, cfg->nchains, c);
		if (ret) {
			cfg->nchains++;	/* free the partial one too */
			break;
		}
	}
	if (ret == -ENOMEM) {
		config_chains_free(cfg);
		return ret;
	}
	if (ret) {
		/* Not copyable: leave the choice to GnuTLS, as before. */
		config_chains_free(cfg);
		return 0;
	}
	gnutls_certificate_set_retrieve_function2(cfg->x509,
						  config_client_retrieve);
	return 0;
}

static int config_prio_init(struct ktls_config *cfg, int psk,
			    gnutls_priority_t *prio)
{
	char buf[512];
	const char *errpos;
	int ret;

	ret = ktls_priority_build(cfg, psk, buf, sizeof(buf));
	if (ret)
		return ret;
	if (gnutls_priority_init(prio, buf, &errpos) < 0)
		return -EINVAL;
	return 0;
}

/*
 * Called by the first session: compile what depends on the whole config
 * and on the kernel. Idempotent and thread-safe.
 */
KTLS_EXPORT int ktls_config_freeze(struct ktls_config *cfg)
{
	int ret = 0;

	pthread_mutex_lock(&cfg->lock);
	if (cfg->frozen)
		goto out;

	/* Verification without an explicit store uses the system's. */
	if (cfg->verify != KTLS_VERIFY_NONE && !cfg->have_trust &&
	    gnutls_certificate_set_x509_system_trust(cfg->x509) > 0)
		cfg->have_trust = 1;
	if (cfg->role == KTLS_ROLE_SERVER) {
		gnutls_certificate_set_known_dh_params(cfg->x509,
						       GNUTLS_SEC_PARAM_MEDIUM);
		if (!cfg->ticket_key_set &&
		    gnutls_session_ticket_key_generate(&cfg->ticket_key) < 0) {
			ret = -ENOMEM;
			goto out;
		}
	}
	if (cfg->role == KTLS_ROLE_CLIENT && cfg->have_cert) {
		ret = config_client_chains(cfg);
		if (ret)
			goto out;
	}
	cfg->offered = cfg->user_records ? cfg->ciphers :
			     cfg->ciphers & ktls_kernel_ciphers();
	ret = config_prio_init(cfg, 0, &cfg->prio_cert);
	if (ret)
		goto out;
	ret = config_prio_init(cfg, 1, &cfg->prio_psk);
	if (ret)
		goto out;
	cfg->frozen = 1;
out:
	pthread_mutex_unlock(&cfg->lock);
	return ret;
}
