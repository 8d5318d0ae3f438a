/* diag.h -- a list of problems found in the configuration, to print all at once.
 *
 * Each line names the object (file, line, column, key path), the cause and the fix, e.g.
 *   hookd.json:7:19: sources[0].verify.scheme: unknown scheme "flagrite": use one of ... */
#ifndef HK_DIAG_H
#define HK_DIAG_H

#include <stddef.h>

struct hk_diags {
    char **lines; /* owned, each malloc'd */
    size_t n;
    size_t cap;
};

/* Adds one formatted line. Out of memory drops the line (the count still grows, so a
 * failure is never hidden). */
void hk_diags_addf(struct hk_diags *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Logs every line at error level, one log line each. */
void hk_diags_log(const struct hk_diags *d);
/* The first line containing needle, or NULL; for tests and reload status. */
const char *hk_diags_find(const struct hk_diags *d, const char *needle);
/* Joins every line with "; " into a malloc'd string the caller frees; NULL when empty. */
char *hk_diags_join(const struct hk_diags *d);
void hk_diags_free(struct hk_diags *d);

#endif
