/* envelope.h -- what hookd needs to know of a verified event: its id, type and creation time.
 *
 * Read after the signature has been verified, never before. A body that is genuine but not a
 * valid event is still accepted (rejecting it only makes the sender retry for days): it is
 * marked invalid with the reason and stored for the operator. */
#ifndef HK_ENVELOPE_H
#define HK_ENVELOPE_H

#include "base/header.h"
#include "conf/source.h"

#include <stddef.h>
#include <stdint.h>

#define HK_ID_MAX   256 /* bytes of an event id at most */
#define HK_TYPE_MAX 256 /* bytes of an event type at most */

struct hk_envelope {
    char id[HK_ID_MAX + 1]; /* NUL-terminated UTF-8; empty when not found */
    size_t id_len;
    char type[HK_TYPE_MAX + 1];
    size_t type_len;
    int64_t created_ms; /* 0 when the source has no creation time */
    bool valid;
    char invalid[128]; /* why it is not valid, e.g. "id (/id) is missing"; "" when valid */
};

/* Reads the envelope of a verified request. json_body says whether the body is JSON (by its
 * content type); a JSON body must then be valid as a whole. Never fails: problems are put in
 * env->invalid. */
void hk_envelope_read(const struct hk_source *s, const struct hk_header *h, size_t nh,
                      const uint8_t *body, size_t n, bool json_body, struct hk_envelope *env);

#endif
