/* errmsg.h -- an error code together with a message for the operator.
 *
 * Functions that can fail for reasons an operator must fix (a plugin that cannot be loaded,
 * a config key a plugin does not accept) return a code of err.h and write into a caller's
 * buffer one message naming the object, the cause and the fix. */
#ifndef HK_ERRMSG_H
#define HK_ERRMSG_H

#include <stddef.h>

/* Room for one such message; longer ones are cut. */
#define HK_ERRMSG_MAX 1024

/* Formats the message into buf (cap bytes, always NUL-terminated when cap > 0) and returns
 * rc, so callers can write `return hk_errmsg(err, cap, HK_EPLUGIN, "...", ...)`. */
int hk_errmsg(char *buf, size_t cap, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
