/* pattern.c -- event type patterns: "TYPE" exact, "PREFIX*" prefix, "*" everything.
 * Declared in instance.h; hk_pattern_valid (conf_instance.h) says which patterns exist. */
#include "plugin/instance.h"

#include <string.h>

/* Length of the prefix a pattern stands for, or -1 for an exact pattern. */
static long prefix_len(const char *p)
{
    size_t n = strlen(p);
    return n && p[n - 1] == '*' ? (long)n - 1 : -1;
}

bool hk_pattern_match(const char *pattern, const char *type)
{
    long n = prefix_len(pattern);
    return n < 0 ? strcmp(pattern, type) == 0 : strncmp(pattern, type, (size_t)n) == 0;
}

/* Every type p selects starts with the text p starts with (its prefix, or all of it), so p
 * is within a prefix pattern q exactly when p starts with q's prefix. An exact q holds only
 * itself. */
bool hk_pattern_within(const char *p, const char *q)
{
    long n = prefix_len(q);
    return n < 0 ? strcmp(p, q) == 0 : strncmp(p, q, (size_t)n) == 0;
}
