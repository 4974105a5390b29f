/* Wall and monotonic time, and the text forms the project writes. */
#ifndef HCWATCH_UTIL_CLOCK_H
#define HCWATCH_UTIL_CLOCK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Microseconds since the epoch. */
int64_t clock_wall_us(void);
/** Microseconds on a clock that never jumps. */
int64_t clock_mono_us(void);
/** RFC 3339 UTC with microseconds ("2026-11-21T10:00:00.123456Z"); out needs 32 bytes. */
void clock_format_rfc3339(int64_t wall_us, char *out, size_t outlen);

#define CLOCK_RFC3339_LEN 32

/** Sleeps us microseconds in short steps; false, early, once *stop (may be NULL) is true. */
bool clock_sleep_us(int64_t us, const atomic_bool *stop);
/** Seconds since the epoch of a UTC calendar time (no time zone database involved). */
int64_t clock_from_utc(int year, int month, int day, int hour, int min, int sec);
/** Huawei's UTC form "YYYY-MM-DDTHH:MM:SSZ" (seconds); out needs 21 bytes. */
void clock_format_utc_s(int64_t epoch_s, char *out, size_t outlen);
/** Parses "YYYY-MM-DDTHH:MM:SSZ"; false on anything else. */
bool clock_parse_utc_s(const char *s, int64_t *epoch_s) __attribute__((warn_unused_result));

#define CLOCK_UTC_S_LEN 21

/**
 * Retry wait before attempt n (1 for the first retry): base doubled each
 * time, capped at max, with "equal jitter" (half fixed, half random).
 */
int64_t clock_backoff_us(int base_ms, int max_ms, int attempt, unsigned int *seed);

#endif
