/*
 * Prepares every statement of the registry (src/store/sql/) on a database
 * migrated to the current schema, and says which fail. The integration test
 * test_sql.py runs it, so that a statement that no longer fits the schema is
 * found before the code path that runs it.
 *
 *   prepare_all CONNINFO
 */
#include <stdio.h>

#include "store/store.h"
#include "store_sql.h"

int
main(int argc, char **argv)
{
	char err[16384];
	struct store *s;
	bool ok;

	if (argc != 2) {
		fprintf(stderr, "usage: prepare_all CONNINFO\n");
		return 2;
	}
	s = store_open(argv[1], 5, 0);
	ok = store_prepare_all(s, err, sizeof(err));
	store_close(s);
	if (!ok) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	printf("%d statements prepared\n", SQL_COUNT);
	return 0;
}
