/* diag.c -- a list of configuration problems. */
#include "base/diag.h"

#include "base/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void hk_diags_addf(struct hk_diags *d, const char *fmt, ...)
{
    char *line = NULL;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&line, fmt, ap) < 0)
        line = NULL;
    va_end(ap);
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 8;
        char **v = realloc(d->lines, cap * sizeof *v);
        if (!v) {
            free(line);
            d->n++;
            return;
        }
        d->lines = v;
        d->cap = cap;
    }
    d->lines[d->n++] = line;
}

void hk_diags_log(const struct hk_diags *d)
{
    for (size_t i = 0; i < d->n && i < d->cap; i++)
        hk_log(HK_LOG_ERROR, "configuration error",
               HK_S("problem", d->lines[i] ? d->lines[i] : "(out of memory)"));
}

const char *hk_diags_find(const struct hk_diags *d, const char *needle)
{
    for (size_t i = 0; i < d->n && i < d->cap; i++)
        if (d->lines[i] && strstr(d->lines[i], needle))
            return d->lines[i];
    return NULL;
}

char *hk_diags_join(const struct hk_diags *d)
{
    size_t len = 1;
    for (size_t i = 0; i < d->n && i < d->cap; i++)
        len += (d->lines[i] ? strlen(d->lines[i]) : 0) + 2;
    if (d->n == 0)
        return NULL;
    char *s = malloc(len);
    if (!s)
        return NULL;
    s[0] = 0;
    for (size_t i = 0; i < d->n && i < d->cap; i++) {
        if (i)
            strcat(s, "; ");
        strcat(s, d->lines[i] ? d->lines[i] : "");
    }
    return s;
}

void hk_diags_free(struct hk_diags *d)
{
    for (size_t i = 0; i < d->n && i < d->cap; i++)
        free(d->lines[i]);
    free(d->lines);
    memset(d, 0, sizeof *d);
}
