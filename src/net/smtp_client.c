#include "net/smtp_client.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "core/config.h"
#include "net/http_client.h"
#include "util/utf8.h"
#include "util/b64.h"

/* The option was misspelt before libcurl 8.2.0; Debian 12 has 7.88. */
#if LIBCURL_VERSION_NUM >= 0x080200
#define RCPT_ALLOWFAILS CURLOPT_MAIL_RCPT_ALLOWFAILS
#else
#define RCPT_ALLOWFAILS CURLOPT_MAIL_RCPT_ALLLOWFAILS
#endif

void
smtp_encode_header(struct buf *out, const char *s)
{
	size_t len = strlen(s), off = 0;
	bool ascii = true;

	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)s[i] >= 0x80 || s[i] == '\r' || s[i] == '\n')
			ascii = false;
	}
	if (ascii) {
		buf_append(out, s, len);
		return;
	}
	/* Encoded-words of at most 75 characters: 45 bytes become 60 of Base64. */
	while (off < len) {
		size_t n = utf8_prefix(s + off, len - off, 45);
		char *b;

		if (n == 0)
			n = 1;
		b = b64_encode((const unsigned char *)s + off, n);
		buf_appendf(out, "%s=?UTF-8?B?%s?=", off ? " " : "", b);
		free(b);
		off += n;
	}
}

int
smtp_address(const char *s, size_t len, char *out, size_t outlen)
{
	const char *lt = memchr(s, '<', len), *a = s, *e = s + len;

	if (lt) {
		const char *gt = memchr(lt, '>', (size_t)(e - lt));

		if (gt == NULL)
			return 0;
		a = lt + 1;
		e = gt;
	}
	while (a < e && isspace((unsigned char)*a))
		a++;
	while (e > a && isspace((unsigned char)e[-1]))
		e--;
	if (e == a || (size_t)(e - a) >= outlen || memchr(a, '@', (size_t)(e - a)) == NULL)
		return 0;
	memcpy(out, a, (size_t)(e - a));
	out[e - a] = '\0';
	return 1;
}

/* "Name <addr>" with a non-ASCII name encoded; the address itself stays as it is. */
static void
encode_mailbox(struct buf *out, const char *s, size_t len)
{
	const char *lt = memchr(s, '<', len);
	char name[256];

	while (len && isspace((unsigned char)*s)) {
		s++;
		len--;
	}
	if (lt == NULL || lt == s) {
		buf_append(out, s, len);
		return;
	}
	snprintf(name, sizeof(name), "%.*s", (int)(lt - s), s);
	for (size_t n = strlen(name); n && name[n - 1] == ' '; n--)
		name[n - 1] = '\0';
	smtp_encode_header(out, name);
	buf_append_char(out, ' ');
	buf_append(out, lt, len - (size_t)(lt - s));
}

static void
set_outcome(struct smtp_outcome *out, enum smtp_outcome_kind k, const char *code, const char *msg)
{
	out->outcome = k;
	snprintf(out->code, sizeof(out->code), "%s", code);
	snprintf(out->error, sizeof(out->error), "%s", msg);
}

void
smtp_send(const struct smtp_message *m, struct smtp_outcome *out)
{
	CURL *h = curl_easy_init();
	struct curl_slist *rcpt = NULL, *headers = NULL;
	curl_mime *mime = NULL;
	curl_mimepart *part;
	char errbuf[CURL_ERROR_SIZE] = "", from[256], addr[256], date[64], code[32];
	struct buf hv;
	const char *p = m->to, *domain;
	bool implicit = strncmp(m->url, "smtps://", 8) == 0;
	CURLcode rc;
	long reply = 0;
	time_t now = time(NULL);
	struct tm tm;

	memset(out, 0, sizeof(*out));
	if (h == NULL) {
		set_outcome(out, SMTP_TRANSIENT, "curl", "cannot create a libcurl handle");
		return;
	}
	if (!smtp_address(m->from, strlen(m->from), from, sizeof(from))) {
		set_outcome(out, SMTP_PERMANENT, "config", "from: no address in it");
		curl_easy_cleanup(h);
		return;
	}
	while (*p) {
		size_t n;

		p += strspn(p, " ,");
		n = strcspn(p, ",");
		if (n == 0)
			break;
		if (!smtp_address(p, n, addr, sizeof(addr))) {
			set_outcome(out, SMTP_PERMANENT, "config",
			    "to: a recipient without an address");
			goto done;
		}
		{
			char angle[260];

			snprintf(angle, sizeof(angle), "<%s>", addr);
			rcpt = curl_slist_append(rcpt, angle);
		}
		p += n;
	}
	domain = strchr(from, '@') + 1;

	buf_init(&hv);
	gmtime_r(&now, &tm);
	/* RFC 5322 date in English whatever the locale. */
	{
		static const char *const wd[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
		static const char *const mo[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul",
			"Aug", "Sep", "Oct", "Nov", "Dec" };

		snprintf(date, sizeof(date), "Date: %s, %02d %s %04d %02d:%02d:%02d +0000",
		    wd[tm.tm_wday], tm.tm_mday, mo[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour,
		    tm.tm_min, tm.tm_sec);
	}
	headers = curl_slist_append(headers, date);
	buf_append_str(&hv, "From: ");
	encode_mailbox(&hv, m->from, strlen(m->from));
	headers = curl_slist_append(headers, hv.data);
	buf_reset(&hv);
	buf_append_str(&hv, "To: ");
	for (p = m->to; *p;) {
		size_t n;

		p += strspn(p, " ,");
		n = strcspn(p, ",");
		if (n == 0)
			break;
		if (hv.len > 4)
			buf_append_str(&hv, ", ");
		encode_mailbox(&hv, p, n);
		p += n;
	}
	headers = curl_slist_append(headers, hv.data);
	buf_reset(&hv);
	buf_append_str(&hv, "Subject: ");
	smtp_encode_header(&hv, m->subject ? m->subject : "hcwatch");
	headers = curl_slist_append(headers, hv.data);
	buf_reset(&hv);
	buf_appendf(&hv, "Message-ID: <%s@%s>", m->message_id, domain);
	headers = curl_slist_append(headers, hv.data);
	buf_reset(&hv);
	buf_appendf(&hv, "X-Hcwatch-Key: %s", m->message_id);
	headers = curl_slist_append(headers, hv.data);
	buf_cleanup(&hv);

	/*
	 * multipart/alternative: text first, HTML preferred by readers that can
	 * show it. libcurl makes the top level multipart/mixed unless a
	 * Content-Type header says otherwise.
	 */
	headers = curl_slist_append(headers, "Content-Type: multipart/alternative");
	mime = curl_mime_init(h);
	part = curl_mime_addpart(mime);
	curl_mime_data(part, m->text ? m->text : "", CURL_ZERO_TERMINATED);
	curl_mime_type(part, "text/plain; charset=UTF-8");
	curl_mime_encoder(part, "base64");
	if (m->html) {
		part = curl_mime_addpart(mime);
		curl_mime_data(part, m->html, CURL_ZERO_TERMINATED);
		curl_mime_type(part, "text/html; charset=UTF-8");
		curl_mime_encoder(part, "base64");
	}

	curl_easy_setopt(h, CURLOPT_URL, m->url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)(m->timeout_s > 0 ? m->timeout_s : 30));
	/* Never CURLUSESSL_TRY: it would carry on in clear text. */
	curl_easy_setopt(h, CURLOPT_USE_SSL,
	    implicit || m->tls != CONFIG_SMTP_NONE ? (long)CURLUSESSL_ALL : (long)CURLUSESSL_NONE);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (m->ca_file && *m->ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, m->ca_file);
	if (m->username && *m->username) {
		curl_easy_setopt(h, CURLOPT_USERNAME, m->username);
		curl_easy_setopt(h, CURLOPT_PASSWORD, m->password ? m->password : "");
	}
	{
		char angle[260];

		snprintf(angle, sizeof(angle), "<%s>", from);
		curl_easy_setopt(h, CURLOPT_MAIL_FROM, angle);
	}
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(h, RCPT_ALLOWFAILS, 1L);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(h, CURLOPT_MIMEPOST, mime);

	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &reply);
	snprintf(code, sizeof(code), "%ld", reply);
	if (rc == CURLE_OK) {
		set_outcome(out, SMTP_OK, code, "");
	} else {
		char msg[sizeof(out->error)], host[256];

		/* Bounded parts, so that the whole fits the outcome's error text. */
		http_url_host(m->url, host, sizeof(host));
		snprintf(msg, sizeof(msg), "SMTP %.60s %ld: %.200s", host, reply,
		    errbuf[0] ? errbuf : curl_easy_strerror(rc));
		http_redact(msg, m->url, m->password);
		switch (rc) {
		case CURLE_LOGIN_DENIED:
		case CURLE_USE_SSL_FAILED:
		case CURLE_PEER_FAILED_VERIFICATION:
		case CURLE_SSL_CACERT_BADFILE:
		case CURLE_URL_MALFORMAT:
		case CURLE_UNSUPPORTED_PROTOCOL:
			/* Configuration: the operator must act; retrying will not help. */
			set_outcome(out, SMTP_PERMANENT, code, msg);
			break;
		default:
			/* RFC 5321: 5yz is permanent, 4yz transient; no reply at all is transient.
			 */
			set_outcome(out,
			    reply >= 500 && reply < 600 ? SMTP_PERMANENT : SMTP_TRANSIENT,
			    reply ? code : "transport", msg);
			break;
		}
	}
done:
	curl_slist_free_all(rcpt);
	curl_slist_free_all(headers);
	curl_mime_free(mime);
	curl_easy_cleanup(h);
}
