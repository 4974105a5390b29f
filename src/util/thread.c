#include "util/thread.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>

#include "util/xalloc.h"

struct start {
	void *(*fn)(void *);
	void *arg;
	char name[16];
};

static void *
trampoline(void *p)
{
	struct start st = *(struct start *)p;

	free(p);
	(void)prctl(PR_SET_NAME, st.name, 0, 0, 0);
	return st.fn(st.arg);
}

bool
thread_start(pthread_t *t, const char *name, void *(*fn)(void *), void *arg)
{
	struct start *st = xmalloc(sizeof(*st));
	sigset_t all, old;
	int rc;

	st->fn = fn;
	st->arg = arg;
	snprintf(st->name, sizeof(st->name), "%s", name);
	/* The new thread inherits the mask in force when it is made: all blocked. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(t, NULL, trampoline, st);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		free(st);
	return rc == 0;
}
