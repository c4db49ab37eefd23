/*
 * Proof materials (Art. 30): identity documents, business licences,
 * authorisations and forms attached to a submitted application. The
 * media type must match the content's magic bytes (PDF "%PDF-", JPEG
 * FF D8 FF, PNG 89 50 4E 47 0D 0A 1A 0A); the content is kept with its
 * SM3 digest, checked again on every read. Adding one changes the
 * application's digest, so approvals given before no longer count.
 * What is not checked: whether the document is genuine (the reviewer's
 * job) or well-formed beyond its magic bytes (it is never rendered
 * here).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "ra/ra_int.h"

void
egca_ra_material_list_free(struct egca_material_rec *l, size_t n)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < n; i++)
		egca_store_ra_material_clear(&l[i]);
	free(l);
}

static const char *const mtypes[] = {"id-card", "business-licence",
    "authorisation", "application-form", "other"};

static enum egca_err
check(const char *type, const char *media, const char *filename,
    const uint8_t *data, size_t len)
{
	static const uint8_t png[] = {
	    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a};
	static const uint8_t jpeg[] = {0xff, 0xd8, 0xff};
	const uint8_t *magic;
	size_t i, mlen;
	enum egca_err e;

	for (i = 0; i < sizeof(mtypes) / sizeof(mtypes[0]); i++)
		if (type != NULL && strcmp(type, mtypes[i]) == 0)
			break;
	if (i == sizeof(mtypes) / sizeof(mtypes[0]))
		return egca_err_set(EGCA_ERR_INPUT,
		    "type: one of id-card, business-licence, authorisation, "
		    "application-form, other");
	if (media != NULL && strcmp(media, "application/pdf") == 0) {
		magic = (const uint8_t *)"%PDF-";
		mlen = 5;
	} else if (media != NULL && strcmp(media, "image/jpeg") == 0) {
		magic = jpeg;
		mlen = sizeof(jpeg);
	} else if (media != NULL && strcmp(media, "image/png") == 0) {
		magic = png;
		mlen = sizeof(png);
	} else
		return egca_err_set(EGCA_ERR_INPUT,
		    "media: application/pdf, image/jpeg or image/png");
	if ((e = ra_text("filename", filename, 1, 200, 1, 0)) != EGCA_OK)
		return e;
	if (strchr(filename, '/') != NULL || strchr(filename, '\\') != NULL ||
	    strcmp(filename, ".") == 0 || strcmp(filename, "..") == 0)
		return egca_err_set(EGCA_ERR_INPUT,
		    "filename: a name without / or \\ (not a path)");
	if (data == NULL || len == 0 || len > EGCA_RA_MATERIAL_MAX)
		return egca_err_set(EGCA_ERR_INPUT, "content: 1 to %u bytes",
		    EGCA_RA_MATERIAL_MAX);
	if (len < mlen || memcmp(data, magic, mlen) != 0)
		return egca_err_set(EGCA_ERR_INPUT,
		    "content: does not start like %s (magic bytes)", media);
	return EGCA_OK;
}

struct add_tx {
	const struct egca_ctx *ctx;
	const char *actor;
	const struct egca_material_rec *rec;
	const uint8_t *data;
	size_t len;
};

static enum egca_err
add_tx(struct egca_store *st, void *arg)
{
	struct add_tx *c = arg;
	struct egca_app_rec a;
	struct egca_material_rec *ml = NULL;
	size_t nm = 0;
	char digest[65], object[64], *details = NULL;
	enum egca_err e;

	memset(&a, 0, sizeof(a));
	if ((e = egca_store_ra_app_get(st, c->rec->app, &a)) != EGCA_OK)
		goto out;
	if (strcmp(a.state, "submitted") != 0) {
		e = egca_err_set(EGCA_ERR_STATE,
		    "application %s is %s: materials are added while it is "
		    "submitted",
		    a.id, a.state);
		goto out;
	}
	if ((e = egca_store_ra_material_list(st, a.id, &ml, &nm)) != EGCA_OK)
		goto out;
	if (nm >= EGCA_RA_MATERIALS_PER_APP) {
		e = egca_err_set(EGCA_ERR_POLICY,
		    "materials: at most %d per application",
		    EGCA_RA_MATERIALS_PER_APP);
		goto out;
	}
	egca_ra_material_list_free(ml, nm);
	ml = NULL;
	if ((e = egca_store_ra_material_insert(st, c->rec, c->data, c->len)) !=
	        EGCA_OK ||
	    (e = egca_store_ra_material_list(st, a.id, &ml, &nm)) != EGCA_OK ||
	    (e = ra_app_digest(&a, ml, nm, digest)) != EGCA_OK ||
	    (e = egca_store_ra_app_set_digest(
	         st, a.id, digest, c->rec->added_at)) != EGCA_OK)
		goto out;
	snprintf(object, sizeof(object), "app/%s", a.id);
	details = ra_details("{s:s, s:s, s:s, s:I, s:s, s:s}", "material",
	    c->rec->id, "type", c->rec->type, "media", c->rec->media, "size",
	    (json_int_t)c->rec->size, "sm3", c->rec->sm3, "digest", digest);
	e = ra_audit(st, c->actor, "app.material", object, details);
out:
	free(details);
	egca_ra_material_list_free(ml, nm);
	egca_store_ra_app_clear(&a);
	return e;
}

enum egca_err
egca_ra_material_add(const struct egca_ctx *ctx, const struct egca_principal *p,
    const char *app, const char *type, const char *media, const char *filename,
    const uint8_t *data, size_t len, char id[33])
{
	static const char action[] = "app.material";
	struct egca_app_rec a;
	struct egca_subscriber_rec sub;
	struct egca_material_rec rec;
	struct add_tx c;
	char object[64], sm3[65], mid[33];
	enum egca_err e;

	id[0] = '\0';
	snprintf(object, sizeof(object), "app/%.32s", app ? app : "");
	if ((e = ra_need_user(p)) != EGCA_OK ||
	    (e = ra_need_role(p, EGCA_ROLE_RA_OPERATOR | EGCA_ROLE_APPLICANT,
	         action, "ra-operator or applicant")) != EGCA_OK ||
	    (e = ra_app_load(ctx->st, p, app, 1, &a, &sub)) != EGCA_OK)
		return ra_refuse(ctx, p, action, object, e);
	egca_store_ra_app_clear(&a);
	egca_store_ra_subscriber_clear(&sub);
	if ((e = check(type, media, filename, data, len)) != EGCA_OK)
		return ra_refuse(ctx, p, action, object, e);
	if ((e = ra_sm3_hex(data, len, sm3)) != EGCA_OK ||
	    (e = ra_new_id(mid)) != EGCA_OK)
		return e;
	memset(&rec, 0, sizeof(rec));
	rec.id = mid;
	rec.app = (char *)(uintptr_t)app;
	rec.type = (char *)(uintptr_t)type;
	rec.media = (char *)(uintptr_t)media;
	rec.filename = (char *)(uintptr_t)filename;
	rec.sm3 = sm3;
	rec.size = len;
	rec.added_by = (char *)(uintptr_t)p->name;
	rec.added_at = (int64_t)time(NULL);
	c = (struct add_tx){ctx, ra_actor(ctx, p), &rec, data, len};
	if ((e = egca_store_tx(ctx->st, add_tx, &c)) != EGCA_OK)
		return ra_refuse(ctx, p, action, object, e);
	memcpy(id, mid, 33);
	return EGCA_OK;
}

enum egca_err
egca_ra_material_list(const struct egca_ctx *ctx,
    const struct egca_principal *p, const char *app,
    struct egca_material_rec **out, size_t *n)
{
	struct egca_app_rec a;
	struct egca_subscriber_rec sub;
	enum egca_err e;

	*out = NULL;
	*n = 0;
	if ((e = ra_need_user(p)) != EGCA_OK ||
	    (e = ra_app_load(ctx->st, p, app, 0, &a, &sub)) != EGCA_OK)
		return e;
	egca_store_ra_app_clear(&a);
	egca_store_ra_subscriber_clear(&sub);
	return egca_store_ra_material_list(ctx->st, app, out, n);
}

enum egca_err
egca_ra_material_get(const struct egca_ctx *ctx, const struct egca_principal *p,
    const char *app, const char *id, struct egca_material_rec *meta,
    uint8_t **data, size_t *len)
{
	struct egca_app_rec a;
	struct egca_subscriber_rec sub;
	char sm3[65];
	enum egca_err e;

	memset(meta, 0, sizeof(*meta));
	*data = NULL;
	*len = 0;
	if ((e = ra_need_user(p)) != EGCA_OK ||
	    (e = ra_app_load(ctx->st, p, app, 0, &a, &sub)) != EGCA_OK)
		return e;
	egca_store_ra_app_clear(&a);
	egca_store_ra_subscriber_clear(&sub);
	if (!ra_id_valid(id))
		return egca_err_set(EGCA_ERR_NOTFOUND, "no such material");
	if ((e = egca_store_ra_material_get(
	         ctx->st, app, id, meta, data, len)) != EGCA_OK)
		return e;
	if ((e = ra_sm3_hex(*data, *len, sm3)) != EGCA_OK ||
	    *len != meta->size || strlen(meta->sm3) != 64 ||
	    CRYPTO_memcmp(sm3, meta->sm3, 64) != 0) {
		if (e == EGCA_OK)
			e = egca_err_set(EGCA_ERR_INTEGRITY,
			    "material %s: the stored content does not match "
			    "its "
			    "SM3 digest",
			    id);
		egca_store_ra_material_clear(meta);
		free(*data);
		*data = NULL;
		*len = 0;
	}
	return e;
}
