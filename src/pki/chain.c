/*
 * Path building and verification (include/egca/pki.h).
 *
 * egca does not use X509_verify_cert(): under OpenSSL 3.0 the SM2 user
 * ID set with -vfyopt / X509_set0_distinguishing_id reaches only the
 * certificate it was set on, so a GM-conformant chain fails at depth 1
 * (gm-standards.md §5.3, openssl issue #23471). Every signature here,
 * self-signed anchors included, goes through egca_pki_verify_signed().
 *
 * Path building is deliberately simple: from the leaf, look for an
 * issuer (subject == issuer, octet for octet; AKI == SKI when both are
 * present) among the untrusted certificates, then the anchors, and
 * prefer a candidate whose key verifies the signature. The path ends
 * at the first anchor reached; any anchor may be a root or an
 * intermediate trust anchor.
 *
 * What this does not check: revocation (status/), name constraints,
 * certificate policies, extended key usage.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "egca/pki.h"
#include "pki/signed.h"

#define CHAIN_MAX 10 /* certificates in a path, anchor included */

struct node {
	const uint8_t *der;
	size_t len;
	X509 *x; /* NULL when the certificate could not be decoded */
	struct egca_cert_info info;
	int anchor;
};

static enum egca_err fail(struct egca_verify_result *res, int depth,
    const char *fmt, ...) EGCA_PRINTF(3, 4);

static enum egca_err
fail(struct egca_verify_result *res, int depth, const char *fmt, ...)
{
	char why[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	res->depth = depth;
	snprintf(res->reason, sizeof(res->reason), "depth %d: %s", depth, why);
	return egca_err_set(EGCA_ERR_INTEGRITY, "chain: %s", res->reason);
}

static int
same(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	return alen == blen && memcmp(a, b, alen) == 0;
}

static int
issued_by(const struct node *child, const struct node *cand)
{
	const struct egca_cert_info *c = &child->info, *i = &cand->info;

	if (!same(c->issuer_der, c->issuer_der_len, i->subject_der,
	        i->subject_der_len))
		return 0;
	if (c->aki_len && i->ski_len &&
	    !same(c->aki, c->aki_len, i->ski, i->ski_len))
		return 0;
	return 1;
}

static int
in_path(struct node *const *path, size_t n, const struct node *c)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (same(path[i]->der, path[i]->len, c->der, c->len))
			return 1;
	return 0;
}

static int
sig_ok(const struct node *child, const struct node *issuer)
{
	EVP_PKEY *pub = X509_get0_pubkey(issuer->x);
	int ok;

	ok = pub != NULL &&
	    egca_pki_verify_signed(child->der, child->len, pub) == EGCA_OK;
	ERR_clear_error();
	return ok;
}

/* Self-signed: self-issued and, where both are present, AKI == SKI. */
static int
self_signed(const struct node *n)
{
	return n->info.self_issued &&
	    (n->info.aki_len == 0 || n->info.ski_len == 0 ||
	        same(n->info.aki, n->info.aki_len, n->info.ski,
	            n->info.ski_len));
}

/*
 * Checks on the certificate at depth d of path (n certificates).
 * sig_bad[d]: its issuer's key did not verify its signature.
 */
static enum egca_err
check_node(struct node *const *path, size_t n, size_t d, const int *sig_bad,
    int64_t at, struct egca_verify_result *res)
{
	const struct node *c = path[d];
	const struct egca_cert_info *ci = &c->info;
	size_t i, below;
	int dd = (int)d;

	if (at < ci->not_before)
		return fail(res, dd, "certificate not yet valid");
	if (at > ci->not_after)
		return fail(res, dd, "certificate expired");
	if (X509_get_extension_flags(c->x) & EXFLAG_CRITICAL)
		return fail(
		    res, dd, "unsupported critical extension (RFC 5280 4.2)");
	if (d + 1 < n && sig_bad[d])
		return fail(res, dd, "signature does not verify");
	if (d + 1 == n && self_signed(c) && !sig_ok(c, c))
		return fail(res, dd, "anchor self-signature does not verify");
	if (d == 0)
		return EGCA_OK;
	/* From here on c issued path[d - 1]. */
	if (!ci->is_ca)
		return fail(res, dd,
		    "issuer is not a CA (basicConstraints cA, RFC 5280 "
		    "4.2.1.9)");
	if (ci->key_usage != 0 && !(ci->key_usage & EGCA_KU_KEY_CERT_SIGN))
		return fail(res, dd,
		    "issuer keyUsage lacks keyCertSign (RFC 5280 4.2.1.3)");
	if (ci->path_len >= 0) {
		below = 0;
		for (i = 1; i < d; i++)
			if (!path[i]->info.self_issued)
				below++;
		if (below > (size_t)ci->path_len)
			return fail(res, dd,
			    "pathLenConstraint %d exceeded (%zu CA "
			    "certificates below)",
			    ci->path_len, below);
	}
	return EGCA_OK;
}

static void
nodes_free(struct node *nodes, size_t n)
{
	size_t i;

	if (nodes == NULL)
		return;
	for (i = 0; i < n; i++) {
		X509_free(nodes[i].x);
		egca_pki_cert_info_free(&nodes[i].info);
	}
	free(nodes);
}

enum egca_err
egca_pki_verify_chain(const uint8_t *leaf, size_t leaf_len,
    const struct egca_der_list *untrusted, const struct egca_der_list *anchors,
    int64_t at, struct egca_verify_result *res)
{
	struct node *nodes = NULL, *path[CHAIN_MAX], *cur, *chosen, *first;
	int sig_bad[CHAIN_MAX];
	size_t nu = untrusted ? untrusted->n : 0, na = anchors ? anchors->n : 0;
	size_t nn, i, j, d;
	enum egca_err e;

	memset(res, 0, sizeof(*res));
	memset(sig_bad, 0, sizeof(sig_bad));
	nn = 1 + nu + na;
	if ((nodes = calloc(nn, sizeof(*nodes))) == NULL)
		return egca_err_set(EGCA_ERR_NOMEM, "out of memory");
	nodes[0].der = leaf;
	nodes[0].len = leaf_len;
	for (i = 0; i < nu; i++) {
		nodes[1 + i].der = untrusted->der[i];
		nodes[1 + i].len = untrusted->len[i];
	}
	for (i = 0; i < na; i++) {
		nodes[1 + nu + i].der = anchors->der[i];
		nodes[1 + nu + i].len = anchors->len[i];
		nodes[1 + nu + i].anchor = 1;
	}
	for (i = 0; i < nn; i++) {
		e = egca_pki_cert_info_x509(
		    nodes[i].der, nodes[i].len, &nodes[i].info, &nodes[i].x);
		if (e != EGCA_OK && i == 0) {
			char d0[200];

			snprintf(d0, sizeof(d0), "%s", egca_err_detail());
			e = fail(res, 0, "%s", d0);
			goto out;
		}
		/* An undecodable candidate is no candidate. */
	}
	/* A certificate equal to an anchor is that anchor. */
	for (i = 0; i < 1 + nu; i++)
		for (j = 1 + nu; j < nn && !nodes[i].anchor; j++)
			if (nodes[j].x != NULL &&
			    same(nodes[i].der, nodes[i].len, nodes[j].der,
			        nodes[j].len))
				nodes[i].anchor = 1;

	path[0] = cur = &nodes[0];
	d = 0;
	while (!cur->anchor) {
		if (d + 1 >= CHAIN_MAX) {
			e = fail(res, (int)d,
			    "no trust anchor within %d certificates",
			    CHAIN_MAX);
			goto out;
		}
		chosen = first = NULL;
		for (i = 1; i < nn && chosen == NULL; i++) {
			if (nodes[i].x == NULL || !issued_by(cur, &nodes[i]) ||
			    in_path(path, d + 1, &nodes[i]))
				continue;
			if (first == NULL)
				first = &nodes[i];
			if (sig_ok(cur, &nodes[i]))
				chosen = &nodes[i];
		}
		if (chosen == NULL && first == NULL) {
			res->chain_len = d + 1;
			if (self_signed(cur))
				e = fail(res, (int)d,
				    "self-signed certificate is not a trust "
				    "anchor");
			else
				e = fail(res, (int)d,
				    "issuer certificate not found (%s)",
				    cur->info.issuer);
			goto out;
		}
		if (chosen == NULL) {
			/* Reported by check_node, in depth order. */
			chosen = first;
			sig_bad[d] = 1;
		}
		path[++d] = cur = chosen;
	}
	res->chain_len = d + 1;
	for (i = 0; i <= d; i++)
		if ((e = check_node(path, d + 1, i, sig_bad, at, res)) !=
		    EGCA_OK)
			goto out;
	e = EGCA_OK;
out:
	ERR_clear_error();
	nodes_free(nodes, nn);
	return e;
}
