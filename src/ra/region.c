/*
 * GB/T 2260 administrative division codes (include/egca/ra.h, "Regions").
 *
 * The list is data/gb2260.tsv ("CODE<TAB>NAME", UTF-8, ascending codes;
 * data/README.md says where it comes from), compiled into the binary by
 * CMake (cmake/embed_file.cmake). It is parsed once, on first use, into
 * a sorted array that every lookup binary-searches.
 *
 * What this does not check: whether a code was valid at some earlier
 * date (retired codes are unlisted), and the hierarchy beyond the digits:
 * egca_ra_region_within() compares prefixes only, so "110100" is a
 * scope even though the Ministry of Civil Affairs list has no line for
 * Beijing's municipal districts as a whole. A malformed data file leaves
 * the table empty, so every code is refused (the unit test catches it).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "egca/ra.h"

/* Generated from data/gb2260.tsv (CMakeLists.txt, EGCA_GB2260_C). */
extern const char egca_gb2260_tsv[];
extern const size_t egca_gb2260_tsv_len;

struct region {
	char code[7];
	const char *name; /* into names, NUL-terminated */
};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct region *table;
static size_t ntable;
static char *names; /* a writable copy of the file, lines cut at '\t' */

static int
six_digits(const char *s)
{
	int i;

	for (i = 0; i < 6; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return s[6] == '\0';
}

/*
 * One line: six digits, a tab, a name without control characters (so
 * no CR either: the file has Unix line ends). Cuts the line in place.
 */
static int
parse_line(char *line, struct region *r)
{
	size_t i, n;
	char *name;

	for (i = 0; i < 6; i++)
		if (line[i] < '0' || line[i] > '9')
			return -1;
	if (line[6] != '\t')
		return -1;
	name = line + 7;
	n = strlen(name);
	if (n == 0 || n > 255)
		return -1;
	for (i = 0; i < n; i++)
		if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
			return -1;
	memcpy(r->code, line, 6);
	r->code[6] = '\0';
	r->name = name;
	return 0;
}

static void
load(void)
{
	size_t len = egca_gb2260_tsv_len, lines = 0, n = 0, i;
	struct region *t = NULL;
	char *blob, *p, *end, *nl;

	if ((blob = malloc(len + 1)) == NULL)
		return;
	memcpy(blob, egca_gb2260_tsv, len);
	blob[len] = '\0';
	for (i = 0; i < len; i++)
		if (blob[i] == '\n')
			lines++;
	if (len > 0 && blob[len - 1] != '\n')
		lines++;
	if (lines == 0 || (t = calloc(lines, sizeof(*t))) == NULL)
		goto fail;
	for (p = blob, end = blob + len; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		*nl = '\0';
		if (n == lines || parse_line(p, &t[n]) != 0)
			goto fail;
		/* Strictly ascending: the binary search relies on it. */
		if (n > 0 && memcmp(t[n - 1].code, t[n].code, 6) >= 0)
			goto fail;
		n++;
	}
	table = t;
	ntable = n;
	names = blob;
	return;
fail:
	free(t);
	free(blob);
}

static const struct region *
find(const char *code)
{
	size_t lo = 0, hi;
	int c;

	if (code == NULL || !six_digits(code) || pthread_once(&once, load) != 0)
		return NULL;
	hi = ntable;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if ((c = memcmp(code, table[mid].code, 6)) == 0)
			return &table[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

enum egca_err
egca_ra_region_check(const char *code)
{
	if (code == NULL || *code == '\0')
		return egca_err_set(EGCA_ERR_INPUT, "region: missing");
	if (!six_digits(code))
		return egca_err_set(
		    EGCA_ERR_INPUT, "region: must be six digits (GB/T 2260)");
	if (find(code) == NULL)
		return egca_err_set(EGCA_ERR_INPUT,
		    "region: %s is not a listed GB/T 2260 code", code);
	return EGCA_OK;
}

const char *
egca_ra_region_name(const char *code)
{
	const struct region *r = find(code);

	return r ? r->name : NULL;
}

int
egca_ra_region_within(const char *code, const char *scope)
{
	if (code == NULL || scope == NULL || !six_digits(code) ||
	    !six_digits(scope))
		return 0;
	if (memcmp(code, scope, 6) == 0)
		return 1;
	/* A province ("110000"): same first two digits. */
	if (memcmp(scope + 2, "0000", 4) == 0)
		return memcmp(code, scope, 2) == 0;
	/* A prefecture ("110100"): same first four digits. */
	if (memcmp(scope + 4, "00", 2) == 0)
		return memcmp(code, scope, 4) == 0;
	return 0;
}

/* "" when code does not start with two digits. */
void
egca_ra_region_province(const char *code, char out[7])
{
	if (code == NULL || code[0] < '0' || code[0] > '9' || code[1] < '0' ||
	    code[1] > '9') {
		out[0] = '\0';
		return;
	}
	out[0] = code[0];
	out[1] = code[1];
	memcpy(out + 2, "0000", 5);
}

size_t
egca_ra_region_count(void)
{
	if (pthread_once(&once, load) != 0)
		return 0;
	return ntable;
}
