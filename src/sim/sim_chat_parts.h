/*
 * Inside hcwatch-sim's chat and mail side: the state the chat endpoints
 * (sim_chat.c) and the SMTP server (sim_smtp.c) share.
 */
#ifndef HCWATCH_SIM_SIM_CHAT_PARTS_H
#define HCWATCH_SIM_SIM_CHAT_PARTS_H

#include <stdbool.h>

#include <event2/listener.h>
#include <jansson.h>
#include <openssl/ssl.h>

#include "sim/sim_chat.h"

#define MAX_TARGETS 512
#define WINDOW_MAX 256

struct target {
	char channel[16];
	char name[128];
	double sent[WINDOW_MAX]; /* monotonic times of accepted messages, oldest first */
	int nsent;
	double penalty_until; /* DingTalk's 10 minutes */
	/* faults set through /_sim/chat-faults */
	char fault_mode[16]; /* "", "down" (HTTP 503), "code" (the platform's error) */
	long fault_code;
	long fault_count; /* requests left to fail; -1: until fault_until */
	double fault_until;
};

struct sim_chat {
	struct event_base *base;
	char *secret;	      /* DingTalk and Feishu signing secret */
	char *webhook_secret; /* Standard Webhooks key, whsec_… */
	double dingtalk_penalty;
	struct target targets[MAX_TARGETS];
	int ntargets;
	json_t *messages; /* accepted, in order */
	json_t *rejected;
	json_t *seen_ids; /* webhook-id -> count */
	json_t *mail;
	long seq;
	/* SMTP */
	struct evconnlistener *smtp;
	char *smtp_user, *smtp_password;
	SSL_CTX *smtp_tls;     /* STARTTLS offered when set */
	bool smtp_require_tls; /* nothing but EHLO, STARTTLS, NOOP, QUIT before it */
};

/* Seconds since the epoch, with the fraction. */
double chat_wall(void);
/* The target channel/name, made on first use; NULL when the table is full. */
struct target *chat_target(struct sim_chat *c, const char *channel, const char *name);
/* The active fault of t ("down" or "code"), consuming one use; NULL if none. */
const char *chat_fault(struct target *t);
/* Records a rejected message for /_sim/messages. */
void chat_reject(struct sim_chat *c, struct target *t, const char *code, const char *why);
/* a and b are equal, compared in constant time. */
bool chat_same(const char *a, const char *b);

#endif
