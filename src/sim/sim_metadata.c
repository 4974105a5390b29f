/* hcwatch-sim metadata: an SP metadata.xml in the shape Huawei publishes. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "sim/sim.h"
#include "util/b64.h"

static char *
x509_base64(X509 *cert)
{
	unsigned char *der = NULL;
	char *b64;
	int n = i2d_X509(cert, &der);

	if (n <= 0)
		return NULL;
	b64 = b64_encode(der, (size_t)n);
	OPENSSL_free(der);
	return b64;
}

static char *
cert_base64(const char *path)
{
	FILE *fp = fopen(path, "r");
	X509 *cert;
	char *b64;

	if (fp == NULL) {
		perror(path);
		return NULL;
	}
	cert = PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	if (cert == NULL) {
		fprintf(stderr, "%s: no PEM certificate\n", path);
		return NULL;
	}
	b64 = x509_base64(cert);
	X509_free(cert);
	return b64;
}

/* The key at path, made (RSA 2048, mode 0600) when there is none yet. */
static EVP_PKEY *
load_or_make_key(const char *path)
{
	EVP_PKEY *pk = NULL;
	FILE *fp = fopen(path, "r");
	int fd;

	if (fp) {
		pk = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
		fclose(fp);
		if (pk == NULL)
			fprintf(stderr, "%s: no PEM private key\n", path);
		return pk;
	}
	if (errno != ENOENT) {
		perror(path);
		return NULL;
	}
	if ((pk = EVP_RSA_gen(2048)) == NULL) {
		fprintf(stderr, "hcwatch-sim metadata: cannot make a key\n");
		return NULL;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0 || (fp = fdopen(fd, "w")) == NULL) {
		perror(path);
		if (fd >= 0)
			close(fd);
		EVP_PKEY_free(pk);
		return NULL;
	}
	if (!PEM_write_PrivateKey(fp, pk, NULL, NULL, 0, NULL, NULL) || fclose(fp) != 0) {
		fprintf(stderr, "%s: cannot write the key\n", path);
		EVP_PKEY_free(pk);
		return NULL;
	}
	return pk;
}

/* A self-signed certificate for the key, for the metadata only: hcwatch reads its public key. */
static char *
key_cert_base64(const char *path)
{
	EVP_PKEY *pk = load_or_make_key(path);
	X509 *x;
	X509_NAME *name;
	char *b64 = NULL;

	if (pk == NULL)
		return NULL;
	x = X509_new();
	name = X509_get_subject_name(x);
	if (X509_set_version(x, 2) && ASN1_INTEGER_set(X509_get_serialNumber(x), 1) &&
	    X509_gmtime_adj(X509_getm_notBefore(x), 0) &&
	    X509_gmtime_adj(X509_getm_notAfter(x), 3650L * 86400) && X509_set_pubkey(x, pk) &&
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
		(const unsigned char *)"hcwatch-sim demo key (not Huawei)", -1, -1, 0) &&
	    X509_set_issuer_name(x, name) && X509_sign(x, pk, EVP_sha256()) > 0)
		b64 = x509_base64(x);
	else
		fprintf(stderr, "hcwatch-sim metadata: cannot make a certificate\n");
	X509_free(x);
	EVP_PKEY_free(pk);
	return b64;
}

int
sim_metadata(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "cert", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "encryption-cert", required_argument, NULL, 'e' },
		{ "out", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cert = NULL, *key = NULL, *enc = NULL, *outpath = NULL;
	char *sign_b64 = NULL, *enc_b64 = NULL;
	FILE *out = stdout;
	int c, rc = 1;

	while ((c = getopt_long(argc, argv, "c:k:e:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': cert = optarg; break;
		case 'k': key = optarg; break;
		case 'e': enc = optarg; break;
		case 'o': outpath = optarg; break;
		case 'h':
			printf(
			    "usage: hcwatch-sim metadata --cert CERT.pem | --key KEY.pem "
			    "[--encryption-cert CERT.pem] [--out FILE]\n\n"
			    "  --cert CERT.pem  the signing certificate to publish\n"
			    "  --key KEY.pem    or a signing key, made when the file does not exist yet,\n"
			    "                   published with a self-signed certificate\n");
			return 0;
		default: return 2;
		}
	}
	if ((cert == NULL) == (key == NULL)) {
		fprintf(stderr, "hcwatch-sim metadata: give --cert or --key\n");
		return 2;
	}
	sign_b64 = cert ? cert_base64(cert) : key_cert_base64(key);
	if (sign_b64 == NULL || (enc && (enc_b64 = cert_base64(enc)) == NULL))
		goto out;
	if (outpath && (out = fopen(outpath, "w")) == NULL) {
		perror(outpath);
		goto out;
	}
	fprintf(out,
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<!-- Written by hcwatch-sim for tests: not Huawei's metadata. -->\n"
	    "<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" "
	    "xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" entityID=\"https://auth.example.invalid/\">\n"
	    "  <md:SPSSODescriptor AuthnRequestsSigned=\"true\" WantAssertionsSigned=\"true\" "
	    "protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">\n"
	    "    <md:KeyDescriptor use=\"signing\">\n"
	    "      <ds:KeyInfo><ds:X509Data><ds:X509Certificate>%s</ds:X509Certificate>"
	    "</ds:X509Data></ds:KeyInfo>\n"
	    "    </md:KeyDescriptor>\n",
	    sign_b64);
	if (enc_b64)
		fprintf(out,
		    "    <md:KeyDescriptor use=\"encryption\">\n"
		    "      <ds:KeyInfo><ds:X509Data><ds:X509Certificate>%s</ds:X509Certificate>"
		    "</ds:X509Data></ds:KeyInfo>\n"
		    "    </md:KeyDescriptor>\n",
		    enc_b64);
	fprintf(out,
	    "    <md:AssertionConsumerService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\" "
	    "Location=\"https://auth.example.invalid/authui/saml/SAMLAssertionConsumer\" index=\"0\"/>\n"
	    "  </md:SPSSODescriptor>\n"
	    "</md:EntityDescriptor>\n");
	rc = 0;
out:
	if (out && out != stdout && fclose(out) != 0)
		rc = 1;
	free(sign_b64);
	free(enc_b64);
	return rc;
}
