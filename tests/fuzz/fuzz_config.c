/* The INI configuration file, as hcwatch -c reads it. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/config.h"
#include "fuzz.h"

static char path[64];

static void
remove_file(void)
{
	unlink(path);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int fd;

	(void)argc;
	(void)argv;
	snprintf(path, sizeof(path), "/tmp/hcwatch-fuzz-config-XXXXXX");
	if ((fd = mkstemp(path)) < 0)
		abort();
	close(fd);
	atexit(remove_file);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *f = fopen(path, "wb");
	struct config *cfg;
	char err[CONFIG_ERR_LEN];

	if (f == NULL || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();
	cfg = config_load(path, err, sizeof(err));
	if (cfg != NULL) {
		struct config *copy = config_copy(cfg);

		config_free(copy);
		config_free(cfg);
	}
	return 0;
}
