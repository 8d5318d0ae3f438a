/* test_http.c -- the request parser: events, limits, and the refusals llhttp 8.1 lacks,
 * with every request also fed split at every byte position. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "net/http.h"

#include <stdio.h>
#include <string.h>

static const struct hk_limits limits = {.max_body_bytes = 64,
                                        .max_header_bytes = 1024,
                                        .header_timeout_ms = 1000,
                                        .body_timeout_ms = 1000,
                                        .idle_timeout_ms = 1000,
                                        .max_connections = 10};

/* Outcome of feeding a whole input, in pieces split at `split` (0 = one piece). */
struct outcome {
    int heads, messages, error_status;
    char path[64];
    char body[128];
    char last_header_value[64];
    bool keep_alive;
};

static void feed_all(const char *in, size_t split, struct outcome *o)
{
    struct hk_http h;
    size_t n = strlen(in), pos = 0;
    memset(o, 0, sizeof *o);
    hk_http_init(&h, &limits);
    bool again = false; /* after a head the parser must run once more, even without bytes */
    while ((pos < n || again) && !o->error_status) {
        size_t end = split && pos < split ? split : n, used;
        enum hk_http_event ev = hk_http_feed(&h, (const uint8_t *)in + pos, end - pos, &used);
        pos += used;
        again = ev == HK_HTTP_HEAD;
        if (ev == HK_HTTP_HEAD) {
            o->heads++;
            snprintf(o->path, sizeof o->path, "%.*s", (int)h.req.path_len, h.req.path);
            const struct hk_header *last = &h.req.headers[h.req.nheaders - 1];
            snprintf(o->last_header_value, sizeof o->last_header_value, "%.*s",
                     (int)last->value_len, last->value);
        } else if (ev == HK_HTTP_MESSAGE) {
            o->messages++;
            o->keep_alive = h.req.keep_alive;
            snprintf(o->body, sizeof o->body, "%.*s", (int)h.req.body.len, h.req.body.data);
            hk_http_next(&h);
        } else if (ev == HK_HTTP_ERROR) {
            o->error_status = h.error_status;
        }
    }
    hk_http_free(&h);
}

/* Checks the same outcome for every split position. */
static void expect(const char *in, int messages, int error_status)
{
    for (size_t split = 0; split < strlen(in); split++) {
        struct outcome o;
        feed_all(in, split, &o);
        if (o.messages != messages || o.error_status != error_status)
            fail_msg("split %zu of [%s]: %d messages, status %d; expected %d, %d", split, in,
                     o.messages, o.error_status, messages, error_status);
    }
}

static void test_simple_request(void **state)
{
    (void)state;
    const char *in = "POST /hook?x=1 HTTP/1.1\r\nHost: a\r\nX-Sig:  abc  \r\n"
                     "Content-Length: 5\r\n\r\nhello";
    for (size_t split = 0; split < strlen(in); split++) {
        struct outcome o;
        feed_all(in, split, &o);
        assert_int_equal(o.messages, 1);
        assert_string_equal(o.path, "/hook");
        assert_string_equal(o.body, "hello");
        assert_true(o.keep_alive);
    }
}

static void test_header_value_trimmed(void **state)
{
    (void)state;
    struct outcome o;
    feed_all("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nX-A:  b c \t\r\n\r\n", 0, &o);
    assert_string_equal(o.last_header_value, "b c");
}

static void test_pipelined_and_chunked(void **state)
{
    (void)state;
    expect("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\nx"
           "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
           "3\r\nabc\r\n0\r\n\r\n",
           2, 0);
}

static void test_smuggling_shapes_refused(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        int status;
    } cases[] = {
        {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
         "3\r\nabc\r\n0\r\n\r\n",
         400},
        {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc", 400},
        {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3\r\n\r\nabc", 400},
        {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +3\r\n\r\nabc", 400},
        {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length : 3\r\n\r\nabc", 400},
        {"POST / HTTP/1.1\r\nHost: a\r\n: x\r\nContent-Length: 3\r\n\r\nabc", 400},
        {"POST / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\nContent-Length: 3\r\n\r\nabc", 400},
        {"POST / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n\tc\r\nContent-Length: 3\r\n\r\nabc", 400},
        {"POST / HTTP/1.1\r\nHost: a\rX-A: b\r\nContent-Length: 3\r\n\r\nabc", 400},
        {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0x3\r\nabc\r\n0\r\n\r\n",
         400},
        {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3 ;x\r\nabc\r\n0\r\n\r\n",
         400},
        {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n"
         "\r\n",
         501},
        {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked"
         "\r\n\r\n0\r\n\r\n",
         400},
        {"POST / HTTP/2.0\r\nHost: a\r\nContent-Length: 0\r\n\r\n", 505},
        {"POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 400},
        {"POST / HTTP/1.1\r\nHost: a\r\nHost: b\r\nContent-Length: 0\r\n\r\n", 400},
        {"POST http://x/ HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", 400},
        {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 65\r\n\r\n", 413},
        {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
         "41\r\n"
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n0\r\n\r\n",
         413},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect(cases[i].in, 0, cases[i].status);
}

static void test_value_split_inside_is_not_a_fold(void **state)
{
    (void)state;
    /* Splitting right before the inner space of "b c" must not look like a fold. */
    expect("POST / HTTP/1.1\r\nHost: a\r\nX-A: b c\r\nContent-Length: 0\r\n\r\n", 1, 0);
}

static void test_headers_too_large(void **state)
{
    (void)state;
    char in[2048];
    int n = snprintf(in, sizeof in, "POST / HTTP/1.1\r\nHost: a\r\nX-Big: ");
    memset(in + n, 'x', 1100);
    strcpy(in + n + 1100, "\r\nContent-Length: 0\r\n\r\n");
    struct outcome o;
    feed_all(in, 0, &o);
    assert_int_equal(o.error_status, 431);
}

static void test_http10_closes(void **state)
{
    (void)state;
    struct outcome o;
    feed_all("POST / HTTP/1.0\r\nContent-Length: 1\r\n\r\nx", 0, &o);
    assert_int_equal(o.messages, 1);
    assert_false(o.keep_alive);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simple_request),
        cmocka_unit_test(test_header_value_trimmed),
        cmocka_unit_test(test_pipelined_and_chunked),
        cmocka_unit_test(test_smuggling_shapes_refused),
        cmocka_unit_test(test_value_split_inside_is_not_a_fold),
        cmocka_unit_test(test_headers_too_large),
        cmocka_unit_test(test_http10_closes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
