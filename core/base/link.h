/* link.h -- the two idioms of intrusive structures, written once: appending a node to a
 * FIFO kept as head and tail pointers, and finding the object that embeds a member (a task
 * or a job handed back to its owner). */
#ifndef HK_LINK_H
#define HK_LINK_H

#include <stddef.h>

/* Appends node (any struct with a next member) to the FIFO of head and tail; node->next is
 * cleared. Each argument is evaluated more than once: pass plain lvalues. */
#define HK_FIFO_APPEND(head, tail, node)                                                           \
    do {                                                                                           \
        (node)->next = NULL;                                                                       \
        if (tail)                                                                                  \
            (tail)->next = (node);                                                                 \
        else                                                                                       \
            (head) = (node);                                                                       \
        (tail) = (node);                                                                           \
    } while (0)

/* The object of type that holds *ptr as its member named member. */
#define HK_CONTAINER_OF(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

#endif
