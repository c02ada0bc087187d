/*
 * The store's mentoring tables: requests and their routing, mentor
 * profiles, the mentoring settings, scheduled sessions, notes, action items
 * and call records. Part of the store module (see store.h for the rules that
 * hold for every store call): these are the rare writes, each run at once in
 * its own transaction, so a change is committed when the call returns.
 *
 * State changes are conditional: a call that finds the request in another
 * state than the one it needs returns STATUS_CONFLICT and changes nothing, so
 * two processes racing on one request cannot both win.
 */
#ifndef KOLAB_STORE_MENTORING_H
#define KOLAB_STORE_MENTORING_H

#include "store.h"

#define STORE_TOPIC_MAX       23
#define STORE_MSTATUS_MAX     11
#define STORE_DESCRIPTION_MAX 2000
#define STORE_COMMENT_MAX     1000
#define STORE_REASON_MAX      500
#define STORE_AGENDA_MAX      500
#define STORE_NOTE_MAX        4000
#define STORE_ACTION_MAX      500
#define STORE_DUE_MAX         10
#define STORE_CALL_STATE_MAX  11
/* "disconnected", the longest end reason, does not fit STORE_CALL_STATE_MAX. */
#define STORE_END_REASON_MAX 15
#define STORE_TOPICS_MAX     7

/* Request statuses, as bits, for filters. */
enum store_mstatus {
    MSTATUS_WAITING = 1u << 0,
    MSTATUS_OFFERED = 1u << 1,
    MSTATUS_ACTIVE = 1u << 2,
    MSTATUS_CLOSED = 1u << 3,
    MSTATUS_CANCELLED = 1u << 4,
};
#define MSTATUS_ANY 0x1fu

/* The name of one status bit ("waiting", ...); "" for anything else. */
const char *store_mstatus_name(unsigned status);
/* The bit of a status name; 0 when unknown. */
unsigned store_mstatus_bit(const char *name);

struct store_mrequest {
    uint64_t id;
    struct store_user business;
    char topic[STORE_TOPIC_MAX + 1];
    char description[STORE_DESCRIPTION_MAX + 1];
    unsigned status;          /* one MSTATUS_* bit */
    struct store_user mentor; /* id 0 when none */
    uint64_t room;            /* 0 until accepted */
    uint32_t position;        /* 1-based place in the queue while waiting, else 0 */
    uint64_t created_ts;
    uint64_t queued_ts; /* orders the queue; kept when a request comes back */
    uint64_t assigned_ts;
    uint64_t first_assigned_ts;
    uint64_t accepted_ts;
    uint64_t closed_ts;
    uint32_t rating; /* 0 until closed */
    char comment[STORE_COMMENT_MAX + 1];
    char note[STORE_REASON_MAX + 1]; /* the latest decline reason or transfer note */
};

struct store_mentor {
    struct store_user user;
    char topics[STORE_TOPICS_MAX][STORE_TOPIC_MAX + 1];
    uint32_t topic_count;
    bool available;
    uint32_t load; /* requests offered to or active with this mentor */
};

struct store_msession {
    uint64_t id;
    uint64_t room;
    uint64_t request;
    uint64_t starts_ts;
    uint32_t duration_min;
    char agenda[STORE_AGENDA_MAX + 1];
    bool cancelled;
    uint64_t created_by;
    uint64_t created_ts;
    uint64_t updated_ts;
};

struct store_note {
    uint64_t id;
    uint64_t room;
    uint64_t request;
    uint64_t author;
    char body[STORE_NOTE_MAX + 1];
    uint64_t created_ts;
    uint64_t updated_ts;
};

struct store_action {
    uint64_t id;
    uint64_t room;
    uint64_t request;
    char text[STORE_ACTION_MAX + 1];
    uint64_t owner;
    char due[STORE_DUE_MAX + 1]; /* "YYYY-MM-DD" or "" */
    bool done;
    uint64_t created_by;
    uint64_t created_ts;
    uint64_t updated_ts;
};

struct store_call {
    uint64_t id;
    uint64_t room;
    char state[STORE_CALL_STATE_MAX + 1]; /* "ringing", "active", "ended" */
    uint64_t started_by;
    uint64_t started_ts;
    uint64_t accepted_ts;
    uint64_t ended_ts;
    char end_reason[STORE_END_REASON_MAX + 1];
};

/* One row of the figures for the agency. */
struct store_mfigures {
    char topic[STORE_TOPIC_MAX + 1]; /* "" for the total */
    uint64_t requests;
    uint64_t assigned;      /* requests ever offered */
    uint64_t wait_total_s;  /* summed seconds from creation to the first offer */
    uint64_t sessions_held; /* not cancelled, ended before now */
    uint64_t ratings;
    uint64_t rating_sum;
};

typedef void (*store_mrequest_fn)(void *ud, const struct store_mrequest *r);
typedef void (*store_mentor_fn)(void *ud, const struct store_mentor *m);
typedef void (*store_msession_fn)(void *ud, const struct store_msession *s);
typedef void (*store_note_fn)(void *ud, const struct store_note *n);
typedef void (*store_action_fn)(void *ud, const struct store_action *a);
typedef void (*store_mfigures_fn)(void *ud, const struct store_mfigures *f);

/* ---- requests and routing ------------------------------------------------- */

/* A new waiting request. Topics and texts are checked by the caller. */
enum status store_mrequest_create(struct store *s, uint64_t business, const char *topic,
                                  const char *description, struct store_mrequest *out);
/* STATUS_NOT_FOUND when absent. */
enum status store_mrequest_get(struct store *s, uint64_t id, struct store_mrequest *out);
/* The request whose room is `room`; STATUS_NOT_FOUND when none. */
enum status store_mrequest_by_room(struct store *s, uint64_t room, struct store_mrequest *out);
/*
 * Requests whose status is in `statuses`, newest first, at most `limit`:
 * with `business` not 0 only that business's, with `mentor` not 0 only those
 * whose current mentor it is. Waiting ones carry their position.
 */
enum status store_mrequest_list(struct store *s, unsigned statuses, uint64_t business,
                                uint64_t mentor, unsigned limit, store_mrequest_fn each, void *ud);
/* The people a request's room may name, at most `limit`, by id: its
 * business, every mentor it was ever offered or transferred to, and the
 * authors and owners of its notes, action items and sessions. Borrowed for
 * each call of `each`. */
enum status store_mrequest_people(struct store *s, uint64_t request, unsigned limit,
                                  store_user_fn each, void *ud);
/* Every waiting request, oldest in the queue first. */
enum status store_mrequest_queue(struct store *s, store_mrequest_fn each, void *ud);

/* Offers a waiting or offered request to `mentor` (a user with role mentor;
 * STATUS_NOT_FOUND otherwise). `actor` is recorded. */
enum status store_mrequest_offer(struct store *s, uint64_t id, uint64_t mentor, uint64_t actor,
                                 struct store_mrequest *out);
/* The least-loaded available mentor with `topic` who has not declined
 * request `id` (see store_mentoring.c); STATUS_NOT_FOUND when none. */
enum status store_mrequest_pick(struct store *s, uint64_t id, const char *topic, uint64_t *mentor);
/* Accepts an offer made to `mentor`: creates the mentoring room titled
 * `title` with the business and the mentor, and makes the request active,
 * in one transaction. */
enum status store_mrequest_accept(struct store *s, uint64_t id, uint64_t mentor, const char *title,
                                  struct store_mrequest *out);
/* The offered mentor declines: back to waiting at its old place. */
enum status store_mrequest_decline(struct store *s, uint64_t id, uint64_t mentor,
                                   const char *reason, struct store_mrequest *out);
/* Moves an offered or active request to `to` (a mentor, not the current
 * one). When active, the room's membership moves in the same transaction.
 * `actor` is the old mentor or a moderator. *from receives the old mentor. */
enum status store_mrequest_transfer(struct store *s, uint64_t id, uint64_t actor, uint64_t to,
                                    const char *note, uint64_t *from, struct store_mrequest *out);
/* The business withdraws a waiting or offered request. */
enum status store_mrequest_cancel(struct store *s, uint64_t id, uint64_t business,
                                  struct store_mrequest *out);
/* The business closes an active request with a rating (1-5) and comment.
 * Its sessions that have not started are cancelled in the same
 * transaction, their updated_ts the request's closed_ts. */
enum status store_mrequest_close(struct store *s, uint64_t id, uint64_t business, uint32_t rating,
                                 const char *comment, struct store_mrequest *out);

/* ---- mentors and settings ------------------------------------------------- */

/* A mentor's profile (a user with role mentor and no profile yet reads as
 * no topics, unavailable). STATUS_NOT_FOUND when `user` is not a mentor. */
enum status store_mentor_get(struct store *s, uint64_t user, struct store_mentor *out);
/* Replaces the topics when `topics` is not NULL, sets availability when
 * `available` is not NULL. */
enum status store_mentor_set(struct store *s, uint64_t user, const char *const *topics,
                             size_t topic_count, const bool *available, struct store_mentor *out);
/* Every mentor, by name; only those with `topic` when it is not NULL. */
enum status store_mentors(struct store *s, const char *topic, store_mentor_fn each, void *ud);
/* The ids of users with one of the roles in `roles` (names, NULL-ended),
 * at most `cap`: staff for the queue events. */
enum status store_users_by_role(struct store *s, const char *const *roles, uint64_t *out,
                                size_t cap, size_t *n);
/* A persisted boolean setting; `def` when never set. */
enum status store_setting_get_bool(struct store *s, const char *key, bool def, bool *out);
enum status store_setting_put_bool(struct store *s, const char *key, bool value);

/* ---- sessions, notes, action items ---------------------------------------- */

enum status store_msession_add(struct store *s, uint64_t request, uint64_t room, uint64_t by,
                               uint64_t starts_ts, uint32_t duration_min, const char *agenda,
                               struct store_msession *out);
enum status store_msession_get(struct store *s, uint64_t id, struct store_msession *out);
/* Changes the fields given (0 or NULL keep one) and clears the reminder.
 * STATUS_CONFLICT when cancelled. */
enum status store_msession_update(struct store *s, uint64_t id, uint64_t starts_ts,
                                  uint32_t duration_min, const char *agenda,
                                  struct store_msession *out);
/* STATUS_CONFLICT when already cancelled. */
enum status store_msession_cancel(struct store *s, uint64_t id, struct store_msession *out);
/* A room's sessions by start time. */
enum status store_msessions(struct store *s, uint64_t room, store_msession_fn each, void *ud);
/*
 * Claims the sessions not cancelled, not reminded yet, starting within
 * `lead_ms` of `now_ms` and not yet ended, marking each reminded in the same
 * transaction; `each` gets the claimed ones after the commit. Two processes
 * never claim one session twice.
 */
enum status store_msession_claim_reminders(struct store *s, uint64_t now_ms, uint64_t lead_ms,
                                           store_msession_fn each, void *ud);

enum status store_note_add(struct store *s, uint64_t request, uint64_t room, uint64_t author,
                           const char *body, struct store_note *out);
enum status store_note_get(struct store *s, uint64_t id, struct store_note *out);
enum status store_note_edit(struct store *s, uint64_t id, const char *body, struct store_note *out);
/* A room's notes, oldest first. */
enum status store_notes(struct store *s, uint64_t room, store_note_fn each, void *ud);

enum status store_action_add(struct store *s, uint64_t request, uint64_t room, uint64_t by,
                             const char *text, uint64_t owner, const char *due,
                             struct store_action *out);
enum status store_action_get(struct store *s, uint64_t id, struct store_action *out);
/* Changes the fields given: `text`/`due` when not NULL, `owner` when not 0,
 * `done` when not NULL. */
enum status store_action_update(struct store *s, uint64_t id, const char *text, uint64_t owner,
                                const char *due, const bool *done, struct store_action *out);
/* A room's action items, oldest first. */
enum status store_actions(struct store *s, uint64_t room, store_action_fn each, void *ud);

/* ---- calls ------------------------------------------------------------------ */

/* A new ringing call in `room`; STATUS_CONFLICT when one is ringing or
 * active there already. */
enum status store_call_start(struct store *s, uint64_t room, uint64_t by, struct store_call *out);
enum status store_call_get(struct store *s, uint64_t id, struct store_call *out);
/* The ringing or active call of `room`; STATUS_NOT_FOUND when none. */
enum status store_call_current(struct store *s, uint64_t room, struct store_call *out);
/* Every ringing or active call, for a process that starts while calls are
 * on. `each` must not call the store. */
typedef void (*store_call_fn)(void *ud, const struct store_call *c);
enum status store_calls_open(struct store *s, store_call_fn each, void *ud);
/* The rooms, at most `cap`, where `user` is a member and a call is ringing
 * or active; *n of them are written to `rooms`. */
enum status store_call_rooms_of(struct store *s, uint64_t user, uint64_t *rooms, size_t cap,
                                size_t *n);
/* ringing -> active. STATUS_CONFLICT from any other state. */
enum status store_call_accept(struct store *s, uint64_t id, struct store_call *out);
/* ringing or active -> ended with `reason`. STATUS_CONFLICT when ended. */
enum status store_call_end(struct store *s, uint64_t id, const char *reason,
                           struct store_call *out);

/* ---- figures ------------------------------------------------------------------ */

/* One row per topic that has requests created at or after `since_ts`, by
 * topic, then the total (topic ""). */
enum status store_mfigures(struct store *s, uint64_t since_ts, store_mfigures_fn each, void *ud);

#endif
