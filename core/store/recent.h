/* recent.h -- the events the store committed lately, so a duplicate is answered at once.
 *
 * Senders retry and resend (Flagright for days); a duplicate of an event the store has
 * already committed can be answered "duplicate" by the I/O thread without a trip to the
 * writer. Only committed events enter this table (the writer adds them after the commit),
 * so a hit is always an event that is durable. A miss proves nothing: the store decides.
 * Keys are SHA-256 of (source, id), 128 bits kept: no two events collide in practice.
 * One writer (the store's thread) and any number of readers; readers never lock (a
 * sequence counter per bucket lets them retry a read that raced a write). */
#ifndef HK_RECENT_H
#define HK_RECENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hk_recent_key {
    uint64_t a, b;
};

struct hk_recent;

/* A table remembering about `capacity` events. NULL when out of memory. */
struct hk_recent *hk_recent_new(size_t capacity);
void hk_recent_free(struct hk_recent *r);
/* The key of an event of source with id. */
void hk_recent_key(const char *source, const char *id, struct hk_recent_key *k);
/* Remembers that the event was committed, received at received_ms (store thread only). */
void hk_recent_add(struct hk_recent *r, const struct hk_recent_key *k, int64_t received_ms);
/* True if the event was committed and received at or after since_ms. Any thread. */
bool hk_recent_has(const struct hk_recent *r, const struct hk_recent_key *k, int64_t since_ms);
/* Forgets everything (store thread only): after events were deleted by an operator. */
void hk_recent_clear(struct hk_recent *r);

#endif
