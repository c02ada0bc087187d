/*
 * The store: everything Kolab keeps, in one SQLite database in WAL mode
 * (`<data dir>/kolab.db`). This is the only module that includes SQLite and
 * the only place that holds SQL. The schema and why it looks the way it
 * does are described at the top of store.c.
 *
 * Two kinds of call:
 *  - Reads and rare writes (accounts, tokens, rooms, members) run at once and
 *    return their result.
 *  - The hot writes (messages, edits, deletions, read markers) are queued.
 *    The store collects them for STORE_BATCH_MS milliseconds or up to
 *    STORE_BATCH_ROWS operations (one that follows a quiet spell, on the
 *    next loop turn) and commits them in one transaction; each
 *    operation's callback runs only after that commit succeeded (or with an
 *    error status after it failed). A room's seq is assigned inside that
 *    transaction. One failed operation leaves no trace and does not fail the
 *    others in its batch.
 *
 * Every function runs on the loop thread only. Strings handed to callbacks
 * are borrowed for the duration of the callback. The callbacks of the
 * reading functions run while their query is open: they may call other store
 * functions, but not the function that is calling them.
 */
#ifndef KOLAB_STORE_H
#define KOLAB_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "status.h"

#define STORE_BATCH_MS 2
/* Also the most operations one transaction holds. */
#define STORE_BATCH_ROWS 256

#define STORE_USERNAME_MAX 32
#define STORE_NAME_MAX     100
#define STORE_TITLE_MAX    100
#define STORE_KIND_MAX     15
#define STORE_ROLE_MAX     15
#define STORE_EPOCH_LEN    16
/* Most members a room may have at creation through one call. */
#define STORE_MEMBERS_MAX 256
/* store_history's `before` that asks for the newest messages: every seq is
 * below it. */
#define STORE_NEWEST UINT64_MAX

struct store;

struct store_user {
    uint64_t id;
    char username[STORE_USERNAME_MAX + 1];
    char name[STORE_NAME_MAX + 1];
    char role[STORE_ROLE_MAX + 1];
};

struct store_room {
    uint64_t id;
    char kind[STORE_KIND_MAX + 1];
    char title[STORE_TITLE_MAX + 1];
    uint64_t creator;
    uint64_t last_seq;
    uint64_t created_ts;
};

/* A message as stored. `body` and `client_id` are borrowed and carry their
 * lengths; `reply_to` and `edited_ts` are 0 when unset. */
struct store_message {
    uint64_t room;
    uint64_t seq;
    uint64_t from;
    uint64_t ts;
    const char *kind;
    const char *body;
    size_t body_len;
    const char *client_id;
    size_t client_id_len;
    uint64_t reply_to;
    uint64_t edited_ts;
    bool deleted;
};

/* One line of a user's room list. For a `dm`, `peer` is the other member. */
struct store_room_summary {
    struct store_room room;
    uint64_t last_read;
    uint64_t unread;
    struct store_user peer;
    bool has_last;
    struct store_message last;
};

typedef void (*store_message_fn)(void *ud, const struct store_message *m);
typedef void (*store_user_fn)(void *ud, const struct store_user *u);
typedef void (*store_summary_fn)(void *ud, const struct store_room_summary *s);
typedef void (*store_member_fn)(void *ud, const struct store_user *u, uint64_t last_read);

/* Counters since store_open, for metrics and tests. */
struct store_stats {
    uint64_t commits;        /* batches committed */
    uint64_t ops;            /* queued operations in those batches */
    uint64_t failed_batches; /* batches whose transaction failed */
    uint64_t checkpoints;    /* background WAL checkpoints completed */
};

/* ---- life cycle --------------------------------------------------------- */

/*
 * Opens (creating when missing) `dir` and the database in it, switches to WAL
 * mode, creates or migrates the schema through PRAGMA user_version, and
 * stores a new random epoch the first time. Timers run on `loop`. *created is
 * set when the database was new (for demo seeding). Caller owns *out.
 */
enum status store_open(uv_loop_t *loop, const char *dir, struct store **out, bool *created);

/* Commits what is queued now, synchronously, running its callbacks. Called
 * from inside one of those callbacks it does nothing; what that callback
 * queues waits for the next batch. */
void store_flush(struct store *s);

/* Flushes, stops the timers and closes the database. Queued calls made from
 * then on return STATUS_UNAVAILABLE. The loop must run once more afterwards
 * so the timer handles close; `s` is freed then. Not from a store callback. */
void store_close(struct store *s);

/* This database's epoch: STORE_EPOCH_LEN hex characters, borrowed. */
const char *store_epoch(const struct store *s);

/* The schema version the store migrates to. */
int store_schema_version(void);

/* Copies the store's counters into *out. */
void store_stats(const struct store *s, struct store_stats *out);

/* While the disk refuses writes (it is full, read-only or failing), a
 * sentence for the clients whose requests fail because of it, such as "the
 * server's disk is full; try again later"; NULL while writes work. Set by
 * the first write the disk refuses, cleared by the next commit that
 * succeeds. Borrowed, static. */
const char *store_write_trouble(const struct store *s);

/* ---- accounts and tokens ------------------------------------------------ */

/* STATUS_CONFLICT when the username is taken. `password_record` is the
 * opaque string from auth_password_hash. */
enum status store_user_create(struct store *s, const char *username, const char *name,
                              const char *role, const char *password_record,
                              struct store_user *out);
/* STATUS_NOT_FOUND when absent. `record` (may be NULL) receives the password
 * record, cut to `record_cap`. */
enum status store_user_by_name(struct store *s, const char *username, struct store_user *out,
                               char *record, size_t record_cap);
enum status store_user_get(struct store *s, uint64_t id, struct store_user *out);
/* Users whose username or name contains `query` (case-insensitive; empty
 * matches all), by username, at most `limit`. */
enum status store_user_search(struct store *s, const char *query, unsigned limit,
                              store_user_fn each, void *ud);

enum status store_token_put(struct store *s, const uint8_t hash[32], uint64_t user,
                            uint64_t expires_ms);
/* STATUS_UNAUTHENTICATED when unknown or expired at `now_ms`. */
enum status store_token_lookup(struct store *s, const uint8_t hash[32], uint64_t now_ms,
                               uint64_t *user, uint64_t *expires_ms);
/* Deleting an unknown token is not an error. */
enum status store_token_delete(struct store *s, const uint8_t hash[32]);
/* Deletes tokens expired before `now_ms`. */
enum status store_token_purge(struct store *s, uint64_t now_ms);

/* ---- rooms and members -------------------------------------------------- */

/*
 * Creates a room of `kind` with `creator` and the `n` other `members` (no
 * duplicates expected; the creator among them is ignored). For kind "dm"
 * exactly one other member is required and an existing dm between the same
 * two people, either way round, is returned with *existed set.
 * STATUS_NOT_FOUND when a member does not exist.
 */
enum status store_room_create(struct store *s, const char *kind, const char *title,
                              uint64_t creator, const uint64_t *members, size_t n,
                              struct store_room *out, bool *existed);
enum status store_room_get(struct store *s, uint64_t room, struct store_room *out);

/* *member tells whether `user` belongs to `room` (false too when the room
 * does not exist); *last_read (may be NULL) is their read marker. */
enum status store_member_get(struct store *s, uint64_t room, uint64_t user, bool *member,
                             uint64_t *last_read);
/* STATUS_CONFLICT when already a member (add) or not one (remove);
 * STATUS_NOT_FOUND when the room or the user does not exist. */
enum status store_member_add(struct store *s, uint64_t room, uint64_t user);
enum status store_member_remove(struct store *s, uint64_t room, uint64_t user);
/* The members of `room` by username, each with their read marker. */
enum status store_members(struct store *s, uint64_t room, store_member_fn each, void *ud);
/* The ids of the rooms `user` belongs to, at most `cap`. */
enum status store_user_rooms(struct store *s, uint64_t user, uint64_t *out, size_t cap, size_t *n);
/* The user's rooms, the most recently active first. */
enum status store_room_summaries(struct store *s, uint64_t user, store_summary_fn each, void *ud);

/* ---- messages: queued writes ---------------------------------------------- */

/* Each of the four calls below returns STATUS_OK once the operation is
 * queued. Any other status (STATUS_NOMEM, STATUS_UNAVAILABLE after
 * store_close, STATUS_BAD_REQUEST, STATUS_TOO_LARGE) means nothing was queued
 * and the callback never runs. A NULL callback is allowed. */

/* `m` is the stored message, NULL unless `st` is STATUS_OK; `duplicate` is
 * set when (room, from, client_id) was already stored, and `m` is then the
 * original. A batch whose transaction failed reports STATUS_UNAVAILABLE to
 * every callback in it, and stored nothing. */
typedef void (*store_append_fn)(void *ud, enum status st, const struct store_message *m,
                                bool duplicate);
typedef void (*store_edit_fn)(void *ud, enum status st, uint64_t edited_ts);
/* `changed` is false when the message was already deleted. */
typedef void (*store_delete_fn)(void *ud, enum status st, bool changed);
/* `seq` is the marker after the call; `moved` is false when it stayed. */
typedef void (*store_read_fn)(void *ud, enum status st, uint64_t seq, bool moved);

/*
 * Queues a message. `kind` is "text" or "system" (`from` 0 for system).
 * `reply_to`, when not 0, must be a seq of the same room (STATUS_NOT_FOUND
 * otherwise). The server sets ts at commit. Strings are copied. An empty
 * `client_id` (system lines) is never treated as a resend. The callback
 * gets STATUS_NOT_FOUND also when the room does not exist.
 */
enum status store_append(struct store *s, uint64_t room, uint64_t from, const char *kind,
                         const char *body, size_t body_len, const char *client_id,
                         size_t client_id_len, uint64_t reply_to, store_append_fn cb, void *ud);
/* Only the author may edit (STATUS_FORBIDDEN); a deleted message is
 * STATUS_CONFLICT; an unknown seq STATUS_NOT_FOUND. */
enum status store_edit(struct store *s, uint64_t room, uint64_t seq, uint64_t user,
                       const char *body, size_t body_len, store_edit_fn cb, void *ud);
/* The author, or anyone when `moderator` is set, may delete; nobody
 * deletes a system line (from 0): STATUS_FORBIDDEN. The body is cleared for
 * good. */
enum status store_delete(struct store *s, uint64_t room, uint64_t seq, uint64_t user,
                         bool moderator, store_delete_fn cb, void *ud);
/* Moves the read marker forward only, never past the room's last seq.
 * STATUS_NOT_FOUND when `user` is not a member of `room`. */
enum status store_read(struct store *s, uint64_t room, uint64_t user, uint64_t seq,
                       store_read_fn cb, void *ud);

/* ---- messages: reads -------------------------------------------------------- */

/* Up to `limit` messages with seq < `before` (STORE_NEWEST: the newest), in ascending
 * seq order; *more tells whether older ones exist. STATUS_BAD_REQUEST when
 * `limit` is 0. */
enum status store_history(struct store *s, uint64_t room, uint64_t before, unsigned limit,
                          store_message_fn each, void *ud, bool *more);
/*
 * Every message with seq > `since`, ascending. When there are more than
 * `cap`, nothing is passed to `each` and *gap is set.
 */
enum status store_since(struct store *s, uint64_t room, uint64_t since, unsigned cap,
                        store_message_fn each, void *ud, bool *gap);
/* One message. STATUS_NOT_FOUND when absent. */
enum status store_message_get(struct store *s, uint64_t room, uint64_t seq, store_message_fn each,
                              void *ud);

#endif
