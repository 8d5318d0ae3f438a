/* log.h -- structured log lines to stderr, as logfmt or JSON.
 *
 * Each line is written whole with one write(2), so lines from different threads never
 * interleave; a thread that holds its lines (hk_log_hold) writes them a few together. Callers pass
 * key/value pairs, never a secret or a signature value: log lines are read by people who must not
 * learn them. Safe on any thread. */
#ifndef HK_LOG_H
#define HK_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum hk_log_level { HK_LOG_ERROR, HK_LOG_WARN, HK_LOG_INFO, HK_LOG_DEBUG };
enum hk_log_format { HK_LOG_LOGFMT, HK_LOG_JSON };

enum hk_kv_kind { HK_KV_STR, HK_KV_INT, HK_KV_STRN };

/* One key/value of a log line; build them with HK_S, HK_SN and HK_I. */
struct hk_kv {
    const char *key;
    enum hk_kv_kind kind;
    const char *s; /* HK_KV_STR (NUL-terminated, NULL prints as empty) and HK_KV_STRN */
    size_t n;      /* length for HK_KV_STRN */
    int64_t i;     /* HK_KV_INT */
};

#define HK_S(k, v)       ((struct hk_kv){.key = (k), .kind = HK_KV_STR, .s = (v)})
#define HK_SN(k, v, len) ((struct hk_kv){.key = (k), .kind = HK_KV_STRN, .s = (v), .n = (len)})
#define HK_I(k, v)       ((struct hk_kv){.key = (k), .kind = HK_KV_INT, .i = (int64_t)(v)})

/* Writes one line if lvl passes the configured level. kv is borrowed for the call. */
void hk_log_kv(enum hk_log_level lvl, const char *msg, const struct hk_kv *kv, size_t nkv);

#define hk_log(lvl, msg, ...)                                                                      \
    do {                                                                                           \
        const struct hk_kv hk_kv_[] = {{0}, __VA_ARGS__};                                          \
        hk_log_kv((lvl), (msg), hk_kv_ + 1, sizeof hk_kv_ / sizeof hk_kv_[0] - 1);                 \
    } while (0)

/* On: this thread's lines of level info and debug wait in a buffer (at most 4 KiB of them)
 * until hk_log_flush, a warning or an error, or a line that no longer fits; an event loop
 * holds its lines and flushes them once a loop turn. Off: flushes, and lines go out at once.
 * A process that dies mid-turn loses what its loops held (info lines of that turn only). */
void hk_log_hold(bool on);
void hk_log_flush(void);

/* Process-wide settings; set them before threads start or at a reload (they are atomics). */
void hk_log_configure(enum hk_log_level level, enum hk_log_format format);
/* Redirects lines to fd (stderr by default); tests use it to capture lines. */
void hk_log_set_fd(int fd);
int hk_log_enabled(enum hk_log_level lvl);
/* "error", "warn", "info", "debug" -> level; -1 if unknown. */
int hk_log_level_parse(const char *name);

/* At most one line a second for something that can happen millions of times a second (a
 * refused connection, a failed accept): hk_log_every_due says whether to log now, and how
 * many were held back since the last line. One limiter per thread that uses it. */
struct hk_log_every {
    uint64_t next_ms;
    uint64_t held;
};
bool hk_log_every_due(struct hk_log_every *e, uint64_t now_ms, uint64_t *held_back);

#endif
