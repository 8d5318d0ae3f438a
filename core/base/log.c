/* log.c -- one write(2) per line, logfmt or JSON. */
#include "base/log.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LOG_LINE_MAX 4096

static atomic_int log_level = HK_LOG_INFO;
static atomic_int log_format = HK_LOG_LOGFMT;
static atomic_int log_fd = STDERR_FILENO;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void hk_log_configure(enum hk_log_level level, enum hk_log_format format)
{
    atomic_store(&log_level, level);
    atomic_store(&log_format, format);
}

void hk_log_set_fd(int fd)
{
    atomic_store(&log_fd, fd);
}

int hk_log_enabled(enum hk_log_level lvl)
{
    return (int)lvl <= atomic_load(&log_level);
}

int hk_log_level_parse(const char *name)
{
    for (size_t i = 0; i < sizeof level_names / sizeof level_names[0]; i++)
        if (strcmp(name, level_names[i]) == 0)
            return (int)i;
    return -1;
}

/* A bounded line being built; overflow truncates and is marked with "...". */
struct line {
    char buf[LOG_LINE_MAX];
    size_t len;
};

static void put(struct line *l, const char *s, size_t n)
{
    size_t room = sizeof l->buf - 1 - l->len; /* keep one byte for the newline */
    if (n > room)
        n = room;
    memcpy(l->buf + l->len, s, n);
    l->len += n;
}

static void putc_(struct line *l, char c)
{
    put(l, &c, 1);
}

static void puts_(struct line *l, const char *s)
{
    put(l, s, strlen(s));
}

static bool logfmt_bare(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c >= 0x7f)
            return false;
    }
    return true;
}

/* Quoted string with JSON escapes; both formats use it. */
static void put_quoted(struct line *l, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    putc_(l, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            putc_(l, '\\');
            putc_(l, (char)c);
        } else if (c == '\n') {
            puts_(l, "\\n");
        } else if (c < 0x20 || c == 0x7f) {
            char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            put(l, esc, sizeof esc);
        } else {
            putc_(l, (char)c);
        }
    }
    putc_(l, '"');
}

static void put_value(struct line *l, const char *s, size_t n, bool json)
{
    if (!json && logfmt_bare(s, n))
        put(l, s, n);
    else
        put_quoted(l, s, n);
}

static void put_pair(struct line *l, const char *key, const char *s, size_t n, bool json,
                     bool is_string)
{
    if (json) {
        puts_(l, ",\"");
        puts_(l, key);
        puts_(l, "\":");
        if (is_string)
            put_quoted(l, s, n);
        else
            put(l, s, n);
    } else {
        putc_(l, ' ');
        puts_(l, key);
        putc_(l, '=');
        put_value(l, s, n, false);
    }
}

static void put_timestamp(struct line *l, bool json)
{
    struct timespec ts;
    struct tm tm;
    char stamp[40];
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    n += (size_t)snprintf(stamp + n, sizeof stamp - n, ".%03ldZ", ts.tv_nsec / 1000000);
    puts_(l, json ? "{\"ts\":\"" : "ts=");
    put(l, stamp, n);
    if (json)
        putc_(l, '"');
}

void hk_log_kv(enum hk_log_level lvl, const char *msg, const struct hk_kv *kv, size_t nkv)
{
    if (!hk_log_enabled(lvl))
        return;
    bool json = atomic_load(&log_format) == HK_LOG_JSON;
    struct line l;
    l.len = 0;
    put_timestamp(&l, json);
    put_pair(&l, "level", level_names[lvl], strlen(level_names[lvl]), json, true);
    put_pair(&l, "msg", msg, strlen(msg), json, true);
    for (size_t i = 0; i < nkv; i++) {
        char num[24];
        switch (kv[i].kind) {
        case HK_KV_INT:
            put_pair(&l, kv[i].key, num,
                     (size_t)snprintf(num, sizeof num, "%lld", (long long)kv[i].i), json, false);
            break;
        case HK_KV_STRN:
            put_pair(&l, kv[i].key, kv[i].s, kv[i].n, json, true);
            break;
        case HK_KV_STR:
            put_pair(&l, kv[i].key, kv[i].s ? kv[i].s : "", kv[i].s ? strlen(kv[i].s) : 0, json,
                     true);
            break;
        }
    }
    if (json)
        putc_(&l, '}');
    l.buf[l.len++] = '\n';
    ssize_t ignored = write(atomic_load(&log_fd), l.buf, l.len);
    (void)ignored;
}

bool hk_log_every_due(struct hk_log_every *e, uint64_t now_ms, uint64_t *held_back)
{
    if (now_ms < e->next_ms) {
        e->held++;
        return false;
    }
    e->next_ms = now_ms + 1000;
    *held_back = e->held;
    e->held = 0;
    return true;
}
