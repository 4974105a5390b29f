/*
 * Every thread hcwatch starts goes through thread_start: it has a name (in
 * top -H, gdb and /proc) and blocks every signal, so that signals reach the
 * main thread's event loop alone (SIGHUP, SIGTERM, SIGINT are loop events).
 */
#ifndef HCWATCH_UTIL_THREAD_H
#define HCWATCH_UTIL_THREAD_H

#include <pthread.h>
#include <stdbool.h>

/**
 * Starts fn(arg) on a new thread named name (15 characters at most are
 * kept), with every signal blocked. False when the thread cannot be made.
 */
bool thread_start(pthread_t *t, const char *name, void *(*fn)(void *), void *arg)
    __attribute__((warn_unused_result));

#endif
