/*
 * What identifies this process to the others that share its database, and
 * the clock the alert rules and the outbox read.
 */
#ifndef HCWATCH_CORE_INSTANCE_H
#define HCWATCH_CORE_INSTANCE_H

#include <stddef.h>
#include <stdint.h>

struct config;

/** "host:pid", as poll runs, alert runs and delivery claims record who did them. */
void instance_name(char *out, size_t outlen);

/**
 * The rules' clock: the wall clock shifted by [alerts] clock_offset (for
 * drills and for tests that walk through months), in microseconds.
 */
int64_t instance_now_us(const struct config *cfg);

#endif
