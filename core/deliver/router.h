/* router.h -- which plugin instances an event goes to, compiled once per generation.
 *
 * Exact types are looked up in a hash table, prefix patterns are tried longest first, "*"
 * matches everything; the result is then narrowed by each instance's sources. An event goes
 * to every instance that subscribes to its type and source, in configuration order. */
#ifndef HK_ROUTER_H
#define HK_ROUTER_H

#include <stddef.h>
#include <stdint.h>

#define HK_ROUTE_MAX 256 /* instances in one generation at most (conf_instance.c) */

struct hk_router;

/* One instance as the router sees it: its name, effective patterns and sources. */
struct hk_route_target {
    const char *name;
    const char *const *patterns; /* NULL-terminated */
    const char *const *sources;  /* NULL-terminated, or NULL for every source */
};

/* Compiles the table; targets and their strings are borrowed and must outlive the router.
 * 0 with *out set, or HK_ENOMEM / HK_EINVAL (more than HK_ROUTE_MAX targets). */
int hk_router_build(const struct hk_route_target *targets, size_t n, struct hk_router **out);
void hk_router_free(struct hk_router *r);
/* Writes the indexes (into the targets given to build) of every instance that wants an event
 * of this type from this source, ascending, into out (room for HK_ROUTE_MAX); returns how
 * many. Read-only: any number of threads may route at once. */
size_t hk_router_match(const struct hk_router *r, const char *type, const char *source,
                       uint16_t *out);

#endif
