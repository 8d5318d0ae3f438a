/* log.c -- log lines, logfmt or JSON, built without printf (an access line is written for
 * every request): each line whole in one write(2), or the lines a thread holds in one. */
#include "base/log.h"

#include "base/codec.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Also the most a thread holds: a pipe takes a write of up to PIPE_BUF (4096 on Linux)
 * whole, so held lines never mix with another thread's either. */
#define LOG_LINE_MAX 4096

static atomic_int log_level = HK_LOG_INFO;
static atomic_int log_format = HK_LOG_LOGFMT;
static atomic_int log_fd = STDERR_FILENO;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

/* The lines a thread holds back until hk_log_flush (hk_log_hold). */
struct held {
    bool on;
    size_t len;
    char buf[LOG_LINE_MAX];
};
static _Thread_local struct held held;

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

static bool bare_char(unsigned char c)
{
    return c > ' ' && c != '"' && c != '=' && c != '\\' && c < 0x7f;
}

static bool logfmt_bare(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!bare_char((unsigned char)s[i]))
            return false;
    return true;
}

static bool plain_in_quotes(unsigned char c)
{
    return c >= 0x20 && c != '"' && c != '\\' && c != 0x7f;
}

/* Quoted string with JSON escapes; both formats use it. Plain runs are copied whole. */
static void put_quoted(struct line *l, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    putc_(l, '"');
    for (size_t i = 0; i < n;) {
        size_t run = i;
        while (run < n && plain_in_quotes((unsigned char)s[run]))
            run++;
        put(l, s + i, run - i);
        if (run == n)
            break;
        unsigned char c = (unsigned char)s[run];
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            put(l, esc, sizeof esc);
        } else if (c == '\n') {
            puts_(l, "\\n");
        } else {
            char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            put(l, esc, sizeof esc);
        }
        i = run + 1;
    }
    putc_(l, '"');
}

/* A logfmt value is copied while it is checked, as most are bare (one pass, not two); one that
 * is not is quoted instead. A value cut short by the line's end stays bare if it all is. */
static void put_value(struct line *l, const char *s, size_t n, bool json)
{
    size_t room = sizeof l->buf - 1 - l->len, fit = n < room ? n : room, i = 0;
    if (!json && n) {
        char *to = l->buf + l->len;
        while (i < fit && bare_char((unsigned char)s[i])) {
            to[i] = s[i];
            i++;
        }
        if (i == fit && (fit == n || logfmt_bare(s + fit, n - fit))) {
            l->len += fit;
            return;
        }
    }
    put_quoted(l, s, n);
}

static void put_key(struct line *l, const char *key, bool json)
{
    puts_(l, json ? ",\"" : " ");
    puts_(l, key);
    puts_(l, json ? "\":" : "=");
}

static void put_pair(struct line *l, const char *key, const char *s, size_t n, bool json)
{
    put_key(l, key, json);
    put_value(l, s, n, json);
}

static void put_digits(struct line *l, uint64_t v, int width)
{
    char num[24], *end = num + sizeof num, *p = hk_decimal(end, v, width);
    put(l, p, (size_t)(end - p));
}

static void put_int(struct line *l, int64_t v)
{
    if (v < 0)
        putc_(l, '-');
    put_digits(l, v < 0 ? 0 - (uint64_t)v : (uint64_t)v, 1);
}

/* "2026-12-07T07:24:09" for sec (its length in *len), made again only when the second
 * changes (per thread). */
static const char *second_text(time_t sec, size_t *len)
{
    static _Thread_local time_t cached = -1;
    static _Thread_local char text[40];
    static _Thread_local char *start;
    if (sec != cached) {
        struct tm tm;
        gmtime_r(&sec, &tm);
        const int parts[] = {tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                             tm.tm_hour,        tm.tm_min,     tm.tm_sec};
        static const char before[] = "--T::"; /* what comes before parts[1..5] */
        start = text + sizeof text;
        for (int i = 5; i >= 0; i--) {
            start = hk_decimal(start, (uint64_t)parts[i], i ? 2 : 4);
            if (i)
                *--start = before[i - 1];
        }
        cached = sec;
    }
    *len = (size_t)(text + sizeof text - start);
    return start;
}

static void put_timestamp(struct line *l, bool json)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    puts_(l, json ? "{\"ts\":\"" : "ts=");
    size_t n;
    const char *sec = second_text(ts.tv_sec, &n);
    put(l, sec, n);
    putc_(l, '.');
    put_digits(l, (uint64_t)ts.tv_nsec / 1000000, 3);
    puts_(l, json ? "Z\"" : "Z");
}

static void write_out(const char *buf, size_t n)
{
    ssize_t ignored = write(atomic_load(&log_fd), buf, n);
    (void)ignored;
}

void hk_log_flush(void)
{
    if (held.len)
        write_out(held.buf, held.len);
    held.len = 0;
}

void hk_log_hold(bool on)
{
    if (!on)
        hk_log_flush();
    held.on = on;
}

/* A warning or an error goes out at once, with the lines held before it. */
static void emit(const struct line *l, enum hk_log_level lvl)
{
    if (!held.on || lvl <= HK_LOG_WARN) {
        hk_log_flush();
        write_out(l->buf, l->len);
        return;
    }
    if (held.len + l->len > sizeof held.buf)
        hk_log_flush();
    memcpy(held.buf + held.len, l->buf, l->len);
    held.len += l->len;
}

void hk_log_kv(enum hk_log_level lvl, const char *msg, const struct hk_kv *kv, size_t nkv)
{
    if (!hk_log_enabled(lvl))
        return;
    bool json = atomic_load(&log_format) == HK_LOG_JSON;
    struct line l;
    l.len = 0;
    put_timestamp(&l, json);
    put_pair(&l, "level", level_names[lvl], strlen(level_names[lvl]), json);
    put_pair(&l, "msg", msg, strlen(msg), json);
    for (size_t i = 0; i < nkv; i++) {
        switch (kv[i].kind) {
        case HK_KV_INT:
            put_key(&l, kv[i].key, json);
            put_int(&l, kv[i].i);
            break;
        case HK_KV_STRN:
            put_pair(&l, kv[i].key, kv[i].s, kv[i].n, json);
            break;
        case HK_KV_STR:
            put_pair(&l, kv[i].key, kv[i].s ? kv[i].s : "", kv[i].s ? strlen(kv[i].s) : 0, json);
            break;
        }
    }
    if (json)
        putc_(&l, '}');
    l.buf[l.len++] = '\n';
    emit(&l, lvl);
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
