/* Wall and monotonic time, and the text forms the project writes. */
#ifndef HCWATCH_UTIL_CLOCK_H
#define HCWATCH_UTIL_CLOCK_H

#include <stddef.h>
#include <stdint.h>

/** Microseconds since the epoch. */
int64_t clock_wall_us(void);
/** Microseconds on a clock that never jumps. */
int64_t clock_mono_us(void);
/** RFC 3339 UTC with microseconds ("2026-11-21T10:00:00.123456Z"); out needs 32 bytes. */
void clock_format_rfc3339(int64_t wall_us, char *out, size_t outlen);

#define CLOCK_RFC3339_LEN 32

#endif
