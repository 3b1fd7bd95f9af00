/*
 * verdict: the one verdict of a run, computed once after verification
 * (diagnose_chain calls it last): ok or failed, a one-sentence headline
 * naming the certificate and the cause, and each certificate's days left
 * counted from the verification time (--attime or the moment verified).
 * Text, --brief, JSON and --check print report->verdict as it is; none of
 * them re-derives it, reads the clock or asks NSS.
 */
#ifndef NSSTLS_VERDICT_H
#define NSSTLS_VERDICT_H

#include "report.h"

void verdict_compute(struct report *r);

#endif
