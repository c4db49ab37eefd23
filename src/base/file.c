/* Bounded reads and atomic writes (include/egca/file.h). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "egca/buf.h"
#include "egca/file.h"

enum egca_err
egca_file_read(const char *path, size_t max, uint8_t **out, size_t *len)
{
	struct egca_buf b;
	int fd;
	ssize_t n;
	uint8_t chunk[16384];
	enum egca_err e = EGCA_OK;

	*out = NULL;
	*len = 0;
	if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return egca_err_set(
		    errno == ENOENT ? EGCA_ERR_NOTFOUND : EGCA_ERR_IO, "%s: %s",
		    path, strerror(errno));
	egca_buf_init(&b, max);
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			e = egca_err_set(
			    EGCA_ERR_IO, "%s: %s", path, strerror(errno));
			break;
		}
		if (n == 0)
			break;
		if (egca_buf_append(&b, chunk, (size_t)n) != EGCA_OK) {
			e = egca_err_set(EGCA_ERR_INPUT,
			    "%s: larger than the limit of %zu bytes", path,
			    max);
			break;
		}
	}
	if (fd != STDIN_FILENO)
		close(fd);
	if (e != EGCA_OK) {
		egca_buf_free(&b);
		return e;
	}
	*out = egca_buf_take(&b, len);
	return EGCA_OK;
}

static enum egca_err
fsync_dir(const char *path)
{
	char *copy = strdup(path);
	int fd;

	if (copy == NULL)
		return egca_err_set(EGCA_ERR_NOMEM, "out of memory");
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(copy);
	if (fd < 0)
		return egca_err_set(
		    EGCA_ERR_IO, "%s: directory: %s", path, strerror(errno));
	if (fsync(fd) != 0) {
		close(fd);
		return egca_err_set(EGCA_ERR_IO, "%s: fsync directory: %s",
		    path, strerror(errno));
	}
	close(fd);
	return EGCA_OK;
}

enum egca_err
egca_file_write_atomic(
    const char *path, const void *data, size_t len, mode_t mode)
{
	char tmp[4096];
	const uint8_t *p = data;
	ssize_t n;
	int fd;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path,
	        (long)getpid()) >= sizeof(tmp))
		return egca_err_set(EGCA_ERR_IO, "%s: path too long", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return egca_err_set(
		    EGCA_ERR_IO, "%s: %s", tmp, strerror(errno));
	if (fchmod(fd, mode) != 0)
		goto fail;
	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		p += n;
		len -= (size_t)n;
	}
	/* A failed fsync is not retried: the data may be gone. */
	if (fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto fail;
	return fsync_dir(path);
fail : {
	enum egca_err e =
	    egca_err_set(EGCA_ERR_IO, "%s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return e;
}
}

int
egca_file_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

enum egca_err
egca_file_mkdirs(const char *path, mode_t mode)
{
	char buf[4096];
	size_t i, n = strlen(path);

	if (n == 0 || n >= sizeof(buf))
		return egca_err_set(EGCA_ERR_IO, "bad directory path");
	memcpy(buf, path, n + 1);
	for (i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, mode) != 0 && errno != EEXIST)
			return egca_err_set(
			    EGCA_ERR_IO, "%s: %s", buf, strerror(errno));
		buf[i] = path[i];
	}
	return EGCA_OK;
}

char *
egca_file_join(const char *dir, const char *name)
{
	size_t a = strlen(dir), b = strlen(name);
	char *p = malloc(a + b + 2);

	if (p == NULL)
		return NULL;
	memcpy(p, dir, a);
	p[a] = '/';
	memcpy(p + a + 1, name, b + 1);
	return p;
}
