/*
 * Serial reservations (table serial_reservation): written before
 * anything is signed, so a serial is never used twice per CA even when
 * signing or storing the certificate fails afterwards.
 */
#include "egca/store.h"
#include "store/backend.h"

enum egca_err
egca_store_serial_reserve(struct egca_store *st, const char *ca,
    const char *serial_hex, const char *tbs_sm3_hex, int64_t at)
{
	struct store_val p[4];
	enum egca_err err;
	int64_t n;

	p[0] = egca_store_text(ca);
	p[1] = egca_store_text(serial_hex);
	p[2] = egca_store_text(tbs_sm3_hex);
	p[3] = egca_store_int(at);
	if ((err = egca_store_exec(st,
	         "INSERT INTO serial_reservation (ca, serial, tbs_sm3,"
	         " reserved_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
	         p, 4, NULL, NULL, &n)) != EGCA_OK)
		return err;
	if (n == 0)
		return egca_err_set(EGCA_ERR_EXISTS,
		    "serial %s of CA %s was already used", serial_hex, ca);
	return EGCA_OK;
}
