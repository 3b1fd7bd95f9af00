/*
 * printcert: offline certificate diagnosis (see printcert.h).
 */
#include "printcert.h"

#include <errno.h>
#include <string.h>

#include <cert.h>

#include "certinfo.h"
#include "out.h"
#include "out_text.h"
#include "util.h"
#include "verify.h"

int
printcert_run(const struct nsstls_opts *o, struct nss_ctx *nss, struct report *r)
{
	struct verify_ctx v = { o, nss, r };
	size_t len = 0, n = 0;
	unsigned char *buf = NULL;
	char *why = NULL;
	SECItem *ders = NULL;
	CERTCertList *list = NULL;
	int bad = 0;

	r->source_file = o->print_cert;
	r->allow_weak = o->allow_weak;
	if (util_read_file(o->print_cert, "--print-cert", UTIL_LIMIT_CERTS,
	    o->timeout_ms, &buf, &len, &why) != 0) {
		report_fail(r, PHASE_SETUP, 0, NSSTLS_EXIT_SETUP, "cannot read %s: %s",
		    o->print_cert, why);
		free(why);
		goto out;
	}
	ders = cert_decode_ders(buf, len, &n, &bad);
	if (n == 0 || bad > 0) {
		report_fail(r, PHASE_SETUP, 0, NSSTLS_EXIT_SETUP, "%s: %s",
		    o->print_cert, n == 0 && bad == 0 ? "no certificate found (PEM "
		    "'BEGIN CERTIFICATE' blocks or one DER certificate)" :
		    "a certificate could not be decoded");
		goto out;
	}
	list = CERT_NewCertList();
	if (list == NULL) {
		report_fail(r, PHASE_SETUP, PR_GetError(), NSSTLS_EXIT_SETUP,
		    "out of memory");
		goto out;
	}
	/* Temporary certificates, as if a server had sent them: chain
	 * building finds them while the list holds them. */
	for (size_t i = 0; i < n; i++) {
		CERTCertificate *c = CERT_NewTempCertificate(CERT_GetDefaultCertDB(),
		    &ders[i], NULL, PR_FALSE, PR_TRUE);

		if (c == NULL) {
			report_fail(r, PHASE_SETUP, PR_GetError(), NSSTLS_EXIT_SETUP,
			    "%s: certificate %zu is not a valid X.509 certificate",
			    o->print_cert, i);
			goto out;
		}
		if (CERT_AddCertToListTail(list, c) != SECSuccess) {
			CERT_DestroyCertificate(c);
			goto out;
		}
	}
	r->phase = PHASE_DONE;
	if (verify_run(&v, CERT_LIST_HEAD(list)->cert, list, NULL, NULL, nss) != 0)
		report_fail(r, PHASE_VERIFY, r->verify.error, NSSTLS_EXIT_VERIFY,
		    "the certificate does not verify");
	(void)out_write_chains(o, r);
out:
	if (list != NULL)
		CERT_DestroyCertList(list);
	cert_ders_free(ders, n);
	free(buf);
	return out_finish(r, o, false, stdout, stderr);
}
