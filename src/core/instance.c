#include "core/instance.h"

#include <stdio.h>
#include <unistd.h>

#include "core/config.h"
#include "util/clock.h"

void
instance_name(char *out, size_t outlen)
{
	char host[256];

	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = '\0';
	snprintf(out, outlen, "%s:%ld", host, (long)getpid());
}

int64_t
instance_now_us(const struct config *cfg)
{
	return clock_wall_us() + (int64_t)cfg->al_clock_offset * 1000000LL;
}
