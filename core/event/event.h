/* event.h -- an accepted event as hookd keeps it in memory while delivering it.
 *
 * One record is shared by every delivery of the event (one per subscribed instance), so it
 * is reference-counted: whoever hands it to another thread takes a reference first. The
 * record owns its body (the request's body buffer, moved, not copied) and the headers worth
 * keeping, serialised as "name: value\n" lines -- the same text the store keeps. */
#ifndef HK_EVENT_H
#define HK_EVENT_H

#include "base/header.h"
#include "event/envelope.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct hk_verifier;

enum hk_event_status { HK_EVENT_ROUTED, HK_EVENT_UNROUTED, HK_EVENT_INVALID };

struct hk_event_rec {
    atomic_uint refs;
    int64_t rowid; /* in the store; 0 before it is stored */
    enum hk_event_status status;
    char *source; /* owned */
    char id[HK_ID_MAX + 1];
    char type[HK_TYPE_MAX + 1];
    char *invalid_reason; /* owned; NULL unless status is HK_EVENT_INVALID */
    int64_t created_ms;
    int64_t received_ms;
    uint8_t *body; /* owned */
    size_t body_len;
    char *headers_text;        /* owned; "name: value\n" lines */
    char *headers_nul;         /* owned; headers_text with each line ended by a NUL */
    struct hk_header *headers; /* owned array; spans into headers_nul, values NUL-terminated */
    size_t nheaders;
};

/* Makes a record with one reference. body ownership passes to the record (also on error);
 * headers are copied, except those that carry credentials (Authorization, Cookie, ...) and
 * the headers that carry signer's signature (signer may be NULL). NULL when out of memory. */
struct hk_event_rec *hk_event_create(const char *source, const struct hk_envelope *env,
                                     uint8_t *body, size_t body_len, const struct hk_header *h,
                                     size_t nh, const struct hk_verifier *signer,
                                     int64_t received_ms);
/* Makes a record from stored columns (copies everything). NULL when out of memory. */
struct hk_event_rec *hk_event_load(int64_t rowid, const char *source, const char *id,
                                   const char *type, int64_t created_ms, int64_t received_ms,
                                   const void *body, size_t body_len, const char *headers_text);
struct hk_event_rec *hk_event_acquire(struct hk_event_rec *e);
void hk_event_release(struct hk_event_rec *e);
/* "routed", "unrouted", "invalid": as stored. */
const char *hk_event_status_name(enum hk_event_status s);

#endif
