/*
 * Email over SMTP with libcurl (channels.md): STARTTLS required unless the
 * configuration says otherwise, implicit TLS for smtps://, certificate
 * verification always on, AUTH when a user name is given, a
 * multipart/alternative text and HTML body, an RFC 2047 subject, Date and
 * Message-ID. One connection per message: alerts are digests, not a stream.
 */
#ifndef HCWATCH_NET_SMTP_CLIENT_H
#define HCWATCH_NET_SMTP_CLIENT_H

#include <stddef.h>

#include "util/buf.h"

struct smtp_message {
	const char *url;      /* smtp://host:587 or smtps://host:465 */
	int tls;	      /* enum config_smtp_tls */
	const char *username; /* "" or NULL: no AUTH */
	const char *password;
	const char *ca_file;
	const char *from; /* "addr" or "Name <addr>" */
	const char *to;	  /* comma-separated, each like from */
	const char *subject;
	const char *text;
	const char *html;	/* NULL: text only */
	const char *message_id; /* unique, stable across retries: becomes <id@domain of from> */
	int timeout_s;
};

enum smtp_outcome_kind { SMTP_OK, SMTP_TRANSIENT, SMTP_PERMANENT };

struct smtp_outcome {
	enum smtp_outcome_kind outcome;
	char code[32]; /* the last SMTP reply code, or the libcurl error number */
	char error[320];
};

void smtp_send(const struct smtp_message *m, struct smtp_outcome *out);

/** Appends s as a header value: as is when ASCII, else RFC 2047 UTF-8 B encoded-words. */
void smtp_encode_header(struct buf *out, const char *s);

/** Copies the address out of "addr" or "Name <addr>"; false if there is none. */
int smtp_address(const char *s, size_t len, char *out, size_t outlen);

#endif
