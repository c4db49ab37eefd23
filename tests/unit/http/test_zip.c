/*
 * Unit tests for src/http/zip.c: the archive is walked here (headers,
 * CRC-32 by zlib, central directory) and, when unzip is installed,
 * checked by `unzip -t` as an independent reader.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zlib.h>

#include "egca/file.h"
#include "http/http_int.h"

static uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static void
test_zip(void **state)
{
	struct http_zip z;
	uint8_t *zip, big[5000];
	size_t len, off, i, cd;
	const uint8_t *eocd;
	const char *names[] = {"a.txt", "certs/root/01.der", "empty"};
	char path[512], cmd[600];

	(void)state;
	for (i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7);
	http_zip_init(&z, 1 << 20, 1795564800);
	assert_int_equal(http_zip_add(&z, names[0], "hello\n", 6), EGCA_OK);
	assert_int_equal(http_zip_add(&z, names[1], big, sizeof(big)), EGCA_OK);
	assert_int_equal(http_zip_add(&z, names[2], "", 0), EGCA_OK);
	assert_int_equal(http_zip_finish(&z, &zip, &len), EGCA_OK);
	http_zip_free(&z);

	/* End of central directory. */
	assert_true(len > 22);
	eocd = zip + len - 22;
	assert_int_equal(rd32(eocd), 0x06054b50);
	assert_int_equal(rd16(eocd + 10), 3);
	cd = rd32(eocd + 16);
	assert_int_equal(cd + rd32(eocd + 12), len - 22);
	/* Local entries and their CRCs. */
	off = 0;
	for (i = 0; i < 3; i++) {
		const uint8_t *h = zip + off;
		uint32_t n = rd32(h + 18);
		uint16_t nl = rd16(h + 26);
		assert_int_equal(rd32(h), 0x04034b50);
		assert_int_equal(rd16(h + 8), 0); /* stored */
		assert_int_equal(nl, strlen(names[i]));
		assert_memory_equal(h + 30, names[i], nl);
		assert_int_equal(
		    rd32(h + 14), (uint32_t)crc32(0, h + 30 + nl, (uInt)n));
		off += 30 + nl + n;
	}
	assert_int_equal(off, cd);
	/* The central directory points at the local headers. */
	assert_int_equal(rd32(zip + cd), 0x02014b50);
	assert_int_equal(rd32(zip + cd + 42), 0);

	snprintf(path, sizeof(path), "%s/test_zip.zip",
	    getenv("EGCA_TEST_TMP") ? getenv("EGCA_TEST_TMP") : "/tmp");
	if (system("command -v unzip >/dev/null 2>&1") == 0) {
		snprintf(
		    cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", path);
		assert_int_equal(system(cmd), 0);
		assert_int_equal(
		    egca_file_write_atomic(path, zip, len, 0600), EGCA_OK);
		snprintf(cmd, sizeof(cmd), "unzip -tq '%s' >/dev/null", path);
		assert_int_equal(system(cmd), 0);
		remove(path);
	}
	free(zip);
}

static void
test_limits(void **state)
{
	struct http_zip z;
	uint8_t *zip, data[300];
	size_t len;
	char name[300];

	(void)state;
	memset(data, 'x', sizeof(data));
	http_zip_init(&z, 256, 0);
	assert_int_equal(
	    http_zip_add(&z, "a", data, sizeof(data)), EGCA_ERR_NOMEM);
	/* Sticky. */
	assert_int_equal(http_zip_add(&z, "b", "", 0), EGCA_ERR_NOMEM);
	assert_int_equal(http_zip_finish(&z, &zip, &len), EGCA_ERR_NOMEM);
	assert_null(zip);
	http_zip_free(&z);
	http_zip_init(&z, 1 << 20, 0);
	memset(name, 'n', sizeof(name));
	name[sizeof(name) - 1] = '\0';
	assert_int_equal(http_zip_add(&z, name, "", 0), EGCA_ERR_NOMEM);
	http_zip_free(&z);
	http_zip_init(&z, 1 << 20, 0);
	assert_int_equal(http_zip_add(&z, "", "", 0), EGCA_ERR_NOMEM);
	http_zip_free(&z);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_zip),
	    cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
