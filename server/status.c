#include "status.h"

const char *status_code(enum status st)
{
    switch (st) {
    case STATUS_OK:
        return "ok";
    case STATUS_PENDING:
        return "pending";
    case STATUS_BAD_REQUEST:
        return "bad_request";
    case STATUS_UNAUTHENTICATED:
        return "unauthenticated";
    case STATUS_FORBIDDEN:
        return "forbidden";
    case STATUS_NOT_FOUND:
        return "not_found";
    case STATUS_CONFLICT:
        return "conflict";
    case STATUS_TOO_LARGE:
        return "too_large";
    case STATUS_RATE_LIMITED:
        return "rate_limited";
    case STATUS_UNAVAILABLE:
        return "unavailable";
    case STATUS_INTERNAL:
    case STATUS_NOMEM:
        break;
    }
    return "internal";
}
