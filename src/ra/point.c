/*
 * Registration points (RA offices, Art. 8) and the regions they serve.
 * A point serves regions of its home province at once; a region of
 * another province only once the approval (批准) for cross-region
 * operation is recorded; before that it is kept as pending and does not
 * count. The system administrator manages points (policy table); these
 * functions take no principal and audit as ctx->actor.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "egca/audit.h"
#include "ra/ra_int.h"

void
egca_ra_point_rec_free(struct egca_point_rec *r)
{
	egca_store_ra_point_clear(r);
}

void
egca_ra_point_list_free(struct egca_point_rec *l, size_t n)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < n; i++)
		egca_store_ra_point_clear(&l[i]);
	free(l);
}

void
egca_ra_point_region_list_free(struct egca_point_region_rec *l, size_t n)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < n; i++)
		egca_store_ra_point_region_clear(&l[i]);
	free(l);
}

static enum egca_err
point_id_check(const char *id)
{
	size_t i;

	if (id == NULL)
		return egca_err_set(EGCA_ERR_INPUT, "id: required");
	for (i = 0; id[i] != '\0'; i++)
		if (!((id[i] >= 'a' && id[i] <= 'z') ||
		        (id[i] >= '0' && id[i] <= '9') || id[i] == '-'))
			break;
	if (i == 0 || i > 63 || id[i] != '\0')
		return egca_err_set(EGCA_ERR_INPUT,
		    "id: 1 to 63 characters of a-z, 0-9 and '-'");
	return EGCA_OK;
}

static enum egca_err
region_field(const char *field, const char *code)
{
	if (code == NULL)
		return egca_err_set(EGCA_ERR_INPUT, "%s: required", field);
	if (egca_ra_region_check(code) != EGCA_OK)
		return egca_err_set(EGCA_ERR_INPUT,
		    "%s: '%.16s' is not a GB/T 2260 region code", field, code);
	return EGCA_OK;
}

struct create_tx {
	const struct egca_ctx *ctx;
	const struct egca_point_rec *rec;
};

static enum egca_err
create_tx(struct egca_store *st, void *arg)
{
	struct create_tx *c = arg;
	char object[96], *details;
	enum egca_err e;

	if ((e = egca_store_ra_point_insert(st, c->rec)) != EGCA_OK)
		return e;
	snprintf(object, sizeof(object), "point/%s", c->rec->id);
	details = ra_details("{s:s, s:s}", "name", c->rec->name, "home_region",
	    c->rec->home_region);
	e = ra_audit(st, c->ctx->actor, "point.create", object, details);
	free(details);
	return e;
}

enum egca_err
egca_ra_point_create(const struct egca_ctx *ctx, const char *id,
    const char *name, const char *home_region)
{
	struct egca_point_rec rec;
	struct create_tx c;
	char object[96], prov[7];
	enum egca_err e;

	snprintf(object, sizeof(object), "point/%.63s", id ? id : "");
	if ((e = point_id_check(id)) != EGCA_OK ||
	    (e = ra_text("name", name, 1, 200, 1, 0)) != EGCA_OK ||
	    (e = region_field("home_region", home_region)) != EGCA_OK)
		return ra_refuse(ctx, NULL, "point.create", object, e);
	egca_ra_region_province(home_region, prov);
	if (strcmp(prov, home_region) != 0)
		return ra_refuse(ctx, NULL, "point.create", object,
		    egca_err_set(EGCA_ERR_INPUT,
		        "home_region: %s is not a province code (use %s)",
		        home_region, prov));
	memset(&rec, 0, sizeof(rec));
	rec.id = (char *)(uintptr_t)id;
	rec.name = (char *)(uintptr_t)name;
	rec.home_region = (char *)(uintptr_t)home_region;
	rec.created_at = (int64_t)time(NULL);
	c = (struct create_tx){ctx, &rec};
	if ((e = egca_store_tx(ctx->st, create_tx, &c)) != EGCA_OK)
		return ra_refuse(ctx, NULL, "point.create", object, e);
	return EGCA_OK;
}

struct region_tx {
	const struct egca_ctx *ctx;
	const struct egca_point_region_rec *rec;
	int pending;
};

static enum egca_err
region_tx(struct egca_store *st, void *arg)
{
	struct region_tx *c = arg;
	char object[96], *details;
	enum egca_err e;

	if ((e = egca_store_ra_point_region_put(
	         st, c->rec, (int64_t)time(NULL))) != EGCA_OK)
		return e;
	snprintf(object, sizeof(object), "point/%s", c->rec->point);
	details = c->rec->approval != NULL
	    ? ra_details("{s:s, s:s, s:b}", "region", c->rec->region,
	          "approval", c->rec->approval, "pending", c->pending)
	    : ra_details("{s:s, s:n, s:b}", "region", c->rec->region,
	          "approval", "pending", c->pending);
	e = ra_audit(st, c->ctx->actor, "point.region", object, details);
	free(details);
	return e;
}

enum egca_err
egca_ra_point_add_region(const struct egca_ctx *ctx, const char *point,
    const char *region, const char *approval)
{
	struct egca_point_rec pt;
	struct egca_point_region_rec rec;
	struct region_tx c;
	char object[96], a[7], b[7];
	enum egca_err e;

	snprintf(object, sizeof(object), "point/%.63s", point ? point : "");
	memset(&pt, 0, sizeof(pt));
	if ((e = point_id_check(point)) != EGCA_OK ||
	    (e = region_field("region", region)) != EGCA_OK ||
	    (e = ra_text("approval", approval, 1, 200, 0, 0)) != EGCA_OK)
		return ra_refuse(ctx, NULL, "point.region", object, e);
	if ((e = egca_store_ra_point_get(ctx->st, point, &pt)) != EGCA_OK)
		return ra_refuse(ctx, NULL, "point.region", object, e);
	egca_ra_region_province(region, a);
	egca_ra_region_province(pt.home_region, b);
	memset(&rec, 0, sizeof(rec));
	rec.point = (char *)(uintptr_t)point;
	rec.region = (char *)(uintptr_t)region;
	rec.approval = (char *)(uintptr_t)approval;
	rec.approved_at = approval != NULL ? (int64_t)time(NULL) : 0;
	/* Outside the home province a region waits for its approval. */
	c = (struct region_tx){
	    ctx, &rec, approval == NULL && strcmp(a, b) != 0};
	egca_store_ra_point_clear(&pt);
	if ((e = egca_store_tx(ctx->st, region_tx, &c)) != EGCA_OK)
		return ra_refuse(ctx, NULL, "point.region", object, e);
	return EGCA_OK;
}

enum egca_err
egca_ra_point_get(const struct egca_ctx *ctx, const char *id,
    struct egca_point_rec *out, struct egca_point_region_rec **regions,
    size_t *nregions)
{
	enum egca_err e;

	*regions = NULL;
	*nregions = 0;
	if (point_id_check(id) != EGCA_OK) {
		memset(out, 0, sizeof(*out));
		return egca_err_set(EGCA_ERR_NOTFOUND,
		    "no registration point %.63s", id ? id : "");
	}
	if ((e = egca_store_ra_point_get(ctx->st, id, out)) != EGCA_OK)
		return e;
	if ((e = egca_store_ra_point_regions(ctx->st, id, regions, nregions)) !=
	    EGCA_OK)
		egca_store_ra_point_clear(out);
	return e;
}

enum egca_err
egca_ra_point_list(
    const struct egca_ctx *ctx, struct egca_point_rec **out, size_t *n)
{
	return egca_store_ra_point_list(ctx->st, out, n);
}

enum egca_err
egca_ra_point_serves(
    const struct egca_ctx *ctx, const char *point, const char *region)
{
	if (point == NULL || region == NULL)
		return egca_err_set(EGCA_ERR_POLICY,
		    "region %s is outside the scope of registration point %s",
		    region ? region : "(none)", point ? point : "(none)");
	return ra_serves(ctx->st, point, region);
}
