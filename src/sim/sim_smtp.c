/*
 * hcwatch-sim's SMTP server: EHLO, STARTTLS (offered, or required), AUTH
 * PLAIN and LOGIN, and a message recorded for tests to read at /_sim/mail.
 */
#include "sim/sim_chat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <openssl/ssl.h>

#include "sim/sim_chat_parts.h"
#include "util/b64.h"
#include "util/buf.h"
#include "util/xalloc.h"

struct smtp_conn {
	struct sim_chat *chat;
	struct bufferevent *bev;
	bool ehlo, authed, in_data, tls;
	bool broken;   /* STARTTLS could not start: closed after this read */
	int auth_step; /* AUTH LOGIN: 1 waiting for the user, 2 for the password */
	char user[128];
	char *from;
	json_t *rcpt;
	struct buf data;
};

static void
smtp_say(struct smtp_conn *s, const char *line)
{
	bufferevent_write(s->bev, line, strlen(line));
	bufferevent_write(s->bev, "\r\n", 2);
}

static void
smtp_close(struct smtp_conn *s)
{
	bufferevent_free(s->bev);
	free(s->from);
	json_decref(s->rcpt);
	buf_cleanup(&s->data);
	free(s);
}

static bool
smtp_check(struct smtp_conn *s, const char *user, const char *pass)
{
	struct sim_chat *c = s->chat;

	return c->smtp_user && strcmp(user, c->smtp_user) == 0 && c->smtp_password &&
	    chat_same(pass, c->smtp_password);
}

static void
smtp_reset(struct smtp_conn *s)
{
	free(s->from);
	s->from = NULL;
	json_array_clear(s->rcpt);
	buf_reset(&s->data);
}

/* The address in "MAIL FROM:<a>" or "RCPT TO:<a>". */
static bool
angle(const char *arg, char *out, size_t outlen)
{
	const char *lt = strchr(arg, '<'), *gt = lt ? strchr(lt, '>') : NULL;

	if (lt == NULL || gt == NULL || (size_t)(gt - lt - 1) >= outlen)
		return false;
	snprintf(out, outlen, "%.*s", (int)(gt - lt - 1), lt + 1);
	return true;
}

/* authzid NUL authcid NUL password, in Base64. */
static void
smtp_auth_plain(struct smtp_conn *s, const char *arg)
{
	unsigned char *dec = NULL;
	size_t n = 0;

	if (b64_decode(arg, strlen(arg), &dec, &n) && memchr(dec, 0, n)) {
		const char *user = memchr(dec, 0, n);
		const char *pass = memchr(user + 1, 0, n - (size_t)(user + 1 - (char *)dec));

		s->authed = pass && smtp_check(s, user + 1, pass + 1);
		smtp_say(s,
		    s->authed ? "235 2.7.0 Authentication successful" :
				"535 5.7.8 Authentication credentials invalid");
	} else {
		smtp_say(s, "501 5.5.2 Cannot decode AUTH PLAIN");
	}
	free(dec);
}

static void smtp_read(struct bufferevent *bev, void *arg);
static void smtp_event(struct bufferevent *bev, short what, void *arg);

/*
 * STARTTLS (RFC 3207): answer 220 in the clear, then speak TLS on the same
 * connection, forgetting everything said before it, including anything the
 * client sent after the command without waiting (a command injection).
 */
static void
smtp_starttls(struct smtp_conn *s)
{
	struct sim_chat *c = s->chat;
	struct bufferevent *tls = NULL;
	SSL *ssl;

	if (c->smtp_tls == NULL) {
		smtp_say(s, "502 5.5.1 STARTTLS not offered");
		return;
	}
	if (s->tls) {
		smtp_say(s, "503 5.5.1 TLS already active");
		return;
	}
	smtp_say(s, "220 2.0.0 Ready to start TLS");
	evbuffer_drain(bufferevent_get_input(s->bev),
	    evbuffer_get_length(bufferevent_get_input(s->bev)));
	if ((ssl = SSL_new(c->smtp_tls)) == NULL ||
	    (tls = bufferevent_openssl_filter_new(c->base, s->bev, ssl, BUFFEREVENT_SSL_ACCEPTING,
		 BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		if (ssl && tls == NULL)
			SSL_free(ssl);
		s->broken = true;
		return;
	}
	s->bev = tls;
	s->tls = true;
	s->ehlo = s->authed = false;
	s->auth_step = 0;
	smtp_reset(s);
	bufferevent_setcb(tls, smtp_read, NULL, smtp_event, s);
	bufferevent_enable(tls, EV_READ | EV_WRITE);
}

static void
smtp_line(struct smtp_conn *s, char *line)
{
	struct sim_chat *c = s->chat;
	char addr[256];

	if (s->in_data) {
		if (strcmp(line, ".") == 0) {
			struct target *t = chat_target(c, "smtp", "smtp");
			const char *f = chat_fault(t);

			s->in_data = false;
			if (f) {
				char msg[64];

				snprintf(msg, sizeof(msg), "%ld injected by hcwatch-sim",
				    t->fault_code ? t->fault_code : 451);
				chat_reject(c, t, msg, "fault");
				smtp_say(s, msg);
			} else {
				json_array_append_new(c->mail,
				    json_pack("{s:s, s:o, s:s, s:f, s:b}", "from", s->from, "rcpt",
					json_copy(s->rcpt), "data",
					s->data.data ? s->data.data : "", "at", chat_wall(), "tls",
					s->tls));
				smtp_say(s, "250 2.0.0 Ok: queued");
			}
			smtp_reset(s);
			return;
		}
		/* Dot-stuffing: a leading dot was doubled by the sender. */
		buf_append_str(&s->data, line[0] == '.' ? line + 1 : line);
		buf_append_str(&s->data, "\r\n");
		return;
	}
	if (s->auth_step == 3) {
		s->auth_step = 0;
		smtp_auth_plain(s, line);
		return;
	}
	if (s->auth_step == 1 || s->auth_step == 2) {
		unsigned char *dec = NULL;
		size_t n = 0;

		if (!b64_decode(line, strlen(line), &dec, &n)) {
			s->auth_step = 0;
			smtp_say(s, "501 5.5.2 Cannot decode response");
			return;
		}
		if (s->auth_step == 1) {
			snprintf(s->user, sizeof(s->user), "%s", (char *)dec);
			s->auth_step = 2;
			smtp_say(s, "334 UGFzc3dvcmQ6");
		} else {
			s->auth_step = 0;
			s->authed = smtp_check(s, s->user, (char *)dec);
			smtp_say(s,
			    s->authed ? "235 2.7.0 Authentication successful" :
					"535 5.7.8 Authentication credentials invalid");
		}
		free(dec);
		return;
	}
	if (strncasecmp(line, "EHLO ", 5) == 0 || strncasecmp(line, "HELO ", 5) == 0) {
		s->ehlo = true;
		smtp_say(s, "250-hcwatch-sim");
		smtp_say(s, "250-8BITMIME");
		if (c->smtp_tls && !s->tls)
			smtp_say(s, "250-STARTTLS");
		/* As a server that requires TLS does, AUTH only once it is on. */
		smtp_say(s,
		    c->smtp_require_tls && !s->tls ? "250 SIZE 10485760" : "250-SIZE 10485760");
		if (!c->smtp_require_tls || s->tls)
			smtp_say(s, "250 AUTH PLAIN LOGIN");
	} else if (strncasecmp(line, "STARTTLS", 8) == 0) {
		smtp_starttls(s);
	} else if (c->smtp_require_tls && !s->tls && strcasecmp(line, "NOOP") != 0 &&
	    strcasecmp(line, "QUIT") != 0 && strcasecmp(line, "RSET") != 0) {
		smtp_say(s, "530 5.7.0 Must issue a STARTTLS command first");
	} else if (strncasecmp(line, "AUTH PLAIN", 10) == 0) {
		const char *arg = line + 10;

		while (*arg == ' ')
			arg++;
		if (*arg) {
			smtp_auth_plain(s, arg);
		} else {
			s->auth_step = 3; /* the response comes on the next line */
			smtp_say(s, "334 ");
		}
	} else if (strncasecmp(line, "AUTH LOGIN", 10) == 0) {
		const char *arg = line + 10;
		unsigned char *dec = NULL;
		size_t n = 0;

		while (*arg == ' ')
			arg++;
		if (*arg && b64_decode(arg, strlen(arg), &dec, &n)) {
			/* The user name as an initial response. */
			snprintf(s->user, sizeof(s->user), "%s", (char *)dec);
			s->auth_step = 2;
			smtp_say(s, "334 UGFzc3dvcmQ6");
		} else {
			s->auth_step = 1;
			smtp_say(s, "334 VXNlcm5hbWU6");
		}
		free(dec);
	} else if (strncasecmp(line, "MAIL FROM:", 10) == 0) {
		if (c->smtp_user && !s->authed)
			smtp_say(s, "530 5.7.0 Authentication required");
		else if (!angle(line + 10, addr, sizeof(addr)))
			smtp_say(s, "501 5.1.7 Bad sender address syntax");
		else {
			smtp_reset(s);
			s->from = xstrdup(addr);
			smtp_say(s, "250 2.1.0 Ok");
		}
	} else if (strncasecmp(line, "RCPT TO:", 8) == 0) {
		if (s->from == NULL)
			smtp_say(s, "503 5.5.1 Need MAIL command");
		else if (!angle(line + 8, addr, sizeof(addr)))
			smtp_say(s, "501 5.1.3 Bad recipient address syntax");
		else if (strncmp(addr, "reject", 6) == 0)
			smtp_say(s, "550 5.1.1 Recipient address rejected: User unknown");
		else {
			json_array_append_new(s->rcpt, json_string(addr));
			smtp_say(s, "250 2.1.5 Ok");
		}
	} else if (strcasecmp(line, "DATA") == 0) {
		if (json_array_size(s->rcpt) == 0)
			smtp_say(s, "554 5.5.1 No valid recipients");
		else {
			s->in_data = true;
			smtp_say(s, "354 End data with <CR><LF>.<CR><LF>");
		}
	} else if (strcasecmp(line, "RSET") == 0) {
		smtp_reset(s);
		smtp_say(s, "250 2.0.0 Ok");
	} else if (strcasecmp(line, "NOOP") == 0) {
		smtp_say(s, "250 2.0.0 Ok");
	} else if (strcasecmp(line, "QUIT") == 0) {
		smtp_say(s, "221 2.0.0 Bye");
		bufferevent_flush(s->bev, EV_WRITE, BEV_FINISHED);
		s->ehlo = false;
	} else {
		smtp_say(s, "502 5.5.2 Error: command not recognized");
	}
}

static void
smtp_read(struct bufferevent *bev, void *arg)
{
	struct smtp_conn *s = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	char *line;
	size_t n;

	/* Stops when STARTTLS put a new bufferevent in place of this one. */
	while (s->bev == bev && !s->broken &&
	    (line = evbuffer_readln(in, &n, EVBUFFER_EOL_CRLF)) != NULL) {
		smtp_line(s, line);
		free(line);
	}
	if (s->broken)
		smtp_close(s);
}

static void
smtp_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		smtp_close(arg);
}

static void
smtp_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen, void *arg)
{
	struct sim_chat *c = arg;
	struct smtp_conn *s = xcalloc(1, sizeof(*s));

	(void)l;
	(void)sa;
	(void)salen;
	s->chat = c;
	s->rcpt = json_array();
	buf_init(&s->data);
	s->bev = bufferevent_socket_new(c->base, fd, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(s->bev, smtp_read, NULL, smtp_event, s);
	bufferevent_enable(s->bev, EV_READ | EV_WRITE);
	smtp_say(s, "220 hcwatch-sim ESMTP");
}

bool
sim_chat_smtp_tls(struct sim_chat *c, const char *cert, const char *key, bool require)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (ctx == NULL || SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		SSL_CTX_free(ctx);
		return false;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_free(c->smtp_tls);
	c->smtp_tls = ctx;
	c->smtp_require_tls = require;
	return true;
}

bool
sim_chat_smtp_listen(struct sim_chat *c, const char *host, int port, const char *user,
    const char *password)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	if (evutil_inet_pton(AF_INET, host, &sin.sin_addr) != 1)
		return false;
	c->smtp_user = user ? xstrdup(user) : NULL;
	c->smtp_password = password ? xstrdup(password) : NULL;
	c->smtp = evconnlistener_new_bind(c->base, smtp_accept, c,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, -1, (struct sockaddr *)&sin, sizeof(sin));
	return c->smtp != NULL;
}
