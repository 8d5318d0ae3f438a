/* errmsg.c -- error codes with messages. */
#include "base/errmsg.h"

#include <stdarg.h>
#include <stdio.h>

int hk_errmsg(char *buf, size_t cap, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (cap)
        vsnprintf(buf, cap, fmt, ap);
    va_end(ap);
    return rc;
}
