/*
 * util.c - the small things every part of the host needs: clocks, the log line, files written
 * atomically, id checks and text cleaning. No knowledge of agents, git or HTTP.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "host.h"

static int64_t clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t wall_ms(void)
{
	return clock_ms(CLOCK_REALTIME);
}

int64_t mono_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC);
}

void host_log(const char *fmt, ...)
{
	char line[1024];
	size_t len;
	va_list ap;

	/* One write per line, so lines from the host and its children do not interleave. */
	memcpy(line, "host: ", 6);
	va_start(ap, fmt);
	vsnprintf(line + 6, sizeof line - 7, fmt, ap);
	va_end(ap);
	len = strlen(line);
	line[len++] = '\n';
	if (write(STDERR_FILENO, line, len) < 0) {
		/* Nowhere left to say it. */
	}
}

int mkdir_p(const char *dir)
{
	char buf[HOST_PATH_MAX];
	size_t len = strlen(dir);

	if (len == 0 || len >= sizeof buf) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, dir, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0700) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(buf, 0700) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

int write_file_atomic(const char *path, const char *data, size_t len, mode_t mode)
{
	char tmp[HOST_PATH_MAX + 32];
	int fd, saved;
	size_t done = 0;

	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= sizeof tmp) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return -1;
	/* The mode of an existing file (left by a crash) would survive O_CREAT: set it again. */
	if (fchmod(fd, mode) < 0)
		goto fail;
	while (done < len) {
		ssize_t n = write(fd, data + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		done += (size_t)n;
	}
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	if (rename(tmp, path) < 0) {
		fd = -1;
		goto fail;
	}
	return 0;
fail:
	saved = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	errno = saved;
	return -1;
}

char *read_file(const char *path, size_t max, size_t *len_out)
{
	FILE *f = fopen(path, "re");
	char *buf;
	size_t n;

	if (!f)
		return NULL;
	buf = malloc(max + 1);
	if (!buf) {
		fclose(f);
		return NULL;
	}
	n = fread(buf, 1, max + 1, f);
	fclose(f);
	if (n > max) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	if (len_out)
		*len_out = n;
	return buf;
}

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return (type == FTW_DP ? rmdir(path) : unlink(path)) < 0 && errno != ENOENT ? -1 : 0;
}

int rm_tree(const char *path)
{
	if (!path_exists(path))
		return 0;
	return nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : -1;
}

int path_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static int alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

int id_ok(const char *s, size_t max, int slash)
{
	size_t len;

	if (!s || !alnum(s[0]))
		return 0;
	len = strlen(s);
	if (len > max || s[len - 1] == '/' || s[len - 1] == '.' || strstr(s, "..") ||
	    strstr(s, "//") || (len >= 5 && strcmp(s + len - 5, ".lock") == 0))
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!alnum(c) && c != '.' && c != '_' && c != '-' && !(slash && c == '/'))
			return 0;
		/* No path component may start with '.' or '-' (hidden files, options). */
		if (c == '/' && (s[i + 1] == '.' || s[i + 1] == '-'))
			return 0;
	}
	return 1;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 when invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t need;
	unsigned cp;

	if (s[0] < 0x80)
		return s[0] ? 1 : 0;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		need = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		need = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		need = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (need > n)
		return 0;
	for (size_t i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF are not UTF-8. */
	if ((need == 3 && cp < 0x800) || (need == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return need;
}

size_t text_clean(char *s, size_t len, size_t max)
{
	unsigned char *u = (unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		size_t n = utf8_len(u + i, len - i);
		if (n == 0) {
			u[i] = '?';
			n = 1;
		}
		if (i + n > max)
			break;
		i += n;
	}
	s[i] = '\0';
	return i;
}

void ident_clean(char *dst, size_t cap, const char *src)
{
	size_t j = 0;

	for (size_t i = 0; src && src[i] && j + 1 < cap; i++) {
		unsigned char c = (unsigned char)src[i];
		if (c < 0x20 || c == 0x7f || c == '<' || c == '>' || (c == ' ' && j == 0))
			continue;
		dst[j++] = (char)c;
	}
	/* Trimmed: git trims the ends of an identity anyway, and of a trailer value. */
	while (j > 0 && dst[j - 1] == ' ')
		j--;
	dst[j] = '\0';
}

int strv_push(struct strv *s, const char *str)
{
	char *copy;

	if (s->n + 2 > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		char **grown = realloc(s->v, cap * sizeof *grown);
		if (!grown)
			return -1;
		s->v = grown;
		s->cap = cap;
	}
	copy = strdup(str);
	if (!copy)
		return -1;
	s->v[s->n++] = copy;
	s->v[s->n] = NULL;
	return 0;
}

int strv_pushf(struct strv *s, const char *fmt, ...)
{
	va_list ap;
	char *str = NULL;
	int rc;

	va_start(ap, fmt);
	rc = vasprintf(&str, fmt, ap);
	va_end(ap);
	if (rc < 0)
		return -1;
	rc = strv_push(s, str);
	free(str);
	return rc;
}

void strv_clear(struct strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}
