/*
 * Email over SMTP (net/smtp_client.c): multipart text and HTML, RFC 2047
 * subject, STARTTLS required unless tls = none. One message.
 */
#include "notify/channels_int.h"

#include <stdio.h>
#include <string.h>

#include "net/smtp_client.h"

static void
send_email(const struct config_dest *d, int timeout_s, const char *key, int part, int parts,
    const json_t *p, struct send_result *out)
{
	struct smtp_message msg;
	struct smtp_outcome so;
	char id[96];

	channel_message_id(key, part, parts, id, sizeof(id));
	memset(&msg, 0, sizeof(msg));
	msg.url = d->url;
	msg.tls = d->tls;
	msg.username = d->username;
	msg.password = d->password;
	msg.ca_file = d->ca_file;
	msg.from = d->mail_from;
	msg.to = d->mail_to;
	msg.subject = json_string_value(json_object_get(p, "subject"));
	msg.text = json_string_value(json_object_get(p, "text"));
	msg.html = json_string_value(json_object_get(p, "html"));
	msg.message_id = id;
	msg.timeout_s = timeout_s;
	smtp_send(&msg, &so);
	snprintf(out->code, sizeof(out->code), "%s", so.code);
	snprintf(out->error, sizeof(out->error), "%s", so.error);
	out->block_s = 0;
	out->outcome = so.outcome == SMTP_OK ? SEND_OK :
	    so.outcome == SMTP_TRANSIENT     ? SEND_RETRY :
					       SEND_PERMANENT;
}

const struct channel_ops channel_email = {
	.name = "email",
	.dialect = ESCAPE_PLAIN,
	.title_open = "",
	.title_close = "",
	.strong_open = "",
	.strong_close = "",
	.bullet = "- ",
	.part = CHANNEL_PART_EMAIL,
	.limit = 1024 * 1024,
	.limit_on_body = true,
	.one_message = true,
	.per_minute = 0,
	.send = send_email,
};
