/*
 * pki/name.c: distinguished names as text and DER.
 *
 * Text forms: "C=CN,O=Org,CN=Name" or "/C=CN/O=Org/CN=Name", in DER
 * order (most significant first). Backslash escapes the separator, '=',
 * '+', '\\' and the other RFC 4514 specials, and \XX gives one octet in
 * hex. Unescaped spaces around types and values are dropped.
 *
 * Strings (RFC 5280 4.1.2.4, Appendix A upper bounds; GM/T 0015 5.2.3
 * prefers UTF8String): C and serialNumber are PrintableString,
 * emailAddress and DC IA5String, everything else UTF8String.
 *
 * What this does not check: multi-valued RDNs are not produced (one
 * attribute per RDN), and the order of attributes is the caller's.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "egca/buf.h"
#include "egca/pki.h"
#include "pki/der.h"

#define NAME_MAX_LEN 4096     /* bytes of DER */
#define VALUE_MAX_OCTETS 1024 /* bytes of one text value */

EGCA_DER_OID(oid_cn, 0x55, 0x04, 0x03);
EGCA_DER_OID(oid_sn, 0x55, 0x04, 0x04);
EGCA_DER_OID(oid_serial, 0x55, 0x04, 0x05);
EGCA_DER_OID(oid_c, 0x55, 0x04, 0x06);
EGCA_DER_OID(oid_l, 0x55, 0x04, 0x07);
EGCA_DER_OID(oid_st, 0x55, 0x04, 0x08);
EGCA_DER_OID(oid_street, 0x55, 0x04, 0x09);
EGCA_DER_OID(oid_o, 0x55, 0x04, 0x0a);
EGCA_DER_OID(oid_ou, 0x55, 0x04, 0x0b);
EGCA_DER_OID(oid_title, 0x55, 0x04, 0x0c);
EGCA_DER_OID(oid_gn, 0x55, 0x04, 0x2a);
EGCA_DER_OID(oid_orgid, 0x55, 0x04, 0x61);
EGCA_DER_OID(oid_email, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01);
EGCA_DER_OID(
    oid_dc, 0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19);
EGCA_DER_OID(
    oid_uid, 0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x01);

enum strkind {
	S_PRINTABLE,
	S_IA5,
	S_DIRECTORY, /* UTF8String written; PrintableString, BMPString read */
};

static const struct attr {
	const char *name;
	const char *alias;
	const struct egca_der_oid *oid;
	enum strkind kind;
	size_t max; /* characters */
} attrs[] = {
    {"C", "countryName", &oid_c, S_PRINTABLE, 2},
    {"ST", "stateOrProvinceName", &oid_st, S_DIRECTORY, 128},
    {"L", "localityName", &oid_l, S_DIRECTORY, 128},
    {"street", "streetAddress", &oid_street, S_DIRECTORY, 128},
    {"O", "organizationName", &oid_o, S_DIRECTORY, 64},
    {"OU", "organizationalUnitName", &oid_ou, S_DIRECTORY, 64},
    {"CN", "commonName", &oid_cn, S_DIRECTORY, 64},
    {"SN", "surname", &oid_sn, S_DIRECTORY, 64},
    {"GN", "givenName", &oid_gn, S_DIRECTORY, 64},
    {"title", NULL, &oid_title, S_DIRECTORY, 64},
    {"serialNumber", NULL, &oid_serial, S_PRINTABLE, 64},
    {"organizationIdentifier", NULL, &oid_orgid, S_DIRECTORY, 64},
    {"emailAddress", "E", &oid_email, S_IA5, 255},
    {"DC", "domainComponent", &oid_dc, S_IA5, 63},
    {"UID", "userId", &oid_uid, S_DIRECTORY, 256},
};
#define N_ATTRS (sizeof(attrs) / sizeof(attrs[0]))

static const struct attr *
attr_by_name(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < N_ATTRS; i++) {
		if (strlen(attrs[i].name) == len &&
		    strncasecmp(attrs[i].name, s, len) == 0)
			return &attrs[i];
		if (attrs[i].alias != NULL && strlen(attrs[i].alias) == len &&
		    strncasecmp(attrs[i].alias, s, len) == 0)
			return &attrs[i];
	}
	return NULL;
}

static const struct attr *
attr_by_oid(const struct egca_der_tlv *t)
{
	size_t i;

	for (i = 0; i < N_ATTRS; i++)
		if (egca_der_oid_eq(t, attrs[i].oid))
			return &attrs[i];
	return NULL;
}

/* Checks a UTF-8 value for attribute a; message names the attribute. */
static enum egca_err
value_check(const struct attr *a, const uint8_t *v, size_t len)
{
	size_t chars, i;

	if (len == 0)
		return egca_err_set(
		    EGCA_ERR_INPUT, "name: %s is empty", a->name);
	if (!egca_der_utf8_check(v, len, &chars))
		return egca_err_set(EGCA_ERR_INPUT,
		    "name: %s is not valid UTF-8 or has control characters",
		    a->name);
	if (a->oid == &oid_c &&
	    (len != 2 || v[0] < 'A' || v[0] > 'Z' || v[1] < 'A' || v[1] > 'Z'))
		return egca_err_set(EGCA_ERR_INPUT,
		    "name: C must be two upper-case letters (ISO 3166), "
		    "e.g. CN");
	if (chars > a->max)
		return egca_err_set(EGCA_ERR_INPUT,
		    "name: %s longer than %zu characters (RFC 5280 "
		    "Appendix A)",
		    a->name, a->max);
	if (a->kind == S_PRINTABLE && !egca_der_printable_check(v, len))
		return egca_err_set(EGCA_ERR_INPUT,
		    "name: %s has characters outside PrintableString", a->name);
	if (a->kind == S_IA5)
		for (i = 0; i < len; i++)
			if (v[i] >= 0x80)
				return egca_err_set(EGCA_ERR_INPUT,
				    "name: %s must be ASCII (IA5String)",
				    a->name);
	return EGCA_OK;
}

static uint8_t
write_tag(const struct attr *a)
{
	switch (a->kind) {
	case S_PRINTABLE:
		return DER_PRINTABLESTRING;
	case S_IA5:
		return DER_IA5STRING;
	default:
		return DER_UTF8STRING;
	}
}

static int
special(char c)
{
	return c != '\0' && strchr(",=+\\/<>;\"#", c) != NULL;
}

enum egca_err
egca_pki_name_parse(const char *text, uint8_t **der, size_t *len)
{
	struct egca_buf b;
	struct egca_der_w w;
	const char *p, *type;
	size_t type_len, vlen, keep, n_rdn = 0;
	char sep;
	uint8_t v[VALUE_MAX_OCTETS];
	const struct attr *a;
	enum egca_err e = EGCA_OK;
	int h1, h2;

	*der = NULL;
	*len = 0;
	if (text == NULL)
		return egca_err_set(EGCA_ERR_INPUT, "name: no text");
	egca_buf_init(&b, NAME_MAX_LEN);
	egca_der_w_init(&w, &b);
	sep = text[0] == '/' ? '/' : ',';
	p = text + (sep == '/');
	while (*p == ' ')
		p++;
	egca_der_begin(&w, DER_SEQUENCE);
	while (*p != '\0') {
		/* Attribute type. */
		while (*p == ' ')
			p++;
		type = p;
		while (*p != '\0' && *p != '=' && *p != sep)
			p++;
		type_len = (size_t)(p - type);
		while (type_len > 0 && type[type_len - 1] == ' ')
			type_len--;
		if (*p != '=') {
			e = egca_err_set(EGCA_ERR_INPUT,
			    "name: component %zu \"%.*s\" has no '='",
			    n_rdn + 1, (int)(type_len > 32 ? 32 : type_len),
			    type);
			goto out;
		}
		if ((a = attr_by_name(type, type_len)) == NULL) {
			e = egca_err_set(EGCA_ERR_INPUT,
			    "name: unknown attribute type \"%.*s\"",
			    (int)(type_len > 32 ? 32 : type_len), type);
			goto out;
		}
		p++;
		/* Value, with escapes; unescaped outer spaces dropped. */
		while (*p == ' ')
			p++;
		vlen = keep = 0;
		while (*p != '\0' && *p != sep) {
			uint8_t c;

			if (vlen >= sizeof(v)) {
				e = egca_err_set(EGCA_ERR_INPUT,
				    "name: %s value too long", a->name);
				goto out;
			}
			if (*p == '\\') {
				if ((h1 = egca_hex_digit(p[1])) >= 0 &&
				    (h2 = egca_hex_digit(p[2])) >= 0) {
					c = (uint8_t)(h1 << 4 | h2);
					p += 3;
				} else if (p[1] == ' ' || special(p[1])) {
					c = (uint8_t)p[1];
					p += 2;
				} else {
					e = egca_err_set(EGCA_ERR_INPUT,
					    "name: %s has a bad escape",
					    a->name);
					goto out;
				}
				v[vlen++] = c;
				keep = vlen;
				continue;
			}
			v[vlen++] = (uint8_t)*p;
			if (*p != ' ')
				keep = vlen;
			p++;
		}
		vlen = keep;
		if ((e = value_check(a, v, vlen)) != EGCA_OK)
			goto out;
		if (++n_rdn > 64) {
			e = egca_err_set(
			    EGCA_ERR_INPUT, "name: more than 64 attributes");
			goto out;
		}
		egca_der_begin(&w, DER_SET);
		egca_der_begin(&w, DER_SEQUENCE);
		egca_der_put_oid(&w, a->oid);
		egca_der_put_string(&w, write_tag(a), (const char *)v, vlen);
		egca_der_end(&w);
		egca_der_end(&w);
		if (*p == sep) {
			p++;
			while (*p == ' ')
				p++;
			if (*p == '\0') {
				e = egca_err_set(EGCA_ERR_INPUT,
				    "name: empty component at the end");
				goto out;
			}
		}
	}
	egca_der_end(&w);
	if ((e = egca_der_w_finish(&w)) != EGCA_OK)
		goto out;
	*der = egca_buf_take(&b, len);
out:
	egca_buf_free(&b);
	return e;
}

/* ------------------------------------------------------------------ */
/* DER side                                                             */

/*
 * Converts a string value to UTF-8 in out (NUL-terminated). 1 on
 * success; 0 for an unsupported tag or malformed contents.
 */
static int
value_utf8(const struct egca_der_tlv *t, struct egca_buf *out)
{
	size_t i;
	uint32_t c;
	uint8_t u[3];

	switch (t->tag) {
	case DER_UTF8STRING:
		if (!egca_der_utf8_check(t->val, t->len, NULL))
			return 0;
		return egca_buf_append(out, t->val, t->len) == EGCA_OK;
	case DER_PRINTABLESTRING:
		if (!egca_der_printable_check(t->val, t->len))
			return 0;
		return egca_buf_append(out, t->val, t->len) == EGCA_OK;
	case DER_IA5STRING:
		for (i = 0; i < t->len; i++)
			if (t->val[i] < 0x20 || t->val[i] >= 0x7f)
				return 0;
		return egca_buf_append(out, t->val, t->len) == EGCA_OK;
	case DER_BMPSTRING:
		if (t->len % 2 != 0)
			return 0;
		for (i = 0; i < t->len; i += 2) {
			c = (uint32_t)t->val[i] << 8 | t->val[i + 1];
			if (c < 0x20 || (c >= 0x7f && c < 0xa0) ||
			    (c >= 0xd800 && c <= 0xdfff))
				return 0;
			if (c < 0x80) {
				u[0] = (uint8_t)c;
				if (egca_buf_append(out, u, 1) != EGCA_OK)
					return 0;
			} else if (c < 0x800) {
				u[0] = (uint8_t)(0xc0 | c >> 6);
				u[1] = (uint8_t)(0x80 | (c & 0x3f));
				if (egca_buf_append(out, u, 2) != EGCA_OK)
					return 0;
			} else {
				u[0] = (uint8_t)(0xe0 | c >> 12);
				u[1] = (uint8_t)(0x80 | (c >> 6 & 0x3f));
				u[2] = (uint8_t)(0x80 | (c & 0x3f));
				if (egca_buf_append(out, u, 3) != EGCA_OK)
					return 0;
			}
		}
		return 1;
	default:
		return 0;
	}
}

typedef int (*ava_fn)(void *ctx, const struct egca_der_tlv *type,
    const struct egca_der_tlv *value, int first_in_rdn);

/*
 * Walks Name ::= SEQUENCE OF SET OF SEQUENCE { OID, ANY } strictly.
 * Returns 1, or 0 on malformed DER; fn returning 0 stops the walk with
 * 2 (fn set the error).
 */
static int
walk(const uint8_t *der, size_t len, ava_fn fn, void *ctx)
{
	struct egca_der_r r, seq, set, ava;
	struct egca_der_tlv type, value;
	int first;

	egca_der_r_init(&r, der, len);
	if (!egca_der_enter(&r, DER_SEQUENCE, &seq) || !egca_der_r_end(&r))
		return 0;
	while (egca_der_peek(&seq) >= 0) {
		if (!egca_der_enter(&seq, DER_SET, &set))
			return 0;
		if (egca_der_peek(&set) < 0)
			return 0; /* empty RDN */
		first = 1;
		while (egca_der_peek(&set) >= 0) {
			if (!egca_der_enter(&set, DER_SEQUENCE, &ava) ||
			    !egca_der_get(&ava, DER_OID, &type) ||
			    !egca_der_get_any(&ava, &value) ||
			    !egca_der_r_end(&ava))
				return 0;
			if (!fn(ctx, &type, &value, first))
				return 2;
			first = 0;
		}
		if (!egca_der_r_end(&set))
			return 0;
	}
	return egca_der_r_end(&seq);
}

struct check_ctx {
	enum egca_err e;
	size_t n;
};

static int
check_ava(void *vctx, const struct egca_der_tlv *type,
    const struct egca_der_tlv *value, int first)
{
	struct check_ctx *ctx = vctx;
	const struct attr *a;
	struct egca_buf u;
	char oid[128];
	int ok;

	(void)first;
	if (++ctx->n > 64) {
		ctx->e = egca_err_set(
		    EGCA_ERR_INPUT, "name: more than 64 attributes");
		return 0;
	}
	if ((a = attr_by_oid(type)) == NULL) {
		if (!egca_der_oid_to_text(
		        type->val, type->len, oid, sizeof(oid)))
			snprintf(oid, sizeof(oid), "(malformed)");
		ctx->e = egca_err_set(EGCA_ERR_INPUT,
		    "name: attribute type %s is not allowed", oid);
		return 0;
	}
	switch (a->kind) {
	case S_PRINTABLE:
		ok = value->tag == DER_PRINTABLESTRING;
		break;
	case S_IA5:
		ok = value->tag == DER_IA5STRING;
		break;
	default:
		ok = value->tag == DER_UTF8STRING ||
		    value->tag == DER_PRINTABLESTRING ||
		    value->tag == DER_BMPSTRING;
		break;
	}
	if (!ok) {
		ctx->e = egca_err_set(EGCA_ERR_INPUT,
		    "name: %s has string type 0x%02x, not allowed", a->name,
		    value->tag);
		return 0;
	}
	egca_buf_init(&u, VALUE_MAX_OCTETS * 2);
	if (!value_utf8(value, &u)) {
		egca_buf_free(&u);
		ctx->e = egca_err_set(EGCA_ERR_INPUT,
		    "name: %s is malformed or has control characters", a->name);
		return 0;
	}
	ctx->e = value_check(a, u.data, u.len);
	egca_buf_free(&u);
	return ctx->e == EGCA_OK;
}

enum egca_err
egca_pki_name_check(const uint8_t *der, size_t len)
{
	struct check_ctx ctx = {EGCA_OK, 0};
	int rc;

	if (der == NULL || len > NAME_MAX_LEN)
		return egca_err_set(EGCA_ERR_INPUT, "name: too long");
	rc = walk(der, len, check_ava, &ctx);
	if (rc == 2)
		return ctx.e;
	if (rc == 0)
		return egca_err_set(EGCA_ERR_INPUT, "name: malformed DER");
	return EGCA_OK;
}

struct text_ctx {
	struct egca_buf *out;
	int fail;
};

static int
text_ava(void *vctx, const struct egca_der_tlv *type,
    const struct egca_der_tlv *value, int first)
{
	struct text_ctx *ctx = vctx;
	const struct attr *a = attr_by_oid(type);
	struct egca_buf u;
	char oid[128], hex[3];
	size_t i;
	int ok = 1;

	if (ctx->out->len > 0 &&
	    egca_buf_append(ctx->out, first ? ", " : "+", first ? 2 : 1) !=
	        EGCA_OK)
		goto fail;
	if (a != NULL)
		ok = egca_buf_printf(ctx->out, "%s=", a->name) == EGCA_OK;
	else if (egca_der_oid_to_text(type->val, type->len, oid, sizeof(oid)))
		ok = egca_buf_printf(ctx->out, "%s=", oid) == EGCA_OK;
	else
		goto fail;
	if (!ok)
		goto fail;
	egca_buf_init(&u, VALUE_MAX_OCTETS * 4);
	if (!value_utf8(value, &u)) {
		/* RFC 4514 2.4: unknown forms as #hex of the whole TLV. */
		egca_buf_free(&u);
		if (egca_buf_append_byte(ctx->out, '#') != EGCA_OK)
			goto fail;
		for (i = 0; i < value->raw_len; i++) {
			egca_hex_encode(value->raw + i, 1, hex);
			if (egca_buf_append(ctx->out, hex, 2) != EGCA_OK)
				goto fail;
		}
		return 1;
	}
	for (i = 0; i < u.len && ok; i++) {
		uint8_t c = u.data[i];

		if (c < 0x20 || c == 0x7f)
			ok = egca_buf_printf(ctx->out, "\\%02X", c) == EGCA_OK;
		else if ((c == ' ' && (i == 0 || i == u.len - 1)) ||
		    (c == '#' && i == 0) ||
		    (c != '#' && c != '/' && special((char)c)))
			ok = egca_buf_printf(ctx->out, "\\%c", c) == EGCA_OK;
		else
			ok = egca_buf_append_byte(ctx->out, c) == EGCA_OK;
	}
	egca_buf_free(&u);
	if (ok)
		return 1;
fail:
	ctx->fail = 1;
	return 0;
}

enum egca_err
egca_pki_name_to_text(const uint8_t *der, size_t len, char **out)
{
	struct egca_buf b;
	struct text_ctx ctx;
	int rc;

	*out = NULL;
	egca_buf_init(&b, 64 * 1024);
	ctx.out = &b;
	ctx.fail = 0;
	rc = walk(der, len, text_ava, &ctx);
	if (rc != 1) {
		egca_buf_free(&b);
		if (ctx.fail)
			return egca_err_set(EGCA_ERR_NOMEM, "name: too long");
		return egca_err_set(EGCA_ERR_INPUT, "name: malformed DER");
	}
	*out = (char *)egca_buf_take(&b, NULL);
	return *out == NULL ? egca_err_set(EGCA_ERR_NOMEM, "out of memory")
	                    : EGCA_OK;
}

struct get_ctx {
	const struct attr *a;
	char *found;
	int bad;
};

static int
get_ava(void *vctx, const struct egca_der_tlv *type,
    const struct egca_der_tlv *value, int first)
{
	struct get_ctx *ctx = vctx;
	struct egca_buf u;

	(void)first;
	if (ctx->found != NULL || !egca_der_oid_eq(type, ctx->a->oid))
		return 1;
	egca_buf_init(&u, VALUE_MAX_OCTETS * 4);
	if (!value_utf8(value, &u)) {
		egca_buf_free(&u);
		ctx->bad = 1;
		return 0;
	}
	ctx->found = (char *)egca_buf_take(&u, NULL);
	return 1;
}

enum egca_err
egca_pki_name_get(const uint8_t *der, size_t len, const char *attr, char **out)
{
	struct get_ctx ctx = {NULL, NULL, 0};
	int rc;

	*out = NULL;
	if (attr == NULL || (ctx.a = attr_by_name(attr, strlen(attr))) == NULL)
		return egca_err_set(EGCA_ERR_USAGE,
		    "name: unknown attribute \"%s\"", attr ? attr : "");
	rc = walk(der, len, get_ava, &ctx);
	if (rc != 1) {
		free(ctx.found);
		if (ctx.bad)
			return egca_err_set(EGCA_ERR_INPUT,
			    "name: %s has an unsupported string form",
			    ctx.a->name);
		return egca_err_set(EGCA_ERR_INPUT, "name: malformed DER");
	}
	*out = ctx.found;
	return EGCA_OK;
}
