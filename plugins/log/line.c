/* line.c -- one event as one JSON line. */
#define _POSIX_C_SOURCE 200809L

#include "line.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LINE_SLACK 256 /* room for the fixed members beside the body */

/* A growable output buffer; once an allocation fails, failed stays set and writes stop. */
struct out {
    char *p;
    size_t len, cap;
    bool failed;
};

static void put(struct out *o, const void *s, size_t n)
{
    if (o->failed)
        return;
    if (o->len + n > o->cap) {
        size_t cap = o->cap ? o->cap : LINE_SLACK;
        while (cap < o->len + n)
            cap *= 2;
        char *p = realloc(o->p, cap);
        if (!p) {
            o->failed = true;
            return;
        }
        o->p = p;
        o->cap = cap;
    }
    memcpy(o->p + o->len, s, n);
    o->len += n;
}

static void puts_(struct out *o, const char *s)
{
    put(o, s, strlen(s));
}

/* Length of the valid UTF-8 sequence at s[0..n), or 0 if it is not one. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    size_t len = s[0] < 0x80                    ? 1
                 : s[0] >= 0xc2 && s[0] <= 0xdf ? 2
                 : (s[0] & 0xf0) == 0xe0        ? 3
                 : s[0] >= 0xf0 && s[0] <= 0xf4 ? 4
                                                : 0;
    if (len == 0 || len > n)
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) ||
        (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
        return 0; /* overlong, surrogate or beyond U+10FFFF */
    return len;
}

/* s[0..n) as a JSON string; control characters escaped, invalid UTF-8 as U+FFFD. */
static void put_string(struct out *o, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    char esc[8];
    put(o, "\"", 1);
    for (size_t i = 0; i < n;) {
        size_t len = utf8_len(u + i, n - i);
        if (len == 0) {
            puts_(o, "\\ufffd");
            i++;
            continue;
        }
        if (u[i] == '"' || u[i] == '\\') {
            snprintf(esc, sizeof esc, "\\%c", u[i]);
            puts_(o, esc);
        } else if (u[i] == '\n' || u[i] == '\r' || u[i] == '\t') {
            puts_(o, u[i] == '\n' ? "\\n" : u[i] == '\r' ? "\\r" : "\\t");
        } else if (u[i] < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", u[i]);
            puts_(o, esc);
        } else {
            put(o, s + i, len);
        }
        i += len;
    }
    put(o, "\"", 1);
}

/* Copies valid JSON text, dropping the whitespace between tokens (which may hold newlines). */
static void put_compact(struct out *o, const char *s, size_t n)
{
    bool in_string = false;
    size_t from = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (strchr(" \t\r\n", c)) {
            put(o, s + from, i - from);
            from = i + 1;
        }
    }
    put(o, s + from, n - from);
}

static size_t skip_ws(const char *s, size_t n, size_t i)
{
    while (i < n && strchr(" \t\r\n", s[i]))
        i++;
    return i;
}

/* The end of the value of valid JSON text starting at s[i]. */
static size_t skip_value(const char *s, size_t n, size_t i)
{
    int depth = 0;
    bool in_string = false;
    for (; i < n; i++) {
        char c = s[i];
        if (in_string) {
            if (c == '\\') {
                i++;
            } else if (c == '"') {
                in_string = false;
                if (depth == 0)
                    return i + 1;
            }
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            if (--depth <= 0)
                return depth < 0 ? i : i + 1;
        } else if (depth == 0 && strchr(", \t\r\n", c)) {
            return i;
        }
    }
    return n;
}

/* Finds the raw text of the top-level member "data" of a valid JSON object (the last one,
 * as jansson keeps). False when the key is written with escapes: the caller falls back. */
static bool find_data(const char *s, size_t n, size_t *from, size_t *to)
{
    bool found = false;
    size_t i = skip_ws(s, n, 0) + 1; /* past '{' */
    while ((i = skip_ws(s, n, i)) < n && s[i] == '"') {
        size_t key_end = skip_value(s, n, i);
        bool is_data = key_end - i == 6 && memcmp(s + i, "\"data\"", 6) == 0;
        size_t v = skip_ws(s, n, skip_ws(s, n, key_end) + 1); /* past ':' */
        size_t v_end = skip_value(s, n, v);
        if (is_data) {
            *from = v;
            *to = v_end;
            found = true;
        }
        i = skip_ws(s, n, v_end) + 1; /* past ',' or '}' */
    }
    return found;
}

static void put_json(struct out *o, const json_t *v)
{
    char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!text) {
        o->failed = true;
        return;
    }
    puts_(o, text);
    free(text);
}

static void put_data(struct out *o, const hookd_event *ev)
{
    const char *body = (const char *)ev->body;
    size_t n = ev->body_len, from, to;
    json_t *root = json_loadb(body, n, JSON_DECODE_ANY, NULL);
    json_t *data = json_is_object(root) ? json_object_get(root, "data") : NULL;
    if (!root)
        put_string(o, body, n);
    else if (!data)
        put_compact(o, body, n);
    else if (find_data(body, n, &from, &to))
        put_compact(o, body + from, to - from);
    else
        put_json(o, data);
    json_decref(root);
}

char *hklog_line(const hookd_event *ev, size_t *len)
{
    struct out o = {0};
    char num[96];
    puts_(&o, "{\"id\":");
    put_string(&o, ev->id, strlen(ev->id));
    puts_(&o, ",\"type\":");
    put_string(&o, ev->type, strlen(ev->type));
    puts_(&o, ",\"source\":");
    put_string(&o, ev->source, strlen(ev->source));
    snprintf(num, sizeof num, ",\"received_ms\":%lld,\"created_ms\":%lld,\"attempt\":%u,\"data\":",
             (long long)ev->received_ms, (long long)ev->created_ms, ev->attempt);
    puts_(&o, num);
    put_data(&o, ev);
    puts_(&o, "}\n");
    if (o.failed) {
        free(o.p);
        return NULL;
    }
    *len = o.len;
    return o.p;
}
