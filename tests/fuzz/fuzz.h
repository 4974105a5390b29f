/*
 * What every fuzz target shares. A target defines LLVMFuzzerTestOneInput and
 * may define LLVMFuzzerInitialize; it is linked either with libFuzzer
 * (scripts/fuzz.sh) or with driver.c, which replays files for CTest.
 */
#ifndef HCWATCH_TESTS_FUZZ_H
#define HCWATCH_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The fixtures directory (tests/fixtures), compiled in by CMake. */
#ifndef HCWATCH_FIXTURES
#define HCWATCH_FIXTURES "tests/fixtures"
#endif

#endif
