/*
 * Subscribers (证书用户): organisations, persons and devices registered
 * at a registration point, with their identity numbers checked
 * (src/ra/ident.c) and their region (GB/T 2260) inside the point's
 * scope.
 *
 * Rules by type: government, enterprise, institution and social-org
 * need a USCC (GB 32100), government also the department it belongs to
 * (the scope of department viewers); an individual needs a resident
 * identity number (GB 11643) and has no USCC; a device needs an owner,
 * an existing subscriber the caller may act on, and carries no ID card
 * number. An organisation code (GB 11714) is optional for everyone but
 * individuals. Duplicate identity numbers are not refused: one
 * organisation may be registered at several points.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ra/ra_int.h"

static const char *const types[] = {"government", "enterprise", "institution",
    "social-org", "individual", "device"};

void
egca_ra_subscriber_rec_free(struct egca_subscriber_rec *r)
{
	egca_store_ra_subscriber_clear(r);
}

void
egca_ra_subscriber_list_free(struct egca_subscriber_rec *l, size_t n)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < n; i++)
		egca_store_ra_subscriber_clear(&l[i]);
	free(l);
}

static int
type_known(const char *t)
{
	size_t i;

	for (i = 0; t != NULL && i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(types[i], t) == 0)
			return 1;
	return 0;
}

static int
is_org(const char *t)
{
	return strcmp(t, "government") == 0 || strcmp(t, "enterprise") == 0 ||
	    strcmp(t, "institution") == 0 || strcmp(t, "social-org") == 0;
}

/* An identity checker's error, with the field named first. */
static enum egca_err
ident(const char *field, enum egca_err e)
{
	char detail[256];

	if (e == EGCA_OK)
		return e;
	snprintf(detail, sizeof(detail), "%s", egca_err_detail());
	if (strncmp(detail, field, strlen(field)) == 0)
		return egca_err_set(EGCA_ERR_INPUT, "%s", detail);
	return egca_err_set(EGCA_ERR_INPUT, "%s: %s", field,
	    detail[0] != '\0' ? detail : "invalid");
}

static enum egca_err
email_check(const char *s)
{
	const char *at;
	size_t i, len;

	if (s == NULL)
		return EGCA_OK;
	len = strlen(s);
	at = strchr(s, '@');
	for (i = 0; i < len; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f)
			break;
	if (len < 3 || len > 254 || i != len || at == NULL || at == s ||
	    at[1] == '\0' || strchr(at + 1, '@') != NULL)
		return egca_err_set(EGCA_ERR_INPUT,
		    "email: an address like name@example.cn (ASCII, at most "
		    "254 characters)");
	return EGCA_OK;
}

static enum egca_err
phone_check(const char *s)
{
	size_t i, digits = 0;

	if (s == NULL)
		return EGCA_OK;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			digits++;
		else if (strchr("+- ()", s[i]) == NULL)
			break;
	}
	if (s[i] != '\0' || i > 32 || digits < 3)
		return egca_err_set(EGCA_ERR_INPUT,
		    "phone: digits with + - ( ) or spaces, at most 32 "
		    "characters");
	return EGCA_OK;
}

/* Field checks that need no store. */
static enum egca_err
validate(const struct egca_subscriber_new *in, int64_t now)
{
	const char *t = in->type;
	int org, person, device;
	enum egca_err e;

	if (!type_known(t))
		return egca_err_set(EGCA_ERR_INPUT,
		    "type: one of government, enterprise, institution, "
		    "social-org, individual, device");
	org = is_org(t);
	person = strcmp(t, "individual") == 0;
	device = strcmp(t, "device") == 0;
	if ((e = ra_text("name", in->name, 1, 200, 1, 0)) != EGCA_OK)
		return e;
	if (org && in->uscc == NULL)
		return egca_err_set(EGCA_ERR_INPUT,
		    "uscc: required for a %s subscriber (GB 32100)", t);
	if (person && in->uscc != NULL)
		return egca_err_set(EGCA_ERR_INPUT,
		    "uscc: an individual has no unified social credit code");
	if (in->uscc != NULL &&
	    (e = ident("uscc", egca_ra_uscc_check(in->uscc))) != EGCA_OK)
		return e;
	if (person && in->org_code != NULL)
		return egca_err_set(EGCA_ERR_INPUT,
		    "org_code: an individual has no organisation code");
	if (in->org_code != NULL &&
	    (e = ident("org_code", egca_ra_orgcode_check(in->org_code))) !=
	        EGCA_OK)
		return e;
	if (person && in->id_card == NULL)
		return egca_err_set(EGCA_ERR_INPUT,
		    "id_card: required for an individual (GB 11643)");
	if (!person && in->id_card != NULL)
		return egca_err_set(EGCA_ERR_INPUT,
		    "id_card: only individuals are registered by resident "
		    "identity number");
	if (in->id_card != NULL &&
	    (e = ident("id_card", egca_ra_idcard_check(in->id_card, now))) !=
	        EGCA_OK)
		return e;
	if (in->region == NULL)
		return egca_err_set(EGCA_ERR_INPUT, "region: required");
	if (egca_ra_region_check(in->region) != EGCA_OK)
		return egca_err_set(EGCA_ERR_INPUT,
		    "region: '%.16s' is not a GB/T 2260 region code",
		    in->region);
	if (strcmp(t, "government") == 0 && in->department == NULL)
		return egca_err_set(EGCA_ERR_INPUT,
		    "department: required for a government subscriber");
	if ((e = ra_text("department", in->department, 1, 127, 0, 0)) !=
	    EGCA_OK)
		return e;
	if (device && in->owner == NULL)
		return egca_err_set(EGCA_ERR_INPUT,
		    "owner: required for a device (the subscriber it belongs "
		    "to)");
	if (!device && in->owner != NULL)
		return egca_err_set(
		    EGCA_ERR_INPUT, "owner: only devices have an owner");
	if ((e = email_check(in->email)) != EGCA_OK ||
	    (e = phone_check(in->phone)) != EGCA_OK)
		return e;
	return EGCA_OK;
}

static enum egca_err
request_digest(const struct egca_subscriber_new *in, char out[65])
{
	struct egca_buf b;
	enum egca_err e = EGCA_OK;

	egca_buf_init(&b, 1 << 16);
	ra_enc_str(&b, "egca-ra-subscriber-v1", &e);
	ra_enc_str(&b, in->type, &e);
	ra_enc_str(&b, in->name, &e);
	ra_enc_str(&b, in->uscc, &e);
	ra_enc_str(&b, in->org_code, &e);
	ra_enc_str(&b, in->id_card, &e);
	ra_enc_str(&b, in->region, &e);
	ra_enc_str(&b, in->department, &e);
	ra_enc_str(&b, in->owner, &e);
	ra_enc_str(&b, in->email, &e);
	ra_enc_str(&b, in->phone, &e);
	if (e == EGCA_OK)
		e = ra_sm3_hex(b.data, b.len, out);
	egca_buf_free(&b);
	return e;
}

struct create_tx {
	const struct egca_ctx *ctx;
	const struct egca_principal *p;
	const struct egca_subscriber_rec *rec;
	const char *key, *digest;
	char id[33]; /* the id finally returned */
};

static enum egca_err
create_tx(struct egca_store *st, void *arg)
{
	struct create_tx *c = arg;
	const char *actor = ra_actor(c->ctx, c->p);
	char object[64], *details;
	int replay;
	enum egca_err e;

	memcpy(c->id, c->rec->id, 33);
	if ((e = ra_idem_lookup(st, c->key, actor, "subscriber", c->digest,
	         c->id, &replay)) != EGCA_OK ||
	    replay)
		return e;
	if ((e = egca_store_ra_subscriber_insert(st, c->rec)) != EGCA_OK)
		return e;
	if (c->key != NULL &&
	    (e = egca_store_ra_idem_insert(st, c->key, actor, "subscriber",
	         c->digest, c->rec->id, c->rec->created_at)) != EGCA_OK)
		return e;
	snprintf(object, sizeof(object), "subscriber/%s", c->rec->id);
	details = ra_details("{s:s, s:s, s:s, s:s*}", "type", c->rec->type,
	    "region", c->rec->region, "point", c->rec->point, "department",
	    c->rec->department);
	e = ra_audit(st, actor, "subscriber.create", object, details);
	free(details);
	return e;
}

enum egca_err
egca_ra_subscriber_create(const struct egca_ctx *ctx,
    const struct egca_principal *p, const struct egca_subscriber_new *in,
    const char *idem_key, char id[33])
{
	static const char action[] = "subscriber.create";
	struct egca_subscriber_rec rec, owner;
	struct create_tx c;
	char digest[65];
	int64_t now = (int64_t)time(NULL);
	enum egca_err e;

	id[0] = '\0';
	memset(&owner, 0, sizeof(owner));
	if ((e = ra_need_user(p)) != EGCA_OK ||
	    (e = ra_need_role(
	         p, EGCA_ROLE_RA_OPERATOR, action, "ra-operator")) != EGCA_OK)
		return ra_refuse(ctx, p, action, "subscriber", e);
	if (p->point[0] == '\0')
		return ra_refuse(ctx, p, action, "subscriber",
		    egca_err_set(EGCA_ERR_POLICY,
		        "%s has no registration point", p->name));
	if ((e = ra_idem_key_check(idem_key)) != EGCA_OK ||
	    (e = validate(in, now)) != EGCA_OK)
		return ra_refuse(ctx, p, action, "subscriber", e);
	/* The operator chose the region: naming it is no oracle. */
	if ((e = ra_serves(ctx->st, p->point, in->region)) != EGCA_OK)
		return ra_refuse(ctx, p, action, "subscriber", e);
	if (in->owner != NULL) {
		if (!ra_id_valid(in->owner))
			e = egca_err_set(
			    EGCA_ERR_NOTFOUND, "no such subscriber");
		else if ((e = egca_store_ra_subscriber_get(
		              ctx->st, in->owner, &owner)) == EGCA_OK)
			e = ra_sees(ctx->st, p, &owner, 1);
		egca_store_ra_subscriber_clear(&owner);
		if (e == EGCA_ERR_NOTFOUND)
			e = egca_err_set(
			    EGCA_ERR_NOTFOUND, "owner: no such subscriber");
		if (e != EGCA_OK)
			return ra_refuse(ctx, p, action, "subscriber", e);
	}
	memset(&rec, 0, sizeof(rec));
	if ((e = request_digest(in, digest)) != EGCA_OK)
		return e;
	memset(&c, 0, sizeof(c));
	if ((e = ra_new_id(c.id)) != EGCA_OK)
		return e;
	rec.id = c.id;
	rec.type = (char *)(uintptr_t)in->type;
	rec.name = (char *)(uintptr_t)in->name;
	rec.uscc = (char *)(uintptr_t)in->uscc;
	rec.org_code = (char *)(uintptr_t)in->org_code;
	rec.id_card = (char *)(uintptr_t)in->id_card;
	rec.region = (char *)(uintptr_t)in->region;
	rec.department = (char *)(uintptr_t)in->department;
	rec.owner = (char *)(uintptr_t)in->owner;
	rec.email = (char *)(uintptr_t)in->email;
	rec.phone = (char *)(uintptr_t)in->phone;
	rec.point = (char *)(uintptr_t)p->point;
	rec.created_by = (char *)(uintptr_t)p->name;
	rec.created_at = now;
	c.ctx = ctx;
	c.p = p;
	c.rec = &rec;
	c.key = idem_key;
	c.digest = digest;
	if ((e = ra_tx(ctx->st, create_tx, &c)) != EGCA_OK)
		return ra_refuse(ctx, p, action, "subscriber", e);
	memcpy(id, c.id, 33);
	return EGCA_OK;
}

enum egca_err
egca_ra_subscriber_get(const struct egca_ctx *ctx,
    const struct egca_principal *p, const char *id,
    struct egca_subscriber_rec *out)
{
	enum egca_err e;

	memset(out, 0, sizeof(*out));
	if ((e = ra_need_user(p)) != EGCA_OK)
		return e;
	if (!ra_id_valid(id))
		return egca_err_set(EGCA_ERR_NOTFOUND, "no such subscriber");
	if ((e = egca_store_ra_subscriber_get(ctx->st, id, out)) != EGCA_OK)
		return e;
	if ((e = ra_sees(ctx->st, p, out, 0)) != EGCA_OK)
		egca_store_ra_subscriber_clear(out);
	return e;
}

enum egca_err
egca_ra_subscriber_list(const struct egca_ctx *ctx,
    const struct egca_principal *p, const struct egca_subscriber_filter *f,
    struct egca_subscriber_rec **out, size_t *n)
{
	struct egca_store_ra_scope sc;
	struct egca_store_ra_subscriber_query q;
	enum egca_err e;

	*out = NULL;
	*n = 0;
	if ((e = ra_need_user(p)) != EGCA_OK)
		return e;
	memset(&q, 0, sizeof(q));
	if (f != NULL) {
		if (f->type != NULL && !type_known(f->type))
			return egca_err_set(EGCA_ERR_INPUT,
			    "type: one of government, enterprise, "
			    "institution, social-org, individual, device");
		if (f->region != NULL &&
		    egca_ra_region_check(f->region) != EGCA_OK)
			return egca_err_set(EGCA_ERR_INPUT,
			    "region: '%.16s' is not a GB/T 2260 region code",
			    f->region);
		if ((e = ra_text("name", f->name, 1, 200, 0, 0)) != EGCA_OK)
			return e;
		q.type = f->type;
		q.name = f->name;
		q.region = f->region;
		q.limit = f->limit;
		q.offset = f->offset;
	}
	ra_scope(p, &sc);
	q.scope = &sc;
	return egca_store_ra_subscriber_list(ctx->st, &q, out, n);
}
