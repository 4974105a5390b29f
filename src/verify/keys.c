#include "verify/keys.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "core/log.h"
#include "util/b64.h"
#include "util/buf.h"
#include "util/sha256.h"
#include "util/xalloc.h"

#define MD_NS "urn:oasis:names:tc:SAML:2.0:metadata"
#define DS_NS "http://www.w3.org/2000/09/xmldsig#"
#define KEYS_MAX_FILE (4 << 20)

struct keyring {
	EVP_PKEY **keys;
	EVP_PKEY_CTX **verify; /* per key, set up once for RSA PKCS#1 v1.5 over SHA-256 */
	char **labels;
	size_t n;
};

static bool read_file(const char *path, struct buf *out, char *err, size_t errlen);
static bool add_key(struct keyring *kr, EVP_PKEY *pkey, X509 *cert, const char *path, size_t idx,
    char *err, size_t errlen);
static bool load_pem(struct keyring *kr, const char *path, const struct buf *data, char *err,
    size_t errlen);
static bool load_metadata(struct keyring *kr, const char *path, const struct buf *data, char *err,
    size_t errlen);
static bool is_element(const xmlNode *n, const char *ns, const char *name);
static void collect_certs(xmlNode *n, bool in_signing_kd, struct buf *acc, char ***out,
    size_t *cnt);

static bool
read_file(const char *path, struct buf *out, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "rb");
	char chunk[8192];
	size_t n;
	bool ok = false;

	if (fp == NULL) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return false;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
		buf_append(out, chunk, n);
		if (out->len > KEYS_MAX_FILE) {
			snprintf(err, errlen, "%s: larger than %d bytes", path, KEYS_MAX_FILE);
			goto out;
		}
	}
	if (ferror(fp)) {
		snprintf(err, errlen, "%s: read error", path);
		goto out;
	}
	ok = true;
out:
	fclose(fp);
	return ok;
}

static bool
add_key(struct keyring *kr, EVP_PKEY *pkey, X509 *cert, const char *path, size_t idx, char *err,
    size_t errlen)
{
	char subject[256] = "public key";
	EVP_PKEY_CTX *vctx;
	struct buf label;

	if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA) {
		snprintf(err, errlen,
		    "%s: key %zu is not an RSA key (the binding notification is "
		    "signed with RSA-SHA256)",
		    path, idx + 1);
		return false;
	}
	if (cert) {
		X509_NAME_oneline(X509_get_subject_name(cert), subject, sizeof(subject));
		if (X509_cmp_current_time(X509_get0_notAfter(cert)) < 0)
			log_warn(
			    "certificate %s#%zu (%s) has expired; it is still used to verify, as "
			    "Huawei may keep signing with it",
			    path, idx + 1, subject);
	}
	/*
	 * Setting the context up is most of the cost of a verification under
	 * OpenSSL 3; done once here, each request only hashes and verifies.
	 */
	vctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	if (vctx == NULL || EVP_PKEY_verify_init(vctx) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(vctx, RSA_PKCS1_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_signature_md(vctx, sha256_md()) != 1) {
		EVP_PKEY_CTX_free(vctx);
		snprintf(err, errlen, "%s: key %zu cannot be set up for RSA-SHA256 verification",
		    path, idx + 1);
		return false;
	}
	buf_init(&label);
	buf_appendf(&label, "%s#%zu (%s)", path, idx + 1, subject);
	kr->keys = xrealloc(kr->keys, (kr->n + 1) * sizeof(*kr->keys));
	kr->verify = xrealloc(kr->verify, (kr->n + 1) * sizeof(*kr->verify));
	kr->labels = xrealloc(kr->labels, (kr->n + 1) * sizeof(*kr->labels));
	kr->keys[kr->n] = pkey;
	kr->verify[kr->n] = vctx;
	kr->labels[kr->n] = buf_release(&label);
	kr->n++;
	return true;
}

static bool
load_pem(struct keyring *kr, const char *path, const struct buf *data, char *err, size_t errlen)
{
	BIO *bio = BIO_new_mem_buf(data->data, (int)data->len);
	size_t found = 0;
	X509 *cert;
	bool ok = false;

	while ((cert = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		EVP_PKEY *pkey = X509_get_pubkey(cert);

		if (pkey == NULL || !add_key(kr, pkey, cert, path, found, err, errlen)) {
			if (pkey == NULL)
				snprintf(err, errlen,
				    "%s: certificate %zu has no usable public key", path,
				    found + 1);
			EVP_PKEY_free(pkey);
			X509_free(cert);
			goto out;
		}
		X509_free(cert);
		found++;
	}
	if (found == 0) {
		EVP_PKEY *pkey;

		BIO_free(bio);
		bio = BIO_new_mem_buf(data->data, (int)data->len);
		pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
		if (pkey == NULL) {
			snprintf(err, errlen, "%s: no PEM certificate or public key found", path);
			goto out;
		}
		if (!add_key(kr, pkey, NULL, path, 0, err, errlen)) {
			EVP_PKEY_free(pkey);
			goto out;
		}
	}
	ok = true;
out:
	BIO_free(bio);
	return ok;
}

static bool
load_metadata(struct keyring *kr, const char *path, const struct buf *data, char *err,
    size_t errlen)
{
	char **certs = NULL;
	size_t n = 0;
	char msg[KEYS_ERR_LEN];
	bool ok = false;

	if (!metadata_signing_certs(data->data, data->len, &certs, &n, msg, sizeof(msg))) {
		snprintf(err, errlen, "%s: %s", path, msg);
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char *der = NULL;
		const unsigned char *p;
		size_t derlen;
		X509 *cert;
		EVP_PKEY *pkey;

		if (!b64_decode(certs[i], strlen(certs[i]), &der, &derlen)) {
			snprintf(err, errlen, "%s: signing certificate %zu is not valid Base64",
			    path, i + 1);
			goto out;
		}
		p = der;
		cert = d2i_X509(NULL, &p, (long)derlen);
		free(der);
		if (cert == NULL) {
			snprintf(err, errlen,
			    "%s: signing certificate %zu is not a DER X.509 "
			    "certificate",
			    path, i + 1);
			goto out;
		}
		pkey = X509_get_pubkey(cert);
		if (pkey == NULL || !add_key(kr, pkey, cert, path, i, err, errlen)) {
			if (pkey == NULL)
				snprintf(err, errlen,
				    "%s: signing certificate %zu has no public key", path, i + 1);
			EVP_PKEY_free(pkey);
			X509_free(cert);
			goto out;
		}
		X509_free(cert);
	}
	ok = true;
out:
	metadata_certs_free(certs, n);
	return ok;
}

struct keyring *
keyring_load(const char *files, const char *base_dir, char *err, size_t errlen)
{
	struct keyring *kr = xcalloc(1, sizeof(*kr));
	const char *p = files;
	struct buf path, data;
	bool ok = false;

	buf_init(&path);
	buf_init(&data);
	while (*p) {
		const char *end;
		size_t len;

		while (*p == ',' || *p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		end = strchr(p, ',');
		len = end ? (size_t)(end - p) : strlen(p);
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		buf_reset(&path);
		if (p[0] != '/' && base_dir && *base_dir)
			buf_appendf(&path, "%s/", base_dir);
		buf_append(&path, p, len);
		p += len;

		buf_reset(&data);
		if (!read_file(path.data, &data, err, errlen))
			goto out;
		if (data.len && strstr(data.data, "-----BEGIN") != NULL) {
			if (!load_pem(kr, path.data, &data, err, errlen))
				goto out;
		} else if (data.len && memchr(data.data, '<', data.len) != NULL) {
			if (!load_metadata(kr, path.data, &data, err, errlen))
				goto out;
		} else {
			snprintf(err, errlen, "%s: neither PEM nor XML metadata", path.data);
			goto out;
		}
	}
	if (kr->n == 0) {
		snprintf(err, errlen, "no certificate files given");
		goto out;
	}
	ok = true;
out:
	buf_cleanup(&path);
	buf_cleanup(&data);
	if (!ok) {
		keyring_free(kr);
		return NULL;
	}
	return kr;
}

void
keyring_free(struct keyring *kr)
{
	if (kr == NULL)
		return;
	for (size_t i = 0; i < kr->n; i++) {
		EVP_PKEY_CTX_free(kr->verify[i]);
		EVP_PKEY_free(kr->keys[i]);
		free(kr->labels[i]);
	}
	free(kr->verify);
	free(kr->keys);
	free(kr->labels);
	free(kr);
}

size_t
keyring_count(const struct keyring *kr)
{
	return kr->n;
}

const char *
keyring_label(const struct keyring *kr, size_t i)
{
	return i < kr->n ? kr->labels[i] : "?";
}

int
keyring_verify_rsa_sha256(const struct keyring *kr, const unsigned char *msg, size_t msglen,
    const unsigned char *sig, size_t siglen)
{
	unsigned char digest[32];

	sha256(msg, msglen, digest);
	for (size_t i = 0; i < kr->n; i++) {
		if (EVP_PKEY_verify(kr->verify[i], sig, siglen, digest, sizeof(digest)) == 1)
			return (int)i;
	}
	return -1;
}

static bool
is_element(const xmlNode *n, const char *ns, const char *name)
{
	return n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
	    strcmp((const char *)n->ns->href, ns) == 0 && strcmp((const char *)n->name, name) == 0;
}

static void
collect_certs(xmlNode *n, bool in_signing_kd, struct buf *acc, char ***out, size_t *cnt)
{
	for (; n; n = n->next) {
		bool signing = in_signing_kd;

		if (is_element(n, MD_NS, "KeyDescriptor")) {
			xmlChar *use = xmlGetProp(n, (const xmlChar *)"use");

			signing = use == NULL || strcmp((const char *)use, "signing") == 0;
			xmlFree(use);
		}
		if (signing && is_element(n, DS_NS, "X509Certificate")) {
			xmlChar *text = xmlNodeGetContent(n);

			buf_reset(acc);
			buf_append(acc, "", 0);
			for (const xmlChar *c = text; c && *c; c++) {
				if (*c != ' ' && *c != '\t' && *c != '\r' && *c != '\n')
					buf_append_char(acc, (char)*c);
			}
			xmlFree(text);
			*out = xrealloc(*out, (*cnt + 1) * sizeof(**out));
			(*out)[(*cnt)++] = xstrdup(acc->data);
			continue;
		}
		collect_certs(n->children, signing, acc, out, cnt);
	}
}

/* Whether the len bytes at s hold needle (s need not be NUL-terminated). */
static bool
contains(const char *s, size_t len, const char *needle)
{
	size_t n = strlen(needle);

	for (size_t i = 0; i + n <= len; i++) {
		if (memcmp(s + i, needle, n) == 0)
			return true;
	}
	return false;
}

bool
metadata_signing_certs(const char *xml, size_t len, char ***out, size_t *n, char *err,
    size_t errlen)
{
	xmlDoc *doc;
	struct buf acc;

	*out = NULL;
	*n = 0;
	if (len > KEYS_MAX_FILE) {
		snprintf(err, errlen, "metadata larger than %d bytes", KEYS_MAX_FILE);
		return false;
	}
	/*
	 * No DTD at all: Huawei's metadata has none, and entities declared in
	 * one are expanded when the text is read, quadratically (a 110 KB file
	 * took 2.3 s and 405 MB). Refused before parsing; no network either.
	 */
	if (contains(xml, len, "<!DOCTYPE") || contains(xml, len, "<!ENTITY")) {
		snprintf(err, errlen,
		    "metadata with a DTD (<!DOCTYPE or <!ENTITY) is refused: "
		    "Huawei's has none");
		return false;
	}
	doc = xmlReadMemory(xml, (int)len, "metadata.xml", NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (doc != NULL && doc->intSubset != NULL) {
		xmlFreeDoc(doc);
		snprintf(err, errlen, "metadata with a DTD is refused: Huawei's has none");
		return false;
	}
	if (doc == NULL) {
		const xmlError *e = xmlGetLastError();

		snprintf(err, errlen, "not well-formed XML%s%s", e && e->message ? ": " : "",
		    e && e->message ? e->message : "");
		/* libxml2's message ends with a newline. */
		if (strlen(err) && err[strlen(err) - 1] == '\n')
			err[strlen(err) - 1] = '\0';
		xmlResetLastError();
		return false;
	}
	buf_init(&acc);
	collect_certs(xmlDocGetRootElement(doc), false, &acc, out, n);
	buf_cleanup(&acc);
	xmlFreeDoc(doc);
	if (*n == 0) {
		snprintf(err, errlen,
		    "no <ds:X509Certificate> inside a signing <md:KeyDescriptor>");
		return false;
	}
	return true;
}

void
metadata_certs_free(char **certs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(certs[i]);
	free(certs);
}
