/* query.c -- what every store shares about operators' queries (query.h). */
#include "store/query.h"

#include <stdlib.h>
#include <string.h>

const char *hk_dlq_what_name(enum hk_dlq_what w)
{
    static const char *const names[] = {"dead", "unrouted", "invalid"};
    return names[w];
}

void hk_dlq_query_free(struct hk_dlq_query *q)
{
    free(q->source);
    free(q->type);
    free(q->instance);
    free(q->id);
    free(q->to);
    memset(q, 0, sizeof *q);
}
