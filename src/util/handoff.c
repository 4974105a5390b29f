#include "util/handoff.h"

#include <pthread.h>
#include <stdlib.h>

#include <event2/event.h>

#include "util/xalloc.h"

struct handoff {
	pthread_mutex_t lock;
	struct handoff_item *head, *tail;
	struct event *ev;
	void (*run)(struct handoff_item *item);
};

static void
on_event(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	handoff_run(arg);
}

struct handoff *
handoff_new(struct event_base *base, void (*run)(struct handoff_item *item))
{
	struct handoff *h = xcalloc(1, sizeof(*h));

	pthread_mutex_init(&h->lock, NULL);
	h->run = run;
	h->ev = event_new(base, -1, 0, on_event, h);
	return h;
}

void
handoff_push(struct handoff *h, struct handoff_item *first, struct handoff_item *last)
{
	last->next = NULL;
	pthread_mutex_lock(&h->lock);
	if (h->tail)
		h->tail->next = first;
	else
		h->head = first;
	h->tail = last;
	pthread_mutex_unlock(&h->lock);
	event_active(h->ev, 0, 0);
}

void
handoff_run(struct handoff *h)
{
	struct handoff_item *it;

	/* Taken whole, so that a callback may push again without deadlock. */
	pthread_mutex_lock(&h->lock);
	it = h->head;
	h->head = h->tail = NULL;
	pthread_mutex_unlock(&h->lock);
	while (it) {
		struct handoff_item *next = it->next;

		h->run(it);
		it = next;
	}
}

void
handoff_free(struct handoff *h)
{
	if (h == NULL)
		return;
	handoff_run(h);
	event_free(h->ev);
	pthread_mutex_destroy(&h->lock);
	free(h);
}
