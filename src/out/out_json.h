/*
 * out_json: the JSON renderer.  Builds one document from the report model
 * with jansson — the same facts the text report shows — and writes it
 * compact (JSON Lines friendly) or pretty.  Strings from certificates are
 * made valid UTF-8 first.  The schema is schema/nsstls-report.schema.json;
 * bump JSON_SCHEMA_VERSION on any incompatible change.
 */
#ifndef NSSTLS_OUT_JSON_H
#define NSSTLS_OUT_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "cli.h"
#include "report.h"

#define JSON_SCHEMA_VERSION 1

#include <jansson.h>

/* The document of the report, for a mode that adds to it (server.c). */
json_t *out_json_doc(const struct report *r, const struct nsstls_opts *o);
/* Write doc and a newline, and release doc.  Returns 0 or -1. */
int out_json_write(FILE *f, json_t *doc, const struct nsstls_opts *o);
/* Write the document and a newline.  Returns 0 or -1. */
int out_json_report(FILE *f, const struct report *r, const struct nsstls_opts *o);

/* Copy s into valid UTF-8: bytes that are not part of a valid UTF-8
 * sequence are taken as Latin-1 (so "Soci\xe9t\xe9" reads "Société").
 * Returns a malloc'd string. */
char *out_json_utf8(const char *s);

/* A JSON string of s made valid UTF-8, or null for NULL. */
json_t *out_json_str(const char *s);

#endif
