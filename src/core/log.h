/*
 * Logging: one line per event, as text or as JSON, to stderr or a file.
 *
 * Every line is built in memory and written with one write(2), so lines from
 * the HTTP thread and the database writer never interleave. Lines about a
 * request carry its id (rlog_*). Never pass secrets: nothing here masks them.
 */
#ifndef HCWATCH_CORE_LOG_H
#define HCWATCH_CORE_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };
enum log_format { LOG_FORMAT_TEXT, LOG_FORMAT_JSON };

/** Sets level and format and opens path (NULL or "" = stderr). */
bool log_setup(enum log_level level, enum log_format format, const char *path, char *err,
    size_t errlen) __attribute__((warn_unused_result));
/** Reopens the file after rotation (SIGHUP); stderr needs nothing. */
void log_reopen(void);
void log_shutdown(void);
bool log_enabled(enum log_level level);
bool log_level_parse(const char *s, enum log_level *out);

void log_write(enum log_level level, const char *request_id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_error(...) \
	do { \
		if (log_enabled(LOG_ERROR)) \
			log_write(LOG_ERROR, NULL, __VA_ARGS__); \
	} while (0)
#define log_warn(...) \
	do { \
		if (log_enabled(LOG_WARN)) \
			log_write(LOG_WARN, NULL, __VA_ARGS__); \
	} while (0)
#define log_info(...) \
	do { \
		if (log_enabled(LOG_INFO)) \
			log_write(LOG_INFO, NULL, __VA_ARGS__); \
	} while (0)
#define log_debug(...) \
	do { \
		if (log_enabled(LOG_DEBUG)) \
			log_write(LOG_DEBUG, NULL, __VA_ARGS__); \
	} while (0)

/*
 * An outage seen by a component that retries on its own (the notifier's
 * workers, the poller, the metrics reader): logged once when it starts and
 * once when it ends, not at every retry. Shared by the threads of the
 * component; the debug level still has every failure.
 */
struct log_outage {
	const char *component;
	_Atomic int down;
};

#define LOG_OUTAGE_INIT(component) \
	{ \
		(component), 0 \
	}

/** A failure: logged at error level if the component was not already down. */
void log_outage_failed(struct log_outage *o, const char *what, const char *err);
/** A success: logged at info level if the component was down. */
void log_outage_ok(struct log_outage *o);

#define rlog_error(rid, ...) \
	do { \
		if (log_enabled(LOG_ERROR)) \
			log_write(LOG_ERROR, (rid), __VA_ARGS__); \
	} while (0)
#define rlog_warn(rid, ...) \
	do { \
		if (log_enabled(LOG_WARN)) \
			log_write(LOG_WARN, (rid), __VA_ARGS__); \
	} while (0)
#define rlog_info(rid, ...) \
	do { \
		if (log_enabled(LOG_INFO)) \
			log_write(LOG_INFO, (rid), __VA_ARGS__); \
	} while (0)
#define rlog_debug(rid, ...) \
	do { \
		if (log_enabled(LOG_DEBUG)) \
			log_write(LOG_DEBUG, (rid), __VA_ARGS__); \
	} while (0)

#endif
