/* err.h -- the one list of error codes returned by hookd's core functions.
 *
 * Every core function that can fail returns int: 0 on success or a negative code from this
 * list. Codes that mirror an errno value are that errno negated, so a failed system call can
 * be passed on unchanged. Plugin outcomes (OK/RETRY/PERMANENT) are a separate channel, see
 * include/hookd/plugin.h. */
#ifndef HK_ERR_H
#define HK_ERR_H

#include <errno.h>

/* Room for a one-line reason (why a handshake failed, why a delivery is a dead letter),
 * for a log line or a stored error. */
#define HK_WHY_MAX 160

#define HK_ERRNO_MAP(XX)                                                                           \
    XX(ENOMEM, -ENOMEM, "out of memory")                                                           \
    XX(EINVAL, -EINVAL, "invalid argument")                                                        \
    XX(ENOENT, -ENOENT, "no such file or entry")                                                   \
    XX(EEXIST, -EEXIST, "already exists")                                                          \
    XX(EIO, -EIO, "input/output error")                                                            \
    XX(ENOSPC, -ENOSPC, "no space left on device")                                                 \
    XX(EAGAIN, -EAGAIN, "resource temporarily unavailable")                                        \
    XX(EBUSY, -EBUSY, "busy")                                                                      \
    XX(ENAMETOOLONG, -ENAMETOOLONG, "name too long")                                               \
    XX(ERANGE, -ERANGE, "value out of range")                                                      \
    XX(ECANCELED, -ECANCELED, "canceled")                                                          \
    XX(ETIMEDOUT, -ETIMEDOUT, "timed out")                                                         \
    XX(EPERM, -EPERM, "operation not permitted")                                                   \
    XX(EAUTH, -10001, "signature did not verify")                                                  \
    XX(EDENIED, -10002, "client address not allowed")                                              \
    XX(ECONF, -10003, "invalid configuration")                                                     \
    XX(EABI, -10004, "plugin ABI mismatch")                                                        \
    XX(EPLUGIN, -10005, "plugin failed")                                                           \
    XX(EFULL, -10006, "queue full")                                                                \
    XX(ESTORE, -10007, "store failure")                                                            \
    XX(EPARSE, -10008, "malformed input")                                                          \
    XX(ESTALE, -10009, "stale timestamp")                                                          \
    XX(EUNSIGNED, -10010, "signature header missing")

enum hk_err {
#define HK_ERR_ENUM_(name, value, text) HK_##name = (value),
    HK_ERRNO_MAP(HK_ERR_ENUM_)
#undef HK_ERR_ENUM_
};

/* Text for a code of this list or any negated errno; never NULL, static storage. */
const char *hk_strerror(int err);

#endif
