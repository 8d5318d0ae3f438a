/* ip_count.c -- a chained hash of client address -> open connections, under one lock: it is
 * touched once when a connection is accepted and once when it closes. */
#include "net/ip_count.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define BUCKETS 4096 /* a power of two */

struct entry {
    struct hk_addr a;
    unsigned n;
    struct entry *next;
};

struct hk_ip_count {
    pthread_mutex_t mu;
    struct entry *b[BUCKETS];
};

struct hk_ip_count *hk_ip_count_new(void)
{
    struct hk_ip_count *t = calloc(1, sizeof *t);
    if (t)
        pthread_mutex_init(&t->mu, NULL);
    return t;
}

void hk_ip_count_free(struct hk_ip_count *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < BUCKETS; i++)
        for (struct entry *e = t->b[i], *next; e; e = next) {
            next = e->next;
            free(e);
        }
    pthread_mutex_destroy(&t->mu);
    free(t);
}

/* FNV-1a over the 16 bytes. */
static struct entry **slot(struct hk_ip_count *t, const struct hk_addr *a)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < sizeof a->b; i++)
        h = (h ^ a->b[i]) * 16777619u;
    struct entry **p = &t->b[h & (BUCKETS - 1)];
    while (*p && memcmp((*p)->a.b, a->b, sizeof a->b) != 0)
        p = &(*p)->next;
    return p;
}

bool hk_ip_count_take(struct hk_ip_count *t, const struct hk_addr *a, unsigned max)
{
    pthread_mutex_lock(&t->mu);
    struct entry **p = slot(t, a);
    bool ok = !*p || max == 0 || (*p)->n < max;
    if (ok && !*p && (*p = calloc(1, sizeof **p)))
        (*p)->a = *a;
    ok = ok && *p;
    if (ok)
        (*p)->n++;
    pthread_mutex_unlock(&t->mu);
    return ok;
}

void hk_ip_count_drop(struct hk_ip_count *t, const struct hk_addr *a)
{
    pthread_mutex_lock(&t->mu);
    struct entry **p = slot(t, a), *e = *p;
    if (e && --e->n == 0) {
        *p = e->next;
        free(e);
    }
    pthread_mutex_unlock(&t->mu);
}

unsigned hk_ip_count_of(struct hk_ip_count *t, const struct hk_addr *a)
{
    pthread_mutex_lock(&t->mu);
    struct entry *e = *slot(t, a);
    unsigned n = e ? e->n : 0;
    pthread_mutex_unlock(&t->mu);
    return n;
}
