/*
 * The chat platforms' answers. Input: channel, two bytes of HTTP status, a
 * Retry-After value up to a newline, then the body.
 */
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "fuzz.h"
#include "notify/channels.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct send_result r;
	const uint8_t *nl;
	char *retry_after = NULL, *body;
	size_t off = 3;
	int channel;
	long status;

	if (size < 3)
		return 0;
	channel = data[0] % (CONFIG_CH_EMAIL + 1);
	status = 100 + (((long)data[1] << 8 | data[2]) % 500);
	if ((nl = memchr(data + 3, '\n', size - 3)) != NULL) {
		size_t n = (size_t)(nl - data) - 3;

		retry_after = malloc(n + 1);
		memcpy(retry_after, data + 3, n);
		retry_after[n] = '\0';
		off = (size_t)(nl - data) + 1;
	}
	body = malloc(size - off + 1);
	memcpy(body, data + off, size - off);
	body[size - off] = '\0';
	memset(&r, 0, sizeof(r));
	channel_classify(channel, status, body, retry_after, &r);
	if (memchr(r.code, '\0', sizeof(r.code)) == NULL ||
	    memchr(r.error, '\0', sizeof(r.error)) == NULL || r.block_s < 0)
		abort();
	free(body);
	free(retry_after);
	return 0;
}
