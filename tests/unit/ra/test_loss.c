/*
 * Unit tests for src/ra/loss.c: the holder's loss report by revocation
 * code and by SM2 signature (with the ID), the certificate held at once
 * with its OCSP answer re-signed (or marked stale without the CA key),
 * wrong codes and signatures refused alike, audited, nothing changed,
 * and confirmation by the subscriber's point (keyCompromise).
 */
#include "ra/ra_fixture.h"

static void
report_by_code(void **state)
{
	struct fx *fx = *state;
	struct egca_app_result res;
	struct egca_loss_report in;
	struct egca_ocsp_rec o;
	struct egca_loss_rec *l = NULL;
	char sub[33], rep[33], rep2[33], code[32], st[16];
	size_t n = 0, i;
	int64_t events;

	fx_enterprise(fx, sub);
	fx_issue(fx, sub, NULL, &res);
	/* The holder may type it in lower case, with or without dashes. */
	for (i = 0; res.revocation_code[i] != '\0'; i++)
		code[i] = (char)(res.revocation_code[i] >= 'A' &&
		            res.revocation_code[i] <= 'Z'
		        ? res.revocation_code[i] - 'A' + 'a'
		        : res.revocation_code[i]);
	code[i] = '\0';
	memset(&in, 0, sizeof(in));
	in.serial = res.serial;
	in.code = code;
	in.statement = "laptop stolen";
	in.source = "192.0.2.7";
	OK(egca_ra_loss_report(&fx->ctx, &fx->env, &in, rep));
	assert_int_equal(strlen(rep), 32);
	assert_string_equal(fx_cert_status(fx, res.serial, st), "hold");
	/* OCSP says so at once: re-signed in the same transaction. */
	OK(egca_store_ocsp_get(fx->st, "root", res.serial, &o));
	assert_string_equal(o.cert_status, "hold");
	assert_int_equal(o.stale, 0);
	assert_non_null(o.der);
	egca_store_ocsp_rec_free(&o);
	assert_int_equal(fx_audits(fx, "loss.report", "success"), 1);
	assert_int_equal(fx_audits(fx, "cert.hold", "success"), 1);

	/* Reported again while held: the same report, nothing new. */
	events = fx_count(fx, "audit_event");
	OK(egca_ra_loss_report(&fx->ctx, &fx->env, &in, rep2));
	assert_string_equal(rep, rep2);
	assert_int_equal(fx_count(fx, "loss_report"), 1);
	assert_int_equal(fx_count(fx, "audit_event"), events);

	OK(egca_ra_loss_list(&fx->ctx, &fx->rev, NULL, 10, &l, &n));
	assert_int_equal(n, 1);
	assert_string_equal(l[0].id, rep);
	assert_string_equal(l[0].state, "held");
	assert_string_equal(l[0].method, "code");
	assert_string_equal(l[0].statement, "laptop stolen");
	assert_string_equal(l[0].source, "192.0.2.7");
	egca_ra_loss_list_free(l, n);
	OK(egca_ra_loss_list(&fx->ctx, &fx->rev_sh, NULL, 10, &l, &n));
	assert_int_equal(n, 0);
	egca_ra_loss_list_free(l, n);
	egca_ra_app_result_free(&res);
}

static void
wrong_code(void **state)
{
	struct fx *fx = *state;
	struct egca_app_result res, other;
	struct egca_loss_report in;
	char sub[33], rep[33], st[16], msg[256];
	int64_t events;

	fx_enterprise(fx, sub);
	fx_issue(fx, sub, NULL, &res);
	fx_issue(fx, sub, NULL, &other);
	memset(&in, 0, sizeof(in));
	in.serial = res.serial;
	/* Another certificate's code. */
	in.code = other.revocation_code;
	events = fx_count(fx, "audit_event");
	assert_int_equal(
	    egca_ra_loss_report(&fx->ctx, &fx->env, &in, rep), EGCA_ERR_AUTH);
	snprintf(msg, sizeof(msg), "%s", egca_err_detail());
	assert_string_equal(rep, "");
	/* Nothing changed, one failure audited (without the code). */
	assert_string_equal(fx_cert_status(fx, res.serial, st), "good");
	assert_int_equal(fx_count(fx, "loss_report"), 0);
	assert_int_equal(fx_count(fx, "audit_event"), events + 1);
	assert_int_equal(fx_audits(fx, "loss.report", "failure"), 1);
	{
		struct store_val p[1];
		int64_t hits = -1;

		p[0] = egca_store_text(other.revocation_code);
		OK(egca_store_exec(fx->st,
		    "SELECT count(*) FROM audit_event WHERE"
		    " details LIKE '%' || $1 || '%'",
		    p, 1, egca_store_count_row, &hits, NULL));
		assert_int_equal(hits, 0);
	}
	/* Garbage, and a serial never issued: the same answer. */
	in.code = "not-a-code";
	assert_int_equal(
	    egca_ra_loss_report(&fx->ctx, &fx->env, &in, rep), EGCA_ERR_AUTH);
	assert_string_equal(egca_err_detail(), msg);
	in.code = res.revocation_code;
	in.serial = "7f00112233445566778899aabbccddee";
	assert_int_equal(
	    egca_ra_loss_report(&fx->ctx, &fx->env, &in, rep), EGCA_ERR_AUTH);
	assert_string_equal(egca_err_detail(), msg);
	assert_int_equal(fx_audits(fx, "loss.report", "failure"), 3);
	/* Malformed requests. */
	in.serial = res.serial;
	in.sig = (const uint8_t *)"x";
	in.sig_len = 1;
	assert_int_equal(
	    egca_ra_loss_report(&fx->ctx, &fx->env, &in, rep), EGCA_ERR_INPUT);
	in.sig = NULL;
	in.code = NULL;
	assert_int_equal(
	    egca_ra_loss_report(&fx->ctx, &fx->env, &in, rep), EGCA_ERR_INPUT);
	in.code = res.revocation_code;
	in.serial = "xyz";
	assert_int_equal(
	    egca_ra_loss_report(&fx->ctx, &fx->env, &in, rep), EGCA_ERR_INPUT);
	assert_int_equal(fx_count(fx, "loss_report"), 0);
	assert_string_equal(fx_cert_status(fx, res.serial, st), "good");
	egca_ra_app_result_free(&res);
	egca_ra_app_result_free(&other);
}

/* The SM2 signature (with the ID) of the report message. */
static void
sign_report(
    EVP_PKEY *key, const char *serial, int64_t t, uint8_t *sig, size_t *sig_len)
{
	char msg[256];
	int n;

	n = snprintf(msg, sizeof(msg), "egca-loss-report\nroot\n%s\n%lld\n",
	    serial, (long long)t);
	*sig_len = egca_crypto_sig_max(key);
	OK(egca_crypto_sign_tbs(key, egca_crypto_sig_alg_for_key(key),
	    (const uint8_t *)msg, (size_t)n, sig, sig_len));
}

static void
report_by_signature(void **state)
{
	struct fx *fx = *state;
	struct egca_app_result res, other;
	struct egca_loss_report in;
	struct egca_loss_rec *l = NULL;
	EVP_PKEY *key = NULL, *key2 = NULL;
	uint8_t sig[256];
	size_t sig_len, n = 0;
	char sub[33], rep[33], st[16];
	int64_t now = (int64_t)time(NULL);

	fx_enterprise(fx, sub);
	fx_issue(fx, sub, &key, &res);
	fx_issue(fx, sub, &key2, &other);
	memset(&in, 0, sizeof(in));
	in.ca = "root";
	in.serial = res.serial;
	in.sig = sig;

	/* Signed by another certificate's key. */
	sign_report(key2, res.serial, now, sig, &sig_len);
	in.sig_len = sig_len;
	in.time = now;
	assert_int_equal(
	    egca_ra_loss_report(&fx->ctx, &fx->env, &in, rep), EGCA_ERR_AUTH);
	/* Signed for another serial. */
	sign_report(key, other.serial, now, sig, &sig_len);
	in.sig_len = sig_len;
	assert_int_equal(
	    egca_ra_loss_report(&fx->ctx, &fx->env, &in, rep), EGCA_ERR_AUTH);
	/* Outside the 300 s window. */
	sign_report(key, res.serial, now - 1000, sig, &sig_len);
	in.sig_len = sig_len;
	in.time = now - 1000;
	assert_int_equal(
	    egca_ra_loss_report(&fx->ctx, &fx->env, &in, rep), EGCA_ERR_AUTH);
	assert_non_null(strstr(egca_err_detail(), "300 s"));
	assert_int_equal(fx_audits(fx, "loss.report", "failure"), 3);
	assert_int_equal(fx_count(fx, "loss_report"), 0);
	assert_string_equal(fx_cert_status(fx, res.serial, st), "good");

	sign_report(key, res.serial, now, sig, &sig_len);
	in.sig_len = sig_len;
	in.time = now;
	OK(egca_ra_loss_report(&fx->ctx, &fx->env, &in, rep));
	assert_string_equal(fx_cert_status(fx, res.serial, st), "hold");
	assert_string_equal(fx_cert_status(fx, other.serial, st), "good");
	OK(egca_ra_loss_list(&fx->ctx, &fx->op, "held", 10, &l, &n));
	assert_int_equal(n, 1);
	assert_string_equal(l[0].method, "signature");
	egca_ra_loss_list_free(l, n);
	EVP_PKEY_free(key);
	EVP_PKEY_free(key2);
	egca_ra_app_result_free(&res);
	egca_ra_app_result_free(&other);
}

static void
confirm(void **state)
{
	struct fx *fx = *state;
	struct egca_app_result res;
	struct egca_loss_report in;
	struct egca_cert_rec c;
	struct egca_loss_rec *l = NULL;
	struct egca_ocsp_rec o;
	char sub[33], rep[33], absent[33];
	size_t n = 0;

	fx_enterprise(fx, sub);
	fx_issue(fx, sub, NULL, &res);
	memset(&in, 0, sizeof(in));
	in.serial = res.serial;
	in.code = res.revocation_code;
	OK(egca_ra_loss_report(&fx->ctx, NULL, &in, rep));
	/* Without the CA key the answer is marked stale, never "good". */
	OK(egca_store_ocsp_get(fx->st, "root", res.serial, &o));
	assert_int_equal(o.stale, 1);
	egca_store_ocsp_rec_free(&o);

	/* Another point, an absent id: the same "no such loss report". */
	assert_int_equal(
	    egca_ra_loss_confirm(&fx->ctx, &fx->rev_sh, &fx->env, rep),
	    EGCA_ERR_NOTFOUND);
	assert_string_equal(egca_err_detail(), "no such loss report");
	memset(absent, 'b', 32);
	absent[32] = '\0';
	assert_int_equal(
	    egca_ra_loss_confirm(&fx->ctx, &fx->rev, &fx->env, absent),
	    EGCA_ERR_NOTFOUND);
	assert_string_equal(egca_err_detail(), "no such loss report");
	assert_int_equal(
	    egca_ra_loss_confirm(&fx->ctx, &fx->sys, &fx->env, rep),
	    EGCA_ERR_POLICY);
	assert_int_equal(fx_audits(fx, "loss.confirm", "failure"), 3);

	OK(egca_ra_loss_confirm(&fx->ctx, &fx->rev, &fx->env, rep));
	OK(egca_store_cert_get(fx->st, "root", res.serial, &c));
	assert_string_equal(c.status, "revoked");
	assert_int_equal(c.reason, 1);
	assert_int_not_equal(c.invalidity_date, 0);
	egca_store_cert_rec_free(&c);
	OK(egca_store_ocsp_get(fx->st, "root", res.serial, &o));
	assert_string_equal(o.cert_status, "revoked");
	assert_int_equal(o.stale, 0);
	egca_store_ocsp_rec_free(&o);
	OK(egca_ra_loss_list(&fx->ctx, &fx->rev, "confirmed", 10, &l, &n));
	assert_int_equal(n, 1);
	assert_string_equal(l[0].confirmed_by, "rita");
	assert_int_not_equal(l[0].confirmed_at, 0);
	egca_ra_loss_list_free(l, n);
	assert_int_equal(fx_audits(fx, "loss.confirm", "success"), 1);
	assert_int_equal(
	    egca_ra_loss_confirm(&fx->ctx, &fx->rev, &fx->env, rep),
	    EGCA_ERR_STATE);
	/* A revoked certificate cannot be reported. */
	assert_int_equal(
	    egca_ra_loss_report(&fx->ctx, &fx->env, &in, rep), EGCA_ERR_STATE);
	assert_int_equal(fx_count(fx, "loss_report"), 1);
	egca_ra_app_result_free(&res);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
	    T(report_by_code),
	    T(wrong_code),
	    T(report_by_signature),
	    T(confirm),
#undef T
	};

	return fx_run("ra_loss", tests, sizeof(tests) / sizeof(tests[0]));
}
