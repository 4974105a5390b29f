/* hcwatch-sim metadata: an SP metadata.xml in the shape Huawei publishes. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "sim/sim.h"
#include "util/b64.h"

static char *cert_base64(const char *path);

static char *
cert_base64(const char *path)
{
	FILE *fp = fopen(path, "r");
	unsigned char *der = NULL;
	X509 *cert;
	char *b64;
	int n;

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
	n = i2d_X509(cert, &der);
	X509_free(cert);
	if (n <= 0)
		return NULL;
	b64 = b64_encode(der, (size_t)n);
	OPENSSL_free(der);
	return b64;
}

int
sim_metadata(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "cert", required_argument, NULL, 'c' },
		{ "encryption-cert", required_argument, NULL, 'e' },
		{ "out", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cert = NULL, *enc = NULL, *outpath = NULL;
	char *sign_b64 = NULL, *enc_b64 = NULL;
	FILE *out = stdout;
	int c, rc = 1;

	while ((c = getopt_long(argc, argv, "c:e:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': cert = optarg; break;
		case 'e': enc = optarg; break;
		case 'o': outpath = optarg; break;
		case 'h':
			printf("usage: hcwatch-sim metadata --cert CERT.pem [--encryption-cert CERT.pem] "
			    "[--out FILE]\n");
			return 0;
		default:
			return 2;
		}
	}
	if (cert == NULL) {
		fprintf(stderr, "hcwatch-sim metadata: --cert is required\n");
		return 2;
	}
	sign_b64 = cert_base64(cert);
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
	    "    </md:KeyDescriptor>\n", sign_b64);
	if (enc_b64)
		fprintf(out,
		    "    <md:KeyDescriptor use=\"encryption\">\n"
		    "      <ds:KeyInfo><ds:X509Data><ds:X509Certificate>%s</ds:X509Certificate>"
		    "</ds:X509Data></ds:KeyInfo>\n"
		    "    </md:KeyDescriptor>\n", enc_b64);
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
