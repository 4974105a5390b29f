/* Huawei's answers: two bytes of HTTP status, then the body. */
#include <stdlib.h>

#include <jansson.h>

#include "fuzz.h"
#include "hwc/hwc_client.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hwc_error e;
	json_t *out = NULL;
	long status;
	enum hwc_status st;

	if (size < 2)
		return 0;
	status = 100 + (((long)data[0] << 8 | data[1]) % 500);
	st = hwc_classify(status, (const char *)data + 2, size - 2, &out, &e);
	if (st == HWC_OK && !json_is_object(out) && !json_is_array(out))
		abort();
	if (st != HWC_OK && out != NULL)
		abort();
	(void)hwc_status_name(st);
	json_decref(out);
	return 0;
}
