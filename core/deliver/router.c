/* router.c -- exact types in an open-addressing hash table, prefixes longest first, "*". */
#include "deliver/router.h"

#include "base/err.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define SET_WORDS (HK_ROUTE_MAX / 64)

/* A set of target indexes. */
struct set {
    uint64_t w[SET_WORDS];
};

struct exact {
    const char *type; /* NULL: empty slot */
    struct set targets;
};

struct prefix {
    const char *text; /* the pattern without its '*' */
    size_t len;
    struct set targets;
};

struct hk_router {
    const struct hk_route_target *targets;
    size_t ntargets;
    struct exact *table; /* power-of-two size, at most half full */
    size_t mask;
    struct prefix *prefixes; /* longest first */
    size_t nprefixes;
    struct set all; /* subscribed to "*" */
};

static void set_add(struct set *s, size_t i)
{
    s->w[i / 64] |= 1ull << (i % 64);
}

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

static struct exact *slot(const struct hk_router *r, const char *type)
{
    size_t i = hash(type) & r->mask;
    while (r->table[i].type && strcmp(r->table[i].type, type) != 0)
        i = (i + 1) & r->mask;
    return &r->table[i];
}

static struct prefix *find_prefix(struct hk_router *r, const char *text, size_t len)
{
    for (size_t i = 0; i < r->nprefixes; i++)
        if (r->prefixes[i].len == len && memcmp(r->prefixes[i].text, text, len) == 0)
            return &r->prefixes[i];
    r->prefixes[r->nprefixes] = (struct prefix){.text = text, .len = len};
    return &r->prefixes[r->nprefixes++];
}

static void add_pattern(struct hk_router *r, const char *p, size_t target)
{
    size_t len = strlen(p);
    if (strcmp(p, "*") == 0) {
        set_add(&r->all, target);
    } else if (p[len - 1] == '*') {
        set_add(&find_prefix(r, p, len - 1)->targets, target);
    } else {
        struct exact *e = slot(r, p);
        e->type = p;
        set_add(&e->targets, target);
    }
}

static int by_length_desc(const void *a, const void *b)
{
    const struct prefix *x = a, *y = b;
    return x->len < y->len ? 1 : x->len > y->len ? -1 : 0;
}

static size_t count_patterns(const struct hk_route_target *t, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        for (const char *const *p = t[i].patterns; p && *p; p++)
            count++;
    return count;
}

int hk_router_build(const struct hk_route_target *targets, size_t n, struct hk_router **out)
{
    if (n > HK_ROUTE_MAX)
        return HK_EINVAL;
    size_t patterns = count_patterns(targets, n), size = 8;
    while (size < 2 * patterns)
        size *= 2;
    struct hk_router *r = calloc(1, sizeof *r);
    if (!r)
        return HK_ENOMEM;
    r->table = calloc(size, sizeof *r->table);
    r->prefixes = calloc(patterns + 1, sizeof *r->prefixes);
    if (!r->table || !r->prefixes) {
        hk_router_free(r);
        return HK_ENOMEM;
    }
    r->mask = size - 1;
    r->targets = targets;
    r->ntargets = n;
    for (size_t i = 0; i < n; i++)
        for (const char *const *p = targets[i].patterns; p && *p; p++)
            add_pattern(r, *p, i);
    qsort(r->prefixes, r->nprefixes, sizeof *r->prefixes, by_length_desc);
    *out = r;
    return 0;
}

void hk_router_free(struct hk_router *r)
{
    if (!r)
        return;
    free(r->table);
    free(r->prefixes);
    free(r);
}

static bool wants_source(const struct hk_route_target *t, const char *source)
{
    if (!t->sources)
        return true;
    for (const char *const *s = t->sources; *s; s++)
        if (strcmp(*s, source) == 0)
            return true;
    return false;
}

size_t hk_router_match(const struct hk_router *r, const char *type, const char *source,
                       uint16_t *out)
{
    struct set s = r->all;
    const struct exact *e = slot(r, type);
    size_t tlen = strlen(type), n = 0;
    if (e->type)
        for (size_t w = 0; w < SET_WORDS; w++)
            s.w[w] |= e->targets.w[w];
    for (size_t i = 0; i < r->nprefixes; i++) {
        const struct prefix *p = &r->prefixes[i];
        if (p->len <= tlen && memcmp(p->text, type, p->len) == 0)
            for (size_t w = 0; w < SET_WORDS; w++)
                s.w[w] |= p->targets.w[w];
    }
    for (size_t i = 0; i < r->ntargets; i++)
        if ((s.w[i / 64] >> (i % 64) & 1) && wants_source(&r->targets[i], source))
            out[n++] = (uint16_t)i;
    return n;
}
