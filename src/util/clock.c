#include "util/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int64_t
clock_wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t
clock_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void
clock_format_rfc3339(int64_t wall_us, char *out, size_t outlen)
{
	time_t secs = (time_t)(wall_us / 1000000);
	struct tm tm;

	gmtime_r(&secs, &tm);
	snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(wall_us % 1000000));
}

/* Howard Hinnant's days_from_civil: proleptic Gregorian, valid for any year we meet. */
int64_t
clock_from_utc(int year, int month, int day, int hour, int min, int sec)
{
	int64_t y = year - (month <= 2);
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	int64_t days = era * 146097 + doe - 719468;

	return days * 86400 + hour * 3600 + min * 60 + sec;
}

void
clock_format_utc_s(int64_t epoch_s, char *out, size_t outlen)
{
	time_t secs = (time_t)epoch_s;
	struct tm tm;

	gmtime_r(&secs, &tm);
	snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
	    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

bool
clock_parse_utc_s(const char *s, int64_t *epoch_s)
{
	int y, mo, d, h, mi, sec, n = 0;

	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 ||
	    n != 20 || s[20] != '\0')
		return false;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 || h < 0 ||
	    mi < 0 || sec < 0)
		return false;
	*epoch_s = clock_from_utc(y, mo, d, h, mi, sec);
	return true;
}

bool
clock_sleep_us(int64_t us, const atomic_bool *stop)
{
	int64_t end = clock_mono_us() + us, now;

	while ((now = clock_mono_us()) < end) {
		int64_t step = end - now;
		struct timespec ts;

		if (stop && atomic_load(stop))
			return false;
		/* Wake often enough that a stop request is seen within 100 ms. */
		if (step > 100000)
			step = 100000;
		ts.tv_sec = (time_t)(step / 1000000);
		ts.tv_nsec = (long)(step % 1000000) * 1000;
		nanosleep(&ts, NULL);
	}
	return !(stop && atomic_load(stop));
}

int64_t
clock_backoff_us(int base_ms, int max_ms, int attempt, unsigned int *seed)
{
	int64_t cap = (int64_t)base_ms * 1000, max = (int64_t)max_ms * 1000;

	for (int i = 1; i < attempt && cap < max; i++)
		cap *= 2;
	if (cap > max)
		cap = max;
	return cap / 2 + (int64_t)((double)rand_r(seed) / RAND_MAX * (double)(cap / 2));
}
