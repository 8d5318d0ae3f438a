/* http.h -- HTTP/1.1 request parsing on llhttp, with the checks llhttp 8.1 lacks.
 *
 * The parser is fed bytes and stops at each event the connection must act on: a request's
 * head is complete (route, method, allowlist and size checks happen before any body byte is
 * read), a whole request is complete, or the framing is broken (answer and close). It keeps
 * a copy of the request line and headers (bounded by max_header_bytes) and of the body
 * (bounded by max_body_bytes) -- the one copy of the body hookd makes.
 *
 * Refused here although llhttp 8.1.0 accepts them: an empty header name, obsolete line
 * folding, a Transfer-Encoding other than exactly "chunked", a missing or repeated Host in
 * HTTP/1.1, an HTTP version other than 1.0 or 1.1, a request target not in origin form.
 * llhttp (strict mode) itself refuses Content-Length with Transfer-Encoding, duplicate or
 * malformed Content-Length, a space before a colon, bare CR or LF, and invalid chunk sizes. */
#ifndef HK_HTTP_H
#define HK_HTTP_H

#include "base/buf.h"
#include "base/header.h"
#include "conf/conf.h"

#include <llhttp.h>
#include <stdbool.h>
#include <stdint.h>

#define HK_MAX_HEADERS 100

/* One request. Every pointer is valid until hk_http_next or hk_http_free. */
struct hk_request {
    int method; /* llhttp_method_t */
    uint8_t http_minor;
    const char *path; /* request target up to '?'; the target itself starts here too */
    size_t path_len;
    size_t target_len; /* the whole request target, query string included */
    struct hk_header headers[HK_MAX_HEADERS];
    size_t nheaders;
    bool chunked;
    bool has_length;
    uint64_t content_length;
    bool expect_continue;
    bool keep_alive; /* known when the message is complete */
    struct hk_buf body;
};

enum hk_http_event {
    HK_HTTP_NEED_MORE, /* every byte consumed, the request is not complete */
    HK_HTTP_HEAD,      /* request line and headers complete: check them, then feed on */
    HK_HTTP_MESSAGE,   /* whole request complete: answer it, then hk_http_next */
    HK_HTTP_ERROR      /* framing broken: answer error_status and close the connection */
};

/* Offsets of one header inside the head buffer while it is being collected. */
struct hk_header_span {
    uint32_t name_off, name_len, value_off, value_len;
};

struct hk_http {
    llhttp_t parser;
    llhttp_settings_t settings;
    const struct hk_limits *limits; /* borrowed; outlives the parser */
    struct hk_request req;
    struct hk_buf head; /* request target, header names and values */
    struct hk_header_span spans[HK_MAX_HEADERS];
    uint32_t target_len;
    bool field_open;      /* a header name is being collected */
    bool head_done;       /* headers complete for the current request */
    int pending;          /* which pause llhttp_execute returned for */
    unsigned value_calls; /* value callbacks for the current header (fold detection) */
    const uint8_t *feed_start;
    uint8_t prev_last;        /* last byte of the previous feed */
    int error_status;         /* set with HK_HTTP_ERROR: 400, 413, 431, 501, 505 */
    const char *error_reason; /* static text for the log */
};

void hk_http_init(struct hk_http *h, const struct hk_limits *limits);
void hk_http_free(struct hk_http *h);
/* Parses from p[0..n) until the next event; *used is the number of bytes consumed. After
 * HK_HTTP_HEAD or HK_HTTP_MESSAGE, feed the rest (p + *used) again to continue. */
enum hk_http_event hk_http_feed(struct hk_http *h, const uint8_t *p, size_t n, size_t *used);
/* Forgets the answered request and readies the parser for the next one on the connection. */
void hk_http_next(struct hk_http *h);

#endif
