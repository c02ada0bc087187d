/*
 * What the files of the store module share with one another: the store
 * itself, store.c's statement table, and the helpers every query uses.
 * store.c owns the connection, the schema migrations and the batched writer;
 * store_mentoring.c adds the mentoring tables and their queries on the same
 * connection. Nothing outside server/store includes this header; it is the
 * one header that includes SQLite.
 *
 * Everything here runs on the loop thread, like the rest of the store.
 */
#ifndef KOLAB_STORE_INTERNAL_H
#define KOLAB_STORE_INTERNAL_H

#include <limits.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#include "store.h"

/* Room for store_mentoring.c's prepared statements. */
#define STORE_MSTMTS_MAX 64

/* store.c's prepared statements, by index into store->stmts. */
enum stmt_id {
    ST_BEGIN,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_SAVEPOINT,
    ST_RELEASE,
    ST_ROLLBACK_TO,
    ST_META_GET,
    ST_META_PUT,
    ST_USER_INSERT,
    ST_USER_BY_NAME,
    ST_USER_GET,
    ST_USER_SEARCH,
    ST_TOKEN_PUT,
    ST_TOKEN_GET,
    ST_TOKEN_DELETE,
    ST_TOKEN_PURGE,
    ST_ROOM_INSERT,
    ST_ROOM_GET,
    ST_ROOM_BY_DM,
    ST_ROOM_NEXT_SEQ,
    ST_MEMBER_INSERT,
    ST_MEMBER_DELETE,
    ST_MEMBER_GET,
    ST_MEMBERS,
    ST_USER_ROOMS,
    ST_SUMMARIES,
    ST_READ_MOVE,
    ST_MSG_BY_CLIENT,
    ST_MSG_EXISTS,
    ST_MSG_INSERT,
    ST_MSG_STATE,
    ST_MSG_EDIT,
    ST_MSG_DELETE,
    ST_MSG_GET,
    ST_MSG_HISTORY,
    ST_MSG_OLDER,
    ST_MSG_SINCE,
    ST_MSG_SINCE_GAP,
    ST_COUNT
};

struct store_op;
struct store_trouble;

struct store {
    uv_loop_t *loop;
    sqlite3 *db;
    sqlite3_stmt *stmts[ST_COUNT];
    /* store_mentoring.c's own statements (see there). */
    sqlite3_stmt *mstmts[STORE_MSTMTS_MAX];
    char epoch[STORE_EPOCH_LEN + 1];
    char path[PATH_MAX];

    /* Queued writes, oldest first. */
    struct store_op *head;
    struct store_op *tail;
    size_t queued;
    uv_timer_t batch_timer;
    /* Loop time (uv_now) when the last hot write was queued, and how many
     * operations the last batch committed. */
    uint64_t last_queued;
    size_t last_batch;
    bool flushing;

    /* The checkpointer's connection is used by one pool thread at a time;
     * ckpt_running (under ckpt_lock) says whether one is using it now. */
    sqlite3 *ckpt_db;
    sqlite3_stmt *ckpt_stmt;
    uv_timer_t ckpt_timer;
    uv_work_t ckpt_req;
    uv_mutex_t ckpt_lock;
    uv_cond_t ckpt_idle;
    bool ckpt_running;
    bool ckpt_busy;
    bool wal_dirty;
    int ckpt_rc;
    int ckpt_log;
    int ckpt_copied;

    /* A disk that refuses writes (full, read-only, failing) is logged when
     * it starts and when writes work again, not once per batch: `trouble`
     * is what it refuses with (NULL while writes work) and `trouble_count`
     * how many writes (batches or statements) it refused. `ckpt_trouble_rc`
     * does the same for the checkpoints, which would otherwise fail once a
     * second; `ckpt_errno` is the system error under the latest failure. */
    const struct store_trouble *trouble;
    uint64_t trouble_count;
    int ckpt_trouble_rc;
    int ckpt_errno;

    bool closing;
    int handles_open;
    struct store_stats stats;
};

/* ---- small helpers, inline so each file gets its own copy ------------------ */

static inline uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static inline bool text_fits(const char *text, size_t max)
{
    return text != NULL && strnlen(text, max + 1) <= max;
}

/* Ids and seqs come from clients too; anything beyond SQLite's integers
 * means "larger than any row", not a negative number. */
static inline void bind_u64(sqlite3_stmt *st, int i, uint64_t v)
{
    sqlite3_bind_int64(st, i, v > INT64_MAX ? INT64_MAX : (sqlite3_int64)v);
}

static inline void bind_text(sqlite3_stmt *st, int i, const char *text, size_t len)
{
    sqlite3_bind_text(st, i, text, (int)len, SQLITE_STATIC);
}

static inline uint64_t col_u64(sqlite3_stmt *st, int i)
{
    sqlite3_int64 v = sqlite3_column_int64(st, i);
    return v < 0 ? 0 : (uint64_t)v;
}

/* A text column, SQL NULL read as "". NULL only when SQLite ran out of memory
 * converting the value. */
static inline const char *col_text(sqlite3_stmt *st, int i, size_t *len)
{
    const char *text = (const char *)sqlite3_column_text(st, i);
    size_t n = (size_t)sqlite3_column_bytes(st, i);

    if (text == NULL && sqlite3_column_type(st, i) == SQLITE_NULL) {
        text = "";
        n = 0;
    }
    if (len != NULL) {
        *len = n;
    }
    return text;
}

static inline void col_copy(sqlite3_stmt *st, int i, char *out, size_t cap)
{
    size_t n = 0;
    const char *text = col_text(st, i, &n);

    if (text == NULL) {
        n = 0;
    }
    if (n >= cap) {
        n = cap - 1;
    }
    if (n > 0) {
        memcpy(out, text, n);
    }
    out[n] = '\0';
}

static inline void row_user(sqlite3_stmt *st, int c, struct store_user *u)
{
    u->id = col_u64(st, c);
    col_copy(st, c + 1, u->username, sizeof(u->username));
    col_copy(st, c + 2, u->name, sizeof(u->name));
    col_copy(st, c + 3, u->role, sizeof(u->role));
}

/* Resets a statement after use and drops its bindings, so no persistent
 * statement keeps pointing at a caller's buffer. */
static inline void stmt_end(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

/* ---- shared with store.c ----------------------------------------------------- */

/* Turns an SQLite result code into a status, logging our own failures
 * (not constraint answers). A disk that refuses the statement (full,
 * read-only, an I/O error) is STATUS_UNAVAILABLE and is noted as the store's
 * trouble (see store_write_trouble). `what` names the statement for the log. */
enum status store_db_status(struct store *s, int rc, const char *what);

/* Opens a write transaction (BEGIN IMMEDIATE: take the write lock first). */
enum status store_tx_begin(struct store *s);
/* Commits; on failure the transaction is rolled back. */
enum status store_tx_commit(struct store *s);
/* Ends the open transaction, if SQLite has not already ended it. */
void store_tx_rollback(struct store *s);

/* Inside the caller's transaction: inserts a room of `kind` with `creator`
 * and the `n` `members` as members (a member already in is skipped);
 * `dm_key` is NULL except for a dm. Strings are borrowed. */
enum status store_room_insert(struct store *s, const char *kind, const char *title,
                              uint64_t creator, const uint64_t *members, size_t n,
                              const char *dm_key, struct store_room *out);
/* Adds `user` to `room` at `now`; *added is false when already a member.
 * STATUS_NOT_FOUND (a foreign key) when either does not exist. */
enum status store_member_insert(struct store *s, uint64_t room, uint64_t user, uint64_t now,
                                bool *added);
/* Removes `user` from `room`; *removed is false when not a member. */
enum status store_member_delete(struct store *s, uint64_t room, uint64_t user, bool *removed);

/* ---- provided by store_mentoring.c ---------------------------------------- */

/* Migration step 2: the mentoring tables. */
extern const char store_schema_mentoring[];
/* Prepares store_mentoring.c's statements, after the migrations ran. */
enum status store_mentoring_prepare(struct store *s);
/* Finalizes them; safe on a store whose prepare failed half way. */
void store_mentoring_release(struct store *s);

#endif
