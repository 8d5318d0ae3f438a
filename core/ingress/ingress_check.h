/* ingress_check.h -- the CPU-heavy part of a request (signature, then envelope), run on the
 * connection's loop for small bodies and on libuv's thread pool for large ones. */
#ifndef HK_INGRESS_CHECK_H
#define HK_INGRESS_CHECK_H

#include "conf/source.h"
#include "deliver/gen.h"
#include "event/envelope.h"
#include "net/conn.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <uv.h>

/* Bodies from this size on are checked on the thread pool: hashing and scanning 8 KiB take
 * about 10 us, beyond which the hop costs less than what the loop's other connections would
 * otherwise wait. */
#define HK_CHECK_OFFLOAD_BYTES 8192

struct hk_check;
/* Called on the connection's loop with the finished check; k is freed when it returns. */
typedef void (*hk_check_done_fn)(struct hk_check *k);

/* The pointers are borrowed: the connection keeps its request, unparsed further, until it is
 * answered, which is after done. gen, set only for a check on the pool, is a reference of
 * the check's own to the generation s belongs to, released after done. */
struct hk_check {
    uv_work_t work;
    hk_check_done_fn done;
    struct hk_conn *c;
    const struct hk_source *s;
    struct hk_request *req;
    struct hk_gen *gen;
    int64_t now_s; /* wall clock at arrival, for timestamp tolerances */
    bool json;     /* the content type says JSON */
    int verify_rc; /* 0: genuine, env read; HK_EUNSIGNED, HK_EAUTH, HK_ESTALE: refused; else
                      unchecked */
    struct hk_envelope env;
    atomic_int handoff; /* queued, then checked: orders the hand-offs for ThreadSanitizer */
};

/* Checks req from source s for connection c and calls done, synchronously for a small body
 * or after the thread pool ran the check for a large one (io thread). */
void hk_check_request(struct hk_conn *c, const struct hk_source *s, struct hk_request *req,
                      bool json, hk_check_done_fn done);

#endif
