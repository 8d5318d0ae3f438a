/* header.c -- header lookup. */
#include "base/header.h"

#include <string.h>
#include <strings.h>

bool hk_span_ieq(const char *s, size_t n, const char *lit)
{
    return strlen(lit) == n && strncasecmp(s, lit, n) == 0;
}

const struct hk_header *hk_header_find(const struct hk_header *h, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (hk_span_ieq(h[i].name, h[i].name_len, name))
            return &h[i];
    return NULL;
}

bool hk_header_is_credential(const char *name, size_t n)
{
    static const char *const credentials[] = {"authorization", "proxy-authorization", "cookie"};
    for (size_t i = 0; i < sizeof credentials / sizeof credentials[0]; i++)
        if (hk_span_ieq(name, n, credentials[i]))
            return true;
    return false;
}
