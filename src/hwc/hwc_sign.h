/*
 * SDK-HMAC-SHA256: the AK/SK request signing of Huawei Cloud's API gateway
 * (section 6 of the API notes). Pure functions, shared by the client, which
 * signs, and the simulator, which verifies with the client's own list of
 * signed headers.
 */
#ifndef HCWATCH_HWC_HWC_SIGN_H
#define HCWATCH_HWC_HWC_SIGN_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"

#define HWC_SIGN_ERR_LEN 160
#define HWC_SIGN_HEX_LEN 65
/* X-Sdk-Date: YYYYMMDDTHHMMSSZ */
#define HWC_SIGN_DATE_LEN 17

struct hwc_sign_header {
	const char *name;
	const char *value;
};

struct hwc_sign_request {
	const char *method; /* upper case */
	const char *path;   /* decoded, as the application sees it */
	const char *query;  /* raw, as sent after '?'; NULL or "" for none */
	const struct hwc_sign_header *headers;
	size_t nheaders;
	const char *signed_headers; /* "content-type;host;x-sdk-date" */
	const char *payload_hash;   /* hex SHA-256 of the body, or "UNSIGNED-PAYLOAD" */
};

/** The canonical URI of a decoded path: each segment encoded, always ending in '/'. */
void hwc_sign_canonical_uri(struct buf *out, const char *path);
/** The canonical query of a raw query: decoded, re-encoded, sorted by name then value. */
bool hwc_sign_canonical_query(struct buf *out, const char *query)
    __attribute__((warn_unused_result));
/**
 * The canonical request. Fails when a signed header is missing from headers,
 * or the signed-header list is empty or malformed.
 */
bool hwc_sign_canonical_request(struct buf *out, const struct hwc_sign_request *r, char *err,
    size_t errlen) __attribute__((warn_unused_result));
/** Lower-case hex HMAC-SHA256(sk, "SDK-HMAC-SHA256\n" date "\n" hex(SHA-256(canonical))). */
void hwc_sign_signature(const char *sk, const char *sdk_date, const char *canonical,
    char out[HWC_SIGN_HEX_LEN]);
/** Formats the X-Sdk-Date of a wall-clock time in seconds. */
void hwc_sign_date(long long epoch_s, char out[HWC_SIGN_DATE_LEN]);
/** Parses an X-Sdk-Date; false unless it is exactly YYYYMMDDTHHMMSSZ. */
bool hwc_sign_parse_date(const char *s, long long *epoch_s) __attribute__((warn_unused_result));

/** Parts of an Authorization header value, pointing into a copy held by the struct. */
struct hwc_sign_auth {
	char buf[1024];
	const char *access;
	const char *signed_headers;
	const char *signature;
};

/** Parses "SDK-HMAC-SHA256 Access=..., SignedHeaders=..., Signature=...". */
bool hwc_sign_parse_authorization(const char *value, struct hwc_sign_auth *out)
    __attribute__((warn_unused_result));

#endif
