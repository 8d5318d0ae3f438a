/* crash.c -- the crash line (see crash.h). Everything here runs in a signal handler on a
 * thread that just faulted: only async-signal-safe calls, no allocation, no locks, no
 * stdio; the line is built by hand in a buffer on the stack and written with write(2). */
#include "daemon/crash.h"

#include "plugin/instance.h"

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_BYTES 1024
#define VALUE_MAX      200 /* bytes of one value (an event id is the sender's: cut it) */

struct line {
    char buf[LINE_MAX_BYTES];
    size_t len;
};

static void put(struct line *l, const char *s)
{
    for (; *s && l->len < sizeof l->buf - 1; s++)
        l->buf[l->len++] = *s;
}

/* A quoted value: quotes and backslashes escaped, control bytes replaced. */
static void put_value(struct line *l, const char *s)
{
    put(l, "\"");
    for (size_t n = 0; *s && n < VALUE_MAX && l->len < sizeof l->buf - 3; s++, n++) {
        if (*s == '"' || *s == '\\')
            l->buf[l->len++] = '\\';
        l->buf[l->len++] = (unsigned char)*s < 0x20 ? '?' : *s;
    }
    put(l, "\"");
}

static void put_uint(struct line *l, uint64_t v, int width)
{
    char digits[24];
    int n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n < width)
        digits[n++] = '0';
    while (n && l->len < sizeof l->buf - 1)
        l->buf[l->len++] = digits[--n];
}

/* The UTC date of a day count since 1970-01-01 (H. Hinnant's days-to-civil). */
static void civil(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
    days += 719468;
    int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    unsigned doe = (unsigned)(days - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* ts=2026-12-07T03:12:45.123Z, like every log line. */
static void put_time(struct line *l)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t y;
    unsigned m, d, secs = (unsigned)(ts.tv_sec % 86400);
    civil(ts.tv_sec / 86400, &y, &m, &d);
    put(l, "ts=");
    put_uint(l, (uint64_t)y, 4);
    put(l, "-");
    put_uint(l, m, 2);
    put(l, "-");
    put_uint(l, d, 2);
    put(l, "T");
    put_uint(l, secs / 3600, 2);
    put(l, ":");
    put_uint(l, secs / 60 % 60, 2);
    put(l, ":");
    put_uint(l, secs % 60, 2);
    put(l, ".");
    put_uint(l, (uint64_t)ts.tv_nsec / 1000000, 3);
    put(l, "Z");
}

static const char *signal_name(int sig)
{
    switch (sig) {
    case SIGSEGV:
        return "SIGSEGV";
    case SIGBUS:
        return "SIGBUS";
    case SIGILL:
        return "SIGILL";
    case SIGFPE:
        return "SIGFPE";
    default:
        return "SIGABRT";
    }
}

static void crashed_cb(int sig)
{
    struct line l = {.len = 0};
    const char *event = NULL;
    int64_t delivery = 0;
    const struct hk_instance *inst = hk_instance_current(&event, &delivery);
    put_time(&l);
    put(&l, " level=error msg=\"hookd crashed\" signal=");
    put(&l, signal_name(sig));
    if (inst) {
        put(&l, " culprit=plugin instance=");
        put_value(&l, inst->conf->name);
        put(&l, " plugin=");
        put_value(&l, inst->lib->path);
        put(&l, " event=");
        put_value(&l, event ? event : "");
        put(&l, " delivery=");
        put_uint(&l, (uint64_t)delivery, 1);
        put(&l, " fix=\"the plugin crashed while handling this event; after crash_limit such "
                "ends the delivery becomes a dead letter: fix the plugin, then hookd dlq replay\"");
    } else if ((inst = hk_instance_initialising()) != NULL) {
        put(&l, " culprit=plugin phase=init instance=");
        put_value(&l, inst->conf->name);
        put(&l, " plugin=");
        put_value(&l, inst->lib->path);
        put(&l, " last_error=");
        put_value(&l, inst->init_error);
        put(&l, " fix=\"the plugin crashed in init(): check its settings and what it last "
                "logged\"");
    } else {
        put(&l, " culprit=\"hookd core\" fix=\"no plugin call was on the faulting thread: "
                "report it with the core dump and this log\"");
    }
    put(&l, "\n");
    ssize_t w = write(STDERR_FILENO, l.buf, l.len);
    (void)w;
    raise(sig); /* the handler was reset: the default action follows once this returns */
}

void hk_crash_handlers_install(void)
{
    static const int sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = crashed_cb;
    sa.sa_flags = (int)SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaction(sigs[i], &sa, NULL);
}
