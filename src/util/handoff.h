/*
 * Work finished on a thread, handed back to the event loop: a thread pushes
 * what it settled, and the loop runs each item, in order, from an event made
 * active (libevent must be set up for pthreads). The callback writer and the
 * pages' readers answer their requests this way.
 */
#ifndef HCWATCH_UTIL_HANDOFF_H
#define HCWATCH_UTIL_HANDOFF_H

#include <stddef.h>

struct event_base;
struct handoff;

/* Embedded in what is handed over; HANDOFF_OWNER gets back to that. */
struct handoff_item {
	struct handoff_item *next;
};

#define HANDOFF_OWNER(item, type, member) ((type *)(void *)((char *)(item)-offsetof(type, member)))

/** run is called on the loop for each item pushed. */
struct handoff *handoff_new(struct event_base *base, void (*run)(struct handoff_item *item));
/** From any thread: the chain first … last (linked by next) is run on the loop, in order. */
void handoff_push(struct handoff *h, struct handoff_item *first, struct handoff_item *last);
/** Runs what was pushed so far, here and now: on the loop, or once the threads are joined. */
void handoff_run(struct handoff *h);
/** Runs what is left, then frees. */
void handoff_free(struct handoff *h);

#endif
