/*
 * check: --check, the monitoring-plugin verdict.  Turns the outcome and
 * the thresholds (--warn-days, --crit-days, --min-tls, --expect-alpn,
 * --require-ocsp-staple, --forbid weak) into OK / WARNING / CRITICAL /
 * UNKNOWN, one status line with performance data, and exit 0-3 — what
 * Nagios, Icinga, Sensu and Zabbix run as they are.
 */
#ifndef NSSTLS_CHECK_H
#define NSSTLS_CHECK_H

#include <stdbool.h>
#include <stdio.h>

#include "cli.h"
#include "report.h"

enum check_code {
	CHECK_OK = 0,
	CHECK_WARNING = 1,
	CHECK_CRITICAL = 2,
	CHECK_UNKNOWN = 3,
};

/* Evaluate the finished run; fills report->check_* and returns the code. */
enum check_code check_evaluate(struct report *r, const struct nsstls_opts *o);

/* The status line, e.g. "TLS OK - host:443 TLSv1.3 ..., certificate valid
 * 63 days | days_left=63;30:;7: connect_time=0.5ms handshake_time=12.0ms",
 * then, with long_output, one line per other warning or error finding
 * (plugin long output; one target only: several keep one line each). */
void check_print(FILE *f, const struct report *r, bool long_output);

#endif
