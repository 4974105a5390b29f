#include "core/log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "util/buf.h"
#include "util/clock.h"
#include "util/utf8.h"
#include "util/xalloc.h"

static const char *const level_names[] = { "error", "warn", "info", "debug" };

static _Atomic int log_level = LOG_INFO;
static _Atomic int log_format = LOG_FORMAT_TEXT;
/* fd and path change only under the lock; writers take it for one write(2). */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static int log_fd = STDERR_FILENO;
static char *log_path;

static int open_log(const char *path);

static int
open_log(const char *path)
{
	return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
}

bool
log_level_parse(const char *s, enum log_level *out)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return true;
		}
	}
	return false;
}

bool
log_setup(enum log_level level, enum log_format format, const char *path, char *err, size_t errlen)
{
	int fd = STDERR_FILENO;

	if (path && *path) {
		fd = open_log(path);
		if (fd < 0) {
			snprintf(err, errlen, "cannot open log file %s: %s", path, strerror(errno));
			return false;
		}
	}
	pthread_mutex_lock(&log_lock);
	if (log_fd != STDERR_FILENO)
		close(log_fd);
	log_fd = fd;
	free(log_path);
	log_path = (path && *path) ? xstrdup(path) : NULL;
	pthread_mutex_unlock(&log_lock);
	atomic_store(&log_level, level);
	atomic_store(&log_format, format);
	return true;
}

void
log_reopen(void)
{
	int fd;

	pthread_mutex_lock(&log_lock);
	if (log_path) {
		fd = open_log(log_path);
		if (fd >= 0) {
			close(log_fd);
			log_fd = fd;
		}
	}
	pthread_mutex_unlock(&log_lock);
}

void
log_shutdown(void)
{
	pthread_mutex_lock(&log_lock);
	if (log_fd != STDERR_FILENO)
		close(log_fd);
	log_fd = STDERR_FILENO;
	free(log_path);
	log_path = NULL;
	pthread_mutex_unlock(&log_lock);
}

bool
log_enabled(enum log_level level)
{
	return (int)level <= atomic_load(&log_level);
}

void
log_write(enum log_level level, const char *request_id, const char *fmt, ...)
{
	char ts[CLOCK_RFC3339_LEN];
	struct buf msg, line, visible;
	va_list ap;

	buf_init(&msg);
	buf_init(&line);
	va_start(ap, fmt);
	buf_vappendf(&msg, fmt, ap);
	va_end(ap);
	/*
	 * Messages may quote bytes from the wire or a customer's name: one event,
	 * one line, valid UTF-8, and nothing that reorders the text around it.
	 */
	buf_init(&visible);
	utf8_visible(&visible, msg.data ? msg.data : "", msg.len);
	clock_format_rfc3339(clock_wall_us(), ts, sizeof(ts));

	if (atomic_load(&log_format) == LOG_FORMAT_JSON) {
		json_t *o = json_object();
		char *s;

		json_object_set_new(o, "ts", json_string(ts));
		json_object_set_new(o, "level", json_string(level_names[level]));
		if (request_id)
			json_object_set_new(o, "request_id", json_string(request_id));
		json_object_set_new(o, "msg", json_string(visible.data ? visible.data : ""));
		s = json_dumps(o, JSON_COMPACT);
		if (s)
			buf_append_str(&line, s);
		free(s);
		json_decref(o);
	} else {
		buf_appendf(&line, "%s %s", ts, level_names[level]);
		if (request_id)
			buf_appendf(&line, " [%s]", request_id);
		buf_append_char(&line, ' ');
		buf_append(&line, visible.data ? visible.data : "", visible.len);
	}
	buf_append_char(&line, '\n');

	pthread_mutex_lock(&log_lock);
	{
		const char *p = line.data;
		size_t left = line.len;

		while (left > 0) {
			ssize_t n = write(log_fd, p, left);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			p += n;
			left -= (size_t)n;
		}
	}
	pthread_mutex_unlock(&log_lock);
	buf_cleanup(&msg);
	buf_cleanup(&visible);
	buf_cleanup(&line);
}

void
log_outage_failed(struct log_outage *o, const char *what, const char *err)
{
	int was = 0;

	if (atomic_compare_exchange_strong(&o->down, &was, 1))
		log_error("%s: %s: %s; retrying, and saying so once it works again", o->component,
		    what, err);
	else
		log_debug("%s: %s: %s", o->component, what, err);
}

void
log_outage_ok(struct log_outage *o)
{
	int was = 1;

	if (atomic_load(&o->down) && atomic_compare_exchange_strong(&o->down, &was, 0))
		log_info("%s: the database works again", o->component);
}
