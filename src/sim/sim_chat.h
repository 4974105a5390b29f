/* hcwatch-sim serve's chat robots and webhook receiver (sim_chat.c) and SMTP server (sim_smtp.c).
 */
#ifndef HCWATCH_SIM_SIM_CHAT_H
#define HCWATCH_SIM_SIM_CHAT_H

#include <stdbool.h>
#include <stddef.h>

#include <event2/event.h>
#include <event2/http.h>
#include <jansson.h>

/* The defaults, which the demo configuration uses. */
#define SIM_CHAT_SECRET "hcwatch-sim-chat-secret"
/* "whsec_" and Base64 of "hcwatch-sim-webhook-secret". */
#define SIM_WEBHOOK_SECRET "whsec_aGN3YXRjaC1zaW0td2ViaG9vay1zZWNyZXQ="

struct sim_chat;

/** secret signs DingTalk and Feishu; webhook_secret (whsec_…) the generic webhook. */
struct sim_chat *sim_chat_new(struct event_base *base, const char *secret,
    const char *webhook_secret, double dingtalk_penalty);
void sim_chat_free(struct sim_chat *c);
/** Handles the chat endpoints and their /_sim/ pages; false if path is not one of them. */
bool sim_chat_handle(struct sim_chat *c, struct evhttp_request *req, const char *path,
    const char *body, size_t len);
/** Listens for SMTP on host:port; AUTH is required when user is not NULL. */
bool sim_chat_smtp_listen(struct sim_chat *c, const char *host, int port, const char *user,
    const char *password);
/** Offers STARTTLS with this certificate chain and key; with require, insists on it. */
bool sim_chat_smtp_tls(struct sim_chat *c, const char *cert, const char *key, bool require);

#endif
