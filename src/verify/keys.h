/*
 * Huawei's signing keys for the binding notification.
 *
 * Loaded from files named in [bind] certificates when the configuration is
 * loaded (never per request): PEM certificates or public keys, or Huawei's SP
 * metadata.xml, from which the signing <ds:X509Certificate> elements are
 * taken. Several keys may be configured so that a key rotation needs no
 * downtime: a signature that any of them accepts is valid.
 */
#ifndef HCWATCH_VERIFY_KEYS_H
#define HCWATCH_VERIFY_KEYS_H

#include <stdbool.h>
#include <stddef.h>

#define KEYS_ERR_LEN 512

struct keyring;

/**
 * Loads every key from a comma-separated list of files. Relative paths are
 * taken from base_dir (the configuration file's folder; NULL = cwd). A file
 * that cannot be read or holds no RSA key is an error.
 */
struct keyring *keyring_load(const char *files, const char *base_dir, char *err, size_t errlen)
    __attribute__((warn_unused_result));
void keyring_free(struct keyring *kr);
size_t keyring_count(const struct keyring *kr);
/** "file#n (subject)", for logs. */
const char *keyring_label(const struct keyring *kr, size_t i);
/**
 * Verifies an RSA PKCS#1 v1.5 SHA-256 signature over msg with each key in
 * turn. Returns the index of the key that accepted it, or -1. A keyring's
 * verification contexts are reused: use it from one thread at a time.
 */
int keyring_verify_rsa_sha256(const struct keyring *kr, const unsigned char *msg, size_t msglen,
    const unsigned char *sig, size_t siglen);

/**
 * Extracts the Base64 text of every signing certificate in SAML metadata:
 * the ds:X509Certificate inside each md:KeyDescriptor whose use is "signing"
 * or absent. Certificates elsewhere (an XML signature over the metadata
 * itself, encryption keys) are ignored. *out is a new array of new strings,
 * whitespace removed.
 */
bool metadata_signing_certs(const char *xml, size_t len, char ***out, size_t *n, char *err,
    size_t errlen) __attribute__((warn_unused_result));
void metadata_certs_free(char **certs, size_t n);

#endif
