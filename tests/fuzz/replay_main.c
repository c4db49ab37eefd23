/*
 * Replays a fuzz corpus through a target's LLVMFuzzerTestOneInput in
 * every test run (Knot tests-fuzz). Usage: replay_<parser> DIR|FILE...
 * Prints "N passed, 0 failed" so the runner sees what ran; a crash or a
 * sanitizer report fails the test.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "egca/file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
run_file(const char *path, size_t *count)
{
	uint8_t *data;
	size_t len;

	if (egca_file_read(path, (size_t)16 << 20, &data, &len) != EGCA_OK) {
		fprintf(stderr, "replay: cannot read %s\n", path);
		return -1;
	}
	LLVMFuzzerTestOneInput(data, len);
	free(data);
	(*count)++;
	return 0;
}

static int
run_path(const char *path, size_t *count)
{
	struct stat st;
	struct dirent **ents;
	int n, i, rc = 0;
	char *sub;

	if (stat(path, &st) != 0) {
		fprintf(stderr, "replay: %s: no such corpus\n", path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return run_file(path, count);
	if ((n = scandir(path, &ents, NULL, alphasort)) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (ents[i]->d_name[0] != '.' && rc == 0) {
			sub = egca_file_join(path, ents[i]->d_name);
			rc = sub ? run_path(sub, count) : -1;
			free(sub);
		}
		free(ents[i]);
	}
	free(ents);
	return rc;
}

int
main(int argc, char **argv)
{
	size_t count = 0;
	int i;

	for (i = 1; i < argc; i++)
		if (run_path(argv[i], &count) != 0)
			return 1;
	if (count == 0) {
		fprintf(stderr, "replay: empty corpus\n");
		return 1;
	}
	printf("%zu passed, 0 failed\n", count);
	return 0;
}
