/* test_wire.c -- the worker messages: every type comes back as it was sent, frames split
 * anywhere are recognised only once whole, and a frame cut short, too long, of another
 * type or with bytes left over is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/err.h"
#include "plugin/wire.h"

#include <string.h>

static void assert_str(struct hk_wire_str s, const char *want)
{
    assert_int_equal(s.n, strlen(want));
    assert_memory_equal(s.p, want, s.n);
}

static void test_every_type_round_trips(void **state)
{
    (void)state;
    struct hk_buf b = {0};
    struct hk_wire_init init = {hk_wire_cstr("audit"), hk_wire_cstr("/p/audit.so"),
                                hk_wire_cstr("{\"a\":1}")};
    struct hk_wire_hello hello = {.ok = 1,
                                  .flags = 2,
                                  .plugin = hk_wire_cstr("audit"),
                                  .version = hk_wire_cstr("1.0"),
                                  .nsubscribe = 2};
    hello.subscribe[0] = hk_wire_cstr("CASE_*");
    hello.subscribe[1] = hk_wire_cstr("*");
    static const char body[] = "{\"id\":\"e\\u0000\"}\0binary";
    struct hk_wire_event ev = {.delivery = 1234567890123,
                               .attempt = 3,
                               .created_ms = -1,
                               .received_ms = 1700000000000,
                               .timeout_ms = 30000,
                               .id = hk_wire_cstr("evt-1"),
                               .type = hk_wire_cstr("CASE_CLOSED"),
                               .source = hk_wire_cstr("flagright"),
                               .headers = hk_wire_cstr("x-a: 1\n"),
                               .body = {body, sizeof body}};
    struct hk_wire_result res = {
        .delivery = 42, .result = -7, .error = hk_wire_cstr("no"), .nmetrics = 1};
    res.metrics[0] = (struct hk_wire_metric){hk_wire_cstr("sent"), 1, -5};
    assert_int_equal(hk_wire_put_init(&b, &init), 0);
    assert_int_equal(hk_wire_put_hello(&b, &hello), 0);
    assert_int_equal(hk_wire_put_event(&b, &ev), 0);
    assert_int_equal(hk_wire_put_result(&b, &res), 0);

    const uint8_t *p = b.data;
    size_t left = b.len;
    int64_t n = hk_wire_frame_len(p, left);
    struct hk_wire_init gi;
    assert_int_equal(hk_wire_type(p, (size_t)n), HK_WIRE_INIT);
    assert_int_equal(hk_wire_get_init(p, (size_t)n, &gi), 0);
    assert_str(gi.so_path, "/p/audit.so");
    assert_str(gi.config, "{\"a\":1}");
    p += n, left -= (size_t)n;

    static struct hk_wire_hello gh;
    n = hk_wire_frame_len(p, left);
    assert_int_equal(hk_wire_get_hello(p, (size_t)n, &gh), 0);
    assert_int_equal(gh.ok, 1);
    assert_int_equal(gh.flags, 2);
    assert_int_equal(gh.nsubscribe, 2);
    assert_str(gh.subscribe[0], "CASE_*");
    assert_str(gh.version, "1.0");
    assert_int_equal(gh.error.n, 0);
    p += n, left -= (size_t)n;

    struct hk_wire_event ge;
    n = hk_wire_frame_len(p, left);
    assert_int_equal(hk_wire_get_event(p, (size_t)n, &ge), 0);
    assert_int_equal(ge.delivery, 1234567890123);
    assert_int_equal(ge.attempt, 3);
    assert_int_equal(ge.created_ms, -1);
    assert_int_equal(ge.timeout_ms, 30000);
    assert_int_equal(ge.body.n, sizeof body);
    assert_memory_equal(ge.body.p, body, sizeof body); /* binary, NULs included */
    p += n, left -= (size_t)n;

    static struct hk_wire_result gr;
    n = hk_wire_frame_len(p, left);
    assert_int_equal(hk_wire_get_result(p, (size_t)n, &gr), 0);
    assert_int_equal(gr.result, -7);
    assert_int_equal(gr.nmetrics, 1);
    assert_str(gr.metrics[0].name, "sent");
    assert_int_equal(gr.metrics[0].gauge, 1);
    assert_int_equal(gr.metrics[0].value, -5);
    assert_int_equal(left, (size_t)n);
    hk_buf_free(&b);
}

static void test_malformed_frames_are_refused(void **state)
{
    (void)state;
    struct hk_buf b = {0};
    struct hk_wire_event ev = {.delivery = 1, .id = hk_wire_cstr("e"), .body = hk_wire_cstr("{}")};
    struct hk_wire_event got;
    assert_int_equal(hk_wire_put_event(&b, &ev), 0);
    size_t n = b.len;
    /* Split anywhere: the length is known once 4 bytes are in, the frame once all are. */
    assert_int_equal(hk_wire_frame_len(b.data, 3), 0);
    assert_int_equal(hk_wire_frame_len(b.data, 4), (int64_t)n);
    for (size_t cut = 0; cut < n; cut++) /* a frame cut short is never decoded */
        assert_int_equal(hk_wire_get_event(b.data, cut, &got), HK_EINVAL);
    /* Another type's decoder refuses it. */
    struct hk_wire_init init;
    assert_int_equal(hk_wire_get_init(b.data, n, &init), HK_EINVAL);
    /* A string whose length runs past the frame. */
    b.data[4 + 1 + 8 + 4 + 24] = 0xff;
    assert_int_equal(hk_wire_get_event(b.data, n, &got), HK_EINVAL);
    /* A length over the limit, and zero. */
    uint8_t huge[] = {0xff, 0xff, 0xff, 0xff, HK_WIRE_EVENT};
    assert_int_equal(hk_wire_frame_len(huge, sizeof huge), HK_EINVAL);
    uint8_t empty[] = {0, 0, 0, 0};
    assert_int_equal(hk_wire_frame_len(empty, sizeof empty), HK_EINVAL);
    /* Bytes left over inside a frame. */
    struct hk_buf c = {0};
    struct hk_wire_init in = {hk_wire_cstr("a"), hk_wire_cstr("b"), hk_wire_cstr("")};
    assert_int_equal(hk_wire_put_init(&c, &in), 0);
    assert_int_equal(hk_buf_append(&c, "x", 1), 0);
    c.data[0]++; /* the frame now claims the extra byte */
    assert_int_equal(hk_wire_get_init(c.data, c.len, &in), HK_EINVAL);
    hk_buf_free(&b);
    hk_buf_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_type_round_trips),
        cmocka_unit_test(test_malformed_frames_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
