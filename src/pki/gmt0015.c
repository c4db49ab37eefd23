/*
 * pki/gmt0015.c: the GM/T 0015 identity extensions (gm-standards.md 1.4).
 *
 * 2012 (GM/T 0015-2012 5.2.4): 1.2.156.10260.4.1.1 IdentifyCode, a
 * CHOICE emitted with EXPLICIT tags as XiPKI does ([0] PrintableString
 * resident ID, [1] UTF8String military officer card, [2] PrintableString
 * passport); 4.1.2 InsuranceNumber, 4.1.3 ICRegistrationNumber, 4.1.4
 * OrganizationCode, 4.1.5 TaxationNumber, all PrintableString.
 * 2023 (as implemented by XiPKI 6.7): 4.1.1.1 resident ID, 4.1.1.2
 * passport, 4.1.2 social insurance, 4.4 USCC, all PrintableString.
 * Every identity extension is non-critical.
 *
 * What this does not check: the GB 11643 / GB 32100 check digits (the
 * RA verifies identities against documents; a wrong digit is refused
 * there, not here), and whether the value belongs to the subject.
 */
#include <string.h>

#include "egca/pki.h"
#include "pki/der.h"

EGCA_DER_OID(oid_idcode, 0x2a, 0x81, 0x1c, 0xd0, 0x14, 0x04, 0x01, 0x01);
EGCA_DER_OID(oid_insurance, 0x2a, 0x81, 0x1c, 0xd0, 0x14, 0x04, 0x01, 0x02);
EGCA_DER_OID(oid_icreg, 0x2a, 0x81, 0x1c, 0xd0, 0x14, 0x04, 0x01, 0x03);
EGCA_DER_OID(oid_orgcode, 0x2a, 0x81, 0x1c, 0xd0, 0x14, 0x04, 0x01, 0x04);
EGCA_DER_OID(oid_tax, 0x2a, 0x81, 0x1c, 0xd0, 0x14, 0x04, 0x01, 0x05);
EGCA_DER_OID(
    oid_id_card_2023, 0x2a, 0x81, 0x1c, 0xd0, 0x14, 0x04, 0x01, 0x01, 0x01);
EGCA_DER_OID(
    oid_passport_2023, 0x2a, 0x81, 0x1c, 0xd0, 0x14, 0x04, 0x01, 0x01, 0x02);
EGCA_DER_OID(oid_uscc, 0x2a, 0x81, 0x1c, 0xd0, 0x14, 0x04, 0x04);

#define ID_MAX 64

static enum egca_err
check_printable(const char *field, const char *v)
{
	size_t n = strlen(v);

	if (n == 0 || n > ID_MAX)
		return egca_err_set(EGCA_ERR_INPUT,
		    "identity %s: length must be 1..%d", field, ID_MAX);
	if (!egca_der_printable_check((const uint8_t *)v, n))
		return egca_err_set(EGCA_ERR_INPUT,
		    "identity %s: not in the PrintableString character set",
		    field);
	return EGCA_OK;
}

static enum egca_err
check_id_card(const char *v)
{
	size_t i, n = strlen(v);

	if (n != 15 && n != 18)
		return egca_err_set(EGCA_ERR_INPUT,
		    "identity id_card: GB 11643 numbers have 18 (or 15) "
		    "characters");
	for (i = 0; i < n; i++)
		if (!(v[i] >= '0' && v[i] <= '9') &&
		    !(i == n - 1 && n == 18 && v[i] == 'X'))
			return egca_err_set(EGCA_ERR_INPUT,
			    "identity id_card: character %zu must be a digit "
			    "(or a final X)",
			    i + 1);
	return EGCA_OK;
}

static enum egca_err
check_uscc(const char *v)
{
	static const char alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
	size_t i, n = strlen(v);

	if (n != 18)
		return egca_err_set(EGCA_ERR_INPUT,
		    "identity uscc: GB 32100 codes have 18 characters");
	for (i = 0; i < n; i++)
		if (strchr(alphabet, v[i]) == NULL)
			return egca_err_set(EGCA_ERR_INPUT,
			    "identity uscc: character %zu is not in the "
			    "GB 32100 alphabet",
			    i + 1);
	return EGCA_OK;
}

static const char *
field_value(const struct egca_identity *id, const char *name)
{
	if (id == NULL)
		return NULL;
	if (strcmp(name, "id_card") == 0)
		return id->id_card;
	if (strcmp(name, "passport") == 0)
		return id->passport;
	if (strcmp(name, "military") == 0)
		return id->military;
	if (strcmp(name, "insurance") == 0)
		return id->insurance;
	if (strcmp(name, "ic_registration") == 0)
		return id->ic_registration;
	if (strcmp(name, "org_code") == 0)
		return id->org_code;
	if (strcmp(name, "tax_number") == 0)
		return id->tax_number;
	if (strcmp(name, "uscc") == 0)
		return id->uscc;
	return NULL;
}

enum egca_err
egca_pki_identity_check(
    const struct egca_identity *id, const struct egca_profile *p)
{
	enum egca_err e;
	size_t i, n;

	if (id != NULL) {
		if (id->id_card != NULL &&
		    (e = check_id_card(id->id_card)) != EGCA_OK)
			return e;
		if (id->uscc != NULL && (e = check_uscc(id->uscc)) != EGCA_OK)
			return e;
		if (id->passport != NULL &&
		    (e = check_printable("passport", id->passport)) != EGCA_OK)
			return e;
		if (id->insurance != NULL &&
		    (e = check_printable("insurance", id->insurance)) !=
		        EGCA_OK)
			return e;
		if (id->ic_registration != NULL &&
		    (e = check_printable(
		         "ic_registration", id->ic_registration)) != EGCA_OK)
			return e;
		if (id->org_code != NULL &&
		    (e = check_printable("org_code", id->org_code)) != EGCA_OK)
			return e;
		if (id->tax_number != NULL &&
		    (e = check_printable("tax_number", id->tax_number)) !=
		        EGCA_OK)
			return e;
		if (id->military != NULL) {
			n = strlen(id->military);
			if (n == 0 || n > 4 * ID_MAX ||
			    !egca_der_utf8_check(
			        (const uint8_t *)id->military, n, NULL))
				return egca_err_set(EGCA_ERR_INPUT,
				    "identity military: must be 1..%d octets "
				    "of UTF-8 without control characters",
				    4 * ID_MAX);
		}
	}
	if (p == NULL)
		return EGCA_OK;
	for (i = 0; i < p->n_required_identity; i++)
		if (field_value(id, p->required_identity[i]) == NULL)
			return egca_err_set(EGCA_ERR_POLICY,
			    "profile %s requires identity %s", p->name,
			    p->required_identity[i]);
	return EGCA_OK;
}

/* Extension { oid, OCTET STRING { tag value } } non-critical. */
static void
ext_string(struct egca_der_w *w, const struct egca_der_oid *oid, uint8_t tag,
    const char *v)
{
	egca_der_begin(w, DER_SEQUENCE);
	egca_der_put_oid(w, oid);
	egca_der_begin(w, DER_OCTET_STRING);
	egca_der_put_string(w, tag, v, strlen(v));
	egca_der_end(w);
	egca_der_end(w);
}

enum egca_err
egca_pki_identity_extensions(const struct egca_identity *id,
    enum egca_idext_set set, struct egca_buf *out)
{
	struct egca_der_w w;
	enum egca_err e;
	const char *org;
	int insurance_done = 0;

	if (id == NULL || set == EGCA_IDEXT_NONE)
		return EGCA_OK;
	if ((e = egca_pki_identity_check(id, NULL)) != EGCA_OK)
		return e;
	egca_der_w_init(&w, out);
	if (set & EGCA_IDEXT_2012) {
		uint8_t ctx = 0;
		const char *v = NULL;

		if (id->id_card != NULL) {
			ctx = 0;
			v = id->id_card;
		} else if (id->military != NULL) {
			ctx = 1;
			v = id->military;
		} else if (id->passport != NULL) {
			ctx = 2;
			v = id->passport;
		}
		if (v != NULL) {
			egca_der_begin(&w, DER_SEQUENCE);
			egca_der_put_oid(&w, &oid_idcode);
			egca_der_begin(&w, DER_OCTET_STRING);
			egca_der_begin(&w, DER_CTX_CONS(ctx));
			egca_der_put_string(&w,
			    ctx == 1 ? DER_UTF8STRING : DER_PRINTABLESTRING, v,
			    strlen(v));
			egca_der_end(&w);
			egca_der_end(&w);
			egca_der_end(&w);
		}
		if (id->insurance != NULL) {
			ext_string(&w, &oid_insurance, DER_PRINTABLESTRING,
			    id->insurance);
			insurance_done = 1;
		}
		if (id->ic_registration != NULL)
			ext_string(&w, &oid_icreg, DER_PRINTABLESTRING,
			    id->ic_registration);
		org = id->org_code != NULL ? id->org_code : id->uscc;
		if (org != NULL)
			ext_string(&w, &oid_orgcode, DER_PRINTABLESTRING, org);
		if (id->tax_number != NULL)
			ext_string(
			    &w, &oid_tax, DER_PRINTABLESTRING, id->tax_number);
	}
	if (set & EGCA_IDEXT_2023) {
		if (id->id_card != NULL)
			ext_string(&w, &oid_id_card_2023, DER_PRINTABLESTRING,
			    id->id_card);
		if (id->passport != NULL)
			ext_string(&w, &oid_passport_2023, DER_PRINTABLESTRING,
			    id->passport);
		if (id->insurance != NULL && !insurance_done)
			ext_string(&w, &oid_insurance, DER_PRINTABLESTRING,
			    id->insurance);
		if (id->uscc != NULL)
			ext_string(
			    &w, &oid_uscc, DER_PRINTABLESTRING, id->uscc);
	}
	return egca_der_w_finish(&w);
}
