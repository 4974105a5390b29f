/*
 * hcwatch-sim: stands in for Huawei Cloud (and, in later parts, for the chat
 * and mail endpoints) so that hcwatch can be tried and tested locally.
 */
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "sim/sim.h"

int
main(int argc, char **argv)
{
	int rc;

	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		fprintf(argc < 2 ? stderr : stdout,
		    "usage: hcwatch-sim COMMAND [options]\n\n"
		    "  bind      post a signed account-binding notification, as a customer's browser does\n"
		    "  metadata  write an SP metadata.xml that carries a signing certificate\n"
		    "  serve     Huawei's BSS and IAM APIs, for the poller\n\n"
		    "hcwatch-sim COMMAND --help for a command's options\n");
		return argc < 2 ? 2 : 0;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (strcmp(argv[1], "bind") == 0) {
		rc = sim_bind(argc - 1, argv + 1);
	} else if (strcmp(argv[1], "serve") == 0) {
		rc = sim_serve(argc - 1, argv + 1);
	} else if (strcmp(argv[1], "metadata") == 0) {
		rc = sim_metadata(argc - 1, argv + 1);
	} else {
		fprintf(stderr, "hcwatch-sim: unknown command \"%s\"\n", argv[1]);
		rc = 2;
	}
	curl_global_cleanup();
	return rc;
}
