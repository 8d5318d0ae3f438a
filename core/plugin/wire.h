/* wire.h -- the messages between hookd and an instance's worker process (isolation:
 * process): length-prefixed frames on a stream socket.
 *
 * Frame: a 4-byte little-endian length n (at most HK_WIRE_FRAME_MAX), then n bytes: one byte
 * of type, then the type's fields. Integers are little-endian and fixed-size; a string is a
 * 4-byte length and its bytes (no NUL on the wire). hookd sends INIT once, then EVENTs, one
 * at a time; the worker answers INIT with HELLO and each EVENT with a RESULT. Decoding checks
 * every length against the frame: a malformed frame is an error, never a read past it. */
#ifndef HK_WIRE_H
#define HK_WIRE_H

#include "base/buf.h"

#include <stddef.h>
#include <stdint.h>

#define HK_WIRE_FRAME_MAX     (64u << 20) /* a body of max_body_bytes with room to spare */
#define HK_WIRE_SUBSCRIBE_MAX 64
#define HK_WIRE_METRICS_MAX   64

enum hk_wire_type { HK_WIRE_INIT = 1, HK_WIRE_HELLO, HK_WIRE_EVENT, HK_WIRE_RESULT };

/* A string inside a decoded frame: borrowed from the frame's buffer, not NUL-terminated. */
struct hk_wire_str {
    const char *p;
    uint32_t n;
};

/* hookd -> worker: what to load. */
struct hk_wire_init {
    struct hk_wire_str name;    /* the instance */
    struct hk_wire_str so_path; /* the plugin file */
    struct hk_wire_str config;  /* the instance's "config" object as JSON text, or empty */
    uint64_t memory_max;        /* bytes of address space (RLIMIT_AS); 0: unlimited */
    uint32_t open_files;        /* RLIMIT_NOFILE; 0: as inherited */
    uint8_t drop;               /* 1: become uid and gid before loading the plugin */
    uint32_t uid, gid;
};

/* worker -> hookd: the plugin is loaded and initialised (ok), or why not. */
struct hk_wire_hello {
    uint8_t ok;
    uint32_t flags;
    struct hk_wire_str plugin, version, error;
    uint32_t nsubscribe;
    struct hk_wire_str subscribe[HK_WIRE_SUBSCRIBE_MAX];
};

/* hookd -> worker: one delivery. */
struct hk_wire_event {
    int64_t delivery;
    uint32_t attempt;
    int64_t created_ms, received_ms, timeout_ms;
    struct hk_wire_str id, type, source, headers, body;
};

/* worker -> hookd: handle()'s result, its error text, and the instance's metrics now. */
struct hk_wire_metric {
    struct hk_wire_str name;
    uint8_t gauge; /* 0: a counter's total; 1: a gauge's value */
    int64_t value;
};
struct hk_wire_result {
    int64_t delivery;
    int32_t result;
    struct hk_wire_str error;
    uint32_t nmetrics;
    struct hk_wire_metric metrics[HK_WIRE_METRICS_MAX];
};

/* Appends one whole frame (length included) to b. 0 or HK_ENOMEM. */
int hk_wire_put_init(struct hk_buf *b, const struct hk_wire_init *m);
int hk_wire_put_hello(struct hk_buf *b, const struct hk_wire_hello *m);
int hk_wire_put_event(struct hk_buf *b, const struct hk_wire_event *m);
int hk_wire_put_result(struct hk_buf *b, const struct hk_wire_result *m);

/* How long the frame at the start of p (n bytes available) is, header included: 0 when more
 * bytes are needed to know, HK_EINVAL when its length is beyond HK_WIRE_FRAME_MAX. */
int64_t hk_wire_frame_len(const uint8_t *p, size_t n);
/* The type of a whole frame (p, n from hk_wire_frame_len), or HK_EINVAL. */
int hk_wire_type(const uint8_t *p, size_t n);
/* Decode a whole frame of that type into m, whose strings borrow from p. 0 or HK_EINVAL. */
int hk_wire_get_init(const uint8_t *p, size_t n, struct hk_wire_init *m);
int hk_wire_get_hello(const uint8_t *p, size_t n, struct hk_wire_hello *m);
int hk_wire_get_event(const uint8_t *p, size_t n, struct hk_wire_event *m);
int hk_wire_get_result(const uint8_t *p, size_t n, struct hk_wire_result *m);
/* A malloc'd NUL-terminated copy of s (the caller frees it), or NULL when out of memory. */
char *hk_wire_strdup(struct hk_wire_str s);
/* A wire string of the NUL-terminated s (NULL: empty). */
struct hk_wire_str hk_wire_cstr(const char *s);

#endif
