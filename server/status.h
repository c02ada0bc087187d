/*
 * The one status type of Kolab. Every function that can fail returns an
 * enum status; STATUS_OK is zero so that `if (st != STATUS_OK)` reads
 * naturally. The codes after STATUS_PENDING map one to one onto the wire
 * protocol's error codes; only the dispatcher turns them into replies.
 */
#ifndef KOLAB_STATUS_H
#define KOLAB_STATUS_H

enum status {
    STATUS_OK = 0,
    /* The work goes on asynchronously; its result is reported later. */
    STATUS_PENDING,
    STATUS_BAD_REQUEST,
    STATUS_UNAUTHENTICATED,
    STATUS_FORBIDDEN,
    STATUS_NOT_FOUND,
    STATUS_CONFLICT,
    STATUS_TOO_LARGE,
    STATUS_RATE_LIMITED,
    STATUS_UNAVAILABLE,
    STATUS_INTERNAL,
    /* Out of memory: fails the request or connection, never the process. */
    STATUS_NOMEM,
};

/* The wire error code for a status ("bad_request", ...). Never NULL; STATUS_OK
 * and STATUS_PENDING give "ok" and "pending", STATUS_NOMEM gives "internal". */
const char *status_code(enum status st);

#endif
