/*
 * System lines: the messages the server itself writes into a room (`kind`
 * "system", `from` 0), such as "the mentorship began" or "the call ended".
 * Their body is a small JSON object of numbers and fixed words that clients
 * turn into a sentence in the reader's language. A line is stored like any
 * message, in the room's seq order, and published to the room once it is
 * committed. Used by the features; loop thread only.
 */
#ifndef KOLAB_SYSLINE_H
#define KOLAB_SYSLINE_H

#include <stdint.h>

#include "status.h"

/* The longest body a system line is formatted into. */
#define SYSLINE_MAX 256

/*
 * Formats the body (printf style) and queues the line for `room`. Returns
 * STATUS_TOO_LARGE when the body does not fit SYSLINE_MAX, or the store's
 * status when it cannot be queued; either is logged. A line that fails to
 * commit later is logged and not published.
 */
enum status sysline_post(uint64_t room, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
