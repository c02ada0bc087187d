/*
 * The store keeps everything Kolab remembers in one SQLite database,
 * `<data dir>/kolab.db`. This comment describes what is in that file and why
 * it is shaped the way it is; the code below only moves rows in and out.
 *
 * THE FILE AND ITS DURABILITY
 *
 * The database runs in WAL mode: a commit appends the changed pages to
 * `kolab.db-wal`, and readers keep reading the snapshot they started with, so
 * a query never waits for the writer and the writer never waits for a query.
 * Several kolabd processes on one machine may share the file; SQLite lets one
 * of them write at a time, so every write transaction starts with
 * `BEGIN IMMEDIATE` (take the write lock first, rather than fail half way
 * through) and every connection waits up to five seconds for a lock before
 * giving up with SQLITE_BUSY.
 *
 * `synchronous=NORMAL` writes each commit into the WAL without waiting for
 * fsync. The pages are then in the kernel's hands, so a kolabd killed at any
 * moment, even with SIGKILL, loses nothing it acknowledged. A power cut or a
 * kernel crash can still lose the last commits, and so can a disk error that
 * makes the file system abort its journal (ext4 then turns read-only and
 * drops what it had not yet written back); surviving those would need
 * `synchronous=FULL`, one fsync per commit, which costs far more than the
 * whole batched insert.
 *
 * A disk that refuses writes (full, read-only, failing) does not stop the
 * reads: they are served from what is already written. Every refused write
 * fails its request with STATUS_UNAVAILABLE and a sentence that says why
 * (store_write_trouble), and the log gets one line when the refusals start
 * and one when a commit goes through again, however many writes fail in
 * between. A refused commit stores nothing, so the store simply carries on
 * once the disk takes writes again; no restart is needed.
 *
 * SQLite normally copies WAL pages back into the main file ("checkpoints")
 * inside whichever COMMIT makes the WAL pass a thousand pages, which would
 * stall the event loop for the length of that copy. The main connection turns
 * this off (`wal_autocheckpoint=0`). Instead a timer, once a second and only
 * when something was committed since the last time, hands a PASSIVE
 * checkpoint to libuv's thread pool. It runs on a second connection that
 * exists for nothing else, never two at once. PASSIVE never waits for a lock:
 * it copies what no reader still needs and leaves the rest for the next tick.
 * `journal_size_limit` shrinks the WAL file back once it has been reused.
 *
 * THE TABLES
 *
 * All ids are SQLite rowids (INTEGER PRIMARY KEY), so a lookup by id is one
 * b-tree search. All times are milliseconds since the Unix epoch, UTC.
 *
 * users(id, username UNIQUE, name, role, password, created_ts)
 *   `username` is the login name; its UNIQUE constraint, not a lookup before
 *   the insert, is what refuses a taken name, so two nodes registering the
 *   same name at once cannot both succeed. `password` holds the opaque record
 *   made by the auth module (algorithm, parameters, salt and hash), never a
 *   password. The index on `role` (step 2) serves "every mentor" and "every
 *   moderator and admin", who are told of each change to a mentoring request.
 *
 * tokens(hash PRIMARY KEY, user, expires_ts)
 *   A session token is kept only as its SHA-256, so a copy of the database
 *   logs nobody in. The table is WITHOUT ROWID because the hash is the only
 *   way it is ever searched; an index on expires_ts makes purging cheap.
 *
 * rooms(id, kind, title, creator, last_seq, created_ts, dm_key UNIQUE)
 *   `last_seq` is the seq of the room's newest message and the heart of
 *   ordering. An append raises it with `UPDATE ... RETURNING` inside the same
 *   transaction that inserts the message, so two writers, even in two
 *   processes, can never hand out the same seq, and an append that is rolled
 *   back takes its seq with it: seqs have no gaps. `dm_key` is "minid:maxid"
 *   for a direct-message room and NULL otherwise. Its UNIQUE constraint is
 *   what keeps one dm per pair of people even when both start it at the same
 *   moment; NULLs never collide, so other rooms are not affected.
 *
 * members(room, user, last_read, joined_ts), PRIMARY KEY(room, user)
 *   WITHOUT ROWID, so the rows of one room sit together and "who is in this
 *   room" is a range scan; the index on (user, room) serves "which rooms is
 *   this user in". `last_read` is the read marker: the highest seq the user
 *   has read. It only moves forward and never beyond the room's last_seq.
 *
 * messages(room, seq, sender, ts, kind, body, client_id, reply_to, edited_ts,
 *          deleted), PRIMARY KEY(room, seq), UNIQUE(room, sender, client_id)
 *   Rows are never removed. Deleting a message clears its body and sets
 *   `deleted`, so seqs 1 to last_seq of a room are always all present; that
 *   is what lets a client resume "after seq N" and trust there is no hole.
 *   `sender` is a user id, or 0 for lines the server writes itself, which is
 *   why it has no foreign key. `ts` is set when the batch commits.
 *   `client_id` is the sender's idempotency key: every append first looks up
 *   (room, sender, client_id) and answers a resend with the original, and the
 *   UNIQUE constraint would refuse a second copy should that lookup ever be
 *   skipped. Lines without a client_id store NULL, which UNIQUE lets repeat.
 *   `reply_to` and `edited_ts` are NULL when unset. This is an ordinary rowid
 *   table, not WITHOUT ROWID, because a body may be a few kilobytes and rows
 *   that large belong in a rowid table.
 *
 * meta(key, value)
 *   Holds `epoch`: sixteen random hex digits made when the database is first
 *   opened. Seqs mean something only within one database; if the data
 *   directory is wiped, seqs start again from 1 and a client resuming "after
 *   seq 500" would silently miss messages. Clients send back the epoch they
 *   saw, and a different one tells them to start over. The mentoring
 *   settings live here too, as `setting.<name>` = "true" or "false", so a
 *   new setting needs no new table and a missing row means the default.
 *
 * MENTORING (migration step 2, queries in store_mentoring.c)
 *
 * A business asks for help on a topic; the request waits in a queue, is
 * offered to a mentor, accepted (which makes a `mentoring` room for the two
 * of them), and finally closed with a rating or cancelled. Every change of
 * state is one conditional UPDATE (`... WHERE id = ? AND status IN (...)
 * RETURNING`) inside a BEGIN IMMEDIATE transaction, so of two processes
 * answering the same offer at once exactly one changes the row and the
 * other finds nothing to change and is told so.
 *
 * mentoring_requests(id, business, topic, description, status, mentor,
 *                    room UNIQUE, created_ts, queued_ts, assigned_ts,
 *                    first_assigned_ts, accepted_ts, closed_ts, rating,
 *                    comment, note)
 *   `status` is the wire name ('waiting', 'offered', 'active', 'closed',
 *   'cancelled'), readable in the file and guarded by a CHECK. The queue is
 *   ordered by (queued_ts, id): queued_ts is set once at creation and kept
 *   when a declined request goes back, so it returns to its old place. A
 *   request's position is not stored, since every change to the queue would
 *   rewrite every row behind it; it is counted when read, through the
 *   partial index of waiting requests, which stays as small as the queue.
 *   `mentor` is the user it is offered to or held by (NULL while waiting; a
 *   cancelled request keeps the mentor it was offered to). `room` is NULL
 *   until accepted, and UNIQUE so a room is never two mentorships.
 *   `assigned_ts` is the latest offer; `first_assigned_ts` the first, which
 *   the figures' waiting time is measured to. `note` is the latest decline
 *   reason or transfer note; the full story is in mentoring_routes. Indexes:
 *   (business, id) for a business's list, (mentor, status) for a mentor's
 *   list and load, (created_ts) for the figures.
 *
 * mentoring_routes(id, request, kind, actor, mentor, note, ts)
 *   Every offer, decline and transfer, never changed or removed: who did it
 *   (`actor`; 0 is the server's own auto-assign, hence no foreign key), to
 *   or by which mentor, when, and the reason or note given. It is what
 *   keeps a mentor who declined a request from ever being picked for it
 *   again; the index on (request, kind, mentor) answers that in one search.
 *
 * mentors(user PRIMARY KEY, available, updated_ts)
 * mentor_topics(user, topic), PRIMARY KEY(user, topic)
 *   A mentor's profile. A user with role 'mentor' and no row is read as
 *   unavailable with no topics, so making a mentor account needs nothing
 *   here. The topics are a table of their own, WITHOUT ROWID, rather than a
 *   list in one column, so "who covers bookkeeping" is the index on
 *   (topic, user) and not a scan of every profile. A mentor's load (requests
 *   offered to or active with them) is counted when read, never stored,
 *   so it cannot drift from the requests themselves.
 *
 * mentoring_sessions(id, request, room, starts_ts, duration_min, agenda,
 *                    cancelled, reminded, created_by, created_ts, updated_ts)
 *   Scheduled meetings. A cancelled session stays, marked. `reminded` is
 *   how several processes agree that exactly one of them posts the
 *   reminder: each claims due sessions with one UPDATE that sets it, and
 *   only the rows that UPDATE returned are its to announce. A reschedule
 *   clears it. The partial index on starts_ts holds only sessions neither
 *   cancelled nor reminded, and the scan reads it from a day back (no
 *   session is longer) to the reminder's lead, so it stays a short read
 *   however many sessions the file has seen.
 *
 * mentoring_notes(id, request, room, author, body, created_ts, updated_ts)
 * mentoring_actions(id, request, room, text, owner, due, done, created_by,
 *                   created_ts, updated_ts)
 *   The mentor's notes and the action items agreed in a mentorship, listed
 *   by room through the indexes on (room, id). `due` is a "YYYY-MM-DD" date
 *   in the business's time zone, or '' for none: a date, not an instant,
 *   so it is kept as text. Like sessions, they change only while their
 *   request is active; every write says so in its own WHERE clause.
 *
 * calls(id, room, state, started_by, started_ts, accepted_ts, ended_ts,
 *       end_reason)
 *   Voice and video calls, kept after they end for the call_ended line's
 *   duration. A UNIQUE partial index on room over the rows 'ringing' or
 *   'active' is what allows one current call per room: a second start, from
 *   any process, breaks the constraint instead of racing a lookup.
 *
 * MIGRATIONS
 *
 * `PRAGMA user_version` holds the schema version; a new file is version 0.
 * The `migrations` table below lists the steps in order, and store_open
 * applies each missing one in its own BEGIN IMMEDIATE transaction, reading
 * user_version again inside it so that two processes starting together apply
 * each step once. A released step is never edited: a change is a new step. A
 * database newer than this program is refused rather than guessed at.
 * Step 1 made the tables of a chat; step 2 added the mentoring tables.
 *
 * THE BATCHED WRITER
 *
 * Messages, edits, deletions and read markers are the hot writes. They wait
 * in memory for STORE_BATCH_MS, or until STORE_BATCH_ROWS are waiting, and
 * then commit together: one transaction and one WAL append instead of
 * hundreds. A write that follows a quiet spell (nothing queued for
 * STORE_BATCH_MS) commits on the next loop turn instead, so that a lone
 * message's sender waits for no timer. Inside the transaction each
 * operation runs in its own SAVEPOINT, so one that fails (a reply to a
 * message that does not exist, a room that is gone) is rolled back alone,
 * takes no seq, and the rest still commit. Only after COMMIT succeeds does
 * each operation's callback run; that is the point where a reply may say
 * "stored". If the transaction itself fails, every operation in it is
 * reported as unavailable and nothing was stored.
 */
#include "store_internal.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define STORE_DB_NAME         "kolab.db"
#define STORE_BUSY_TIMEOUT_MS 5000
#define STORE_CHECKPOINT_MS   1000
/* Once a checkpoint lets the WAL start over, it is cut back to this size. */
#define STORE_WAL_LIMIT_BYTES (64 * 1024 * 1024)
/* Far above any protocol limit; keeps every length within SQLite's int. */
#define STORE_TEXT_LIMIT (16 * 1024 * 1024)
/* A search longer than the longest name cannot match anything. */
#define STORE_QUERY_MAX STORE_NAME_MAX

/* ---- schema ------------------------------------------------------------- */

static const char schema_v1[] = "CREATE TABLE meta ("
                                "  key TEXT PRIMARY KEY,"
                                "  value TEXT NOT NULL"
                                ") WITHOUT ROWID;"
                                "CREATE TABLE users ("
                                "  id INTEGER PRIMARY KEY,"
                                "  username TEXT NOT NULL UNIQUE,"
                                "  name TEXT NOT NULL,"
                                "  role TEXT NOT NULL,"
                                "  password TEXT NOT NULL,"
                                "  created_ts INTEGER NOT NULL"
                                ");"
                                "CREATE TABLE tokens ("
                                "  hash BLOB PRIMARY KEY,"
                                "  user INTEGER NOT NULL REFERENCES users(id),"
                                "  expires_ts INTEGER NOT NULL"
                                ") WITHOUT ROWID;"
                                "CREATE INDEX tokens_expiry ON tokens(expires_ts);"
                                "CREATE INDEX tokens_user ON tokens(user);"
                                "CREATE TABLE rooms ("
                                "  id INTEGER PRIMARY KEY,"
                                "  kind TEXT NOT NULL,"
                                "  title TEXT NOT NULL,"
                                "  creator INTEGER NOT NULL REFERENCES users(id),"
                                "  last_seq INTEGER NOT NULL DEFAULT 0,"
                                "  created_ts INTEGER NOT NULL,"
                                "  dm_key TEXT UNIQUE"
                                ");"
                                "CREATE TABLE members ("
                                "  room INTEGER NOT NULL REFERENCES rooms(id),"
                                "  user INTEGER NOT NULL REFERENCES users(id),"
                                "  last_read INTEGER NOT NULL DEFAULT 0,"
                                "  joined_ts INTEGER NOT NULL,"
                                "  PRIMARY KEY (room, user)"
                                ") WITHOUT ROWID;"
                                "CREATE INDEX members_user ON members(user, room);"
                                "CREATE TABLE messages ("
                                "  room INTEGER NOT NULL REFERENCES rooms(id),"
                                "  seq INTEGER NOT NULL,"
                                "  sender INTEGER NOT NULL,"
                                "  ts INTEGER NOT NULL,"
                                "  kind TEXT NOT NULL,"
                                "  body TEXT NOT NULL,"
                                "  client_id TEXT,"
                                "  reply_to INTEGER,"
                                "  edited_ts INTEGER,"
                                "  deleted INTEGER NOT NULL DEFAULT 0,"
                                "  PRIMARY KEY (room, seq),"
                                "  UNIQUE (room, sender, client_id)"
                                ");";

struct migration {
    int version;
    const char *what;
    const char *sql;
};

/* Step i takes the database from version i to version i + 1. */
static const struct migration migrations[] = {
    {1, "initial schema", schema_v1},
    {2, "mentoring", store_schema_mentoring},
};

#define SCHEMA_VERSION ((int)(sizeof(migrations) / sizeof(migrations[0])))

/* ---- statements --------------------------------------------------------- */

/* The columns every message query returns, in the order row_message reads. */
#define MSG_COLS  "seq, sender, ts, kind, body, client_id, reply_to, edited_ts, deleted"
#define ROOM_COLS "id, kind, title, creator, last_seq, created_ts"

struct stmt_def {
    const char *name;
    const char *sql;
};

static const struct stmt_def stmt_defs[ST_COUNT] = {
    [ST_BEGIN] = {"begin", "BEGIN IMMEDIATE"},
    [ST_COMMIT] = {"commit", "COMMIT"},
    [ST_ROLLBACK] = {"rollback", "ROLLBACK"},
    [ST_SAVEPOINT] = {"savepoint", "SAVEPOINT op"},
    [ST_RELEASE] = {"release", "RELEASE op"},
    [ST_ROLLBACK_TO] = {"rollback_to", "ROLLBACK TO op"},
    [ST_META_GET] = {"meta_get", "SELECT value FROM meta WHERE key = ?1"},
    [ST_META_PUT] = {"meta_put", "INSERT INTO meta(key, value) VALUES (?1, ?2) "
                                 "ON CONFLICT (key) DO NOTHING"},
    [ST_USER_INSERT] = {"user_insert",
                        "INSERT INTO users(username, name, role, password, created_ts) "
                        "VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id"},
    [ST_USER_BY_NAME] = {"user_by_name", "SELECT id, username, name, role, password "
                                         "FROM users WHERE username = ?1"},
    [ST_USER_GET] = {"user_get", "SELECT id, username, name, role FROM users WHERE id = ?1"},
    [ST_USER_SEARCH] = {"user_search", "SELECT id, username, name, role FROM users "
                                       "WHERE username LIKE ?1 ESCAPE '\\' "
                                       "OR name LIKE ?1 ESCAPE '\\' "
                                       "ORDER BY username LIMIT ?2"},
    [ST_TOKEN_PUT] = {"token_put", "INSERT INTO tokens(hash, user, expires_ts) "
                                   "VALUES (?1, ?2, ?3)"},
    [ST_TOKEN_GET] = {"token_get", "SELECT user, expires_ts FROM tokens WHERE hash = ?1"},
    [ST_TOKEN_DELETE] = {"token_delete", "DELETE FROM tokens WHERE hash = ?1"},
    [ST_TOKEN_PURGE] = {"token_purge", "DELETE FROM tokens WHERE expires_ts <= ?1"},
    [ST_ROOM_INSERT] = {"room_insert",
                        "INSERT INTO rooms(kind, title, creator, created_ts, dm_key) "
                        "VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id"},
    [ST_ROOM_GET] = {"room_get", "SELECT " ROOM_COLS " FROM rooms WHERE id = ?1"},
    [ST_ROOM_BY_DM] = {"room_by_dm", "SELECT " ROOM_COLS " FROM rooms WHERE dm_key = ?1"},
    [ST_ROOM_NEXT_SEQ] = {"room_next_seq", "UPDATE rooms SET last_seq = last_seq + 1 "
                                           "WHERE id = ?1 RETURNING last_seq"},
    [ST_MEMBER_INSERT] = {"member_insert", "INSERT INTO members(room, user, last_read, joined_ts) "
                                           "VALUES (?1, ?2, 0, ?3) ON CONFLICT DO NOTHING"},
    [ST_MEMBER_DELETE] = {"member_delete", "DELETE FROM members WHERE room = ?1 AND user = ?2"},
    [ST_MEMBER_GET] = {"member_get", "SELECT last_read FROM members "
                                     "WHERE room = ?1 AND user = ?2"},
    [ST_MEMBERS] = {"members", "SELECT u.id, u.username, u.name, u.role, m.last_read "
                               "FROM members m JOIN users u ON u.id = m.user "
                               "WHERE m.room = ?1 ORDER BY u.username"},
    [ST_USER_ROOMS] = {"user_rooms", "SELECT room FROM members WHERE user = ?1 "
                                     "ORDER BY room LIMIT ?2"},
    /* One row per room of the user: the room, the marker, the unread count,
     * the dm peer (NULLs otherwise) and the newest message (NULLs if none).
     * The newest message is the one at last_seq, since rows are never removed. */
    [ST_SUMMARIES] = {"summaries",
                      "SELECT r.id, r.kind, r.title, r.creator, r.last_seq, r.created_ts, "
                      "  m.last_read, "
                      "  (SELECT count(*) FROM messages x WHERE x.room = r.id "
                      "   AND x.seq > m.last_read AND x.sender <> m.user AND x.deleted = 0), "
                      "  p.id, p.username, p.name, p.role, "
                      "  l.seq, l.sender, l.ts, l.kind, l.body, l.client_id, l.reply_to, "
                      "  l.edited_ts, l.deleted "
                      "FROM members m JOIN rooms r ON r.id = m.room "
                      "LEFT JOIN users p ON r.kind = 'dm' AND p.id = "
                      "  (SELECT o.user FROM members o WHERE o.room = r.id AND o.user <> m.user "
                      "   LIMIT 1) "
                      "LEFT JOIN messages l ON l.room = r.id AND l.seq = r.last_seq "
                      "WHERE m.user = ?1 "
                      "ORDER BY coalesce(l.ts, r.created_ts) DESC, r.id DESC"},
    [ST_READ_MOVE] = {"read_move", "UPDATE members SET last_read = "
                                   "  min(?3, (SELECT last_seq FROM rooms WHERE id = ?1)) "
                                   "WHERE room = ?1 AND user = ?2 AND last_read < "
                                   "  min(?3, (SELECT last_seq FROM rooms WHERE id = ?1)) "
                                   "RETURNING last_read"},
    [ST_MSG_BY_CLIENT] = {"msg_by_client", "SELECT " MSG_COLS " FROM messages "
                                           "WHERE room = ?1 AND sender = ?2 AND client_id = ?3"},
    [ST_MSG_EXISTS] = {"msg_exists", "SELECT 1 FROM messages WHERE room = ?1 AND seq = ?2"},
    [ST_MSG_INSERT] = {"msg_insert", "INSERT INTO messages(room, seq, sender, ts, kind, body, "
                                     "client_id, reply_to) "
                                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"},
    [ST_MSG_STATE] = {"msg_state", "SELECT sender, deleted FROM messages "
                                   "WHERE room = ?1 AND seq = ?2"},
    [ST_MSG_EDIT] = {"msg_edit", "UPDATE messages SET body = ?3, edited_ts = ?4 "
                                 "WHERE room = ?1 AND seq = ?2"},
    [ST_MSG_DELETE] = {"msg_delete", "UPDATE messages SET body = '', deleted = 1 "
                                     "WHERE room = ?1 AND seq = ?2"},
    [ST_MSG_GET] = {"msg_get", "SELECT " MSG_COLS " FROM messages WHERE room = ?1 AND seq = ?2"},
    [ST_MSG_HISTORY] = {"msg_history", "SELECT * FROM (SELECT " MSG_COLS " FROM messages "
                                       "WHERE room = ?1 AND seq < ?2 "
                                       "ORDER BY seq DESC LIMIT ?3) ORDER BY seq"},
    [ST_MSG_OLDER] = {"msg_older", "SELECT EXISTS (SELECT 1 FROM messages "
                                   "WHERE room = ?1 AND seq < ?2)"},
    /* One statement reads one snapshot, so the "not more than ?3" test and
     * the rows it allows cannot disagree, whoever writes meanwhile. */
    [ST_MSG_SINCE] = {"msg_since", "SELECT " MSG_COLS " FROM messages "
                                   "WHERE room = ?1 AND seq > ?2 AND NOT EXISTS "
                                   "  (SELECT 1 FROM messages WHERE room = ?1 AND seq > ?2 "
                                   "   ORDER BY seq LIMIT 1 OFFSET ?3) "
                                   "ORDER BY seq LIMIT ?3"},
    [ST_MSG_SINCE_GAP] = {"msg_since_gap", "SELECT EXISTS (SELECT 1 FROM messages "
                                           "WHERE room = ?1 AND seq > ?2 "
                                           "ORDER BY seq LIMIT 1 OFFSET ?3)"},
};

/* ---- the store and its queued operations -------------------------------- */

enum op_type { OP_APPEND, OP_EDIT, OP_DELETE, OP_READ };

/*
 * One queued write. The request's strings are copied into `data` so the
 * caller's buffers may go away at once; the result fields are filled inside
 * the transaction and handed to the callback after COMMIT.
 */
struct store_op {
    struct store_op *next;
    enum op_type type;
    uint64_t room;
    uint64_t seq;
    uint64_t user;
    uint64_t reply_to;
    bool moderator;
    char kind[STORE_KIND_MAX + 1];
    char *body;
    size_t body_len;
    char *client_id;
    size_t client_id_len;
    union {
        store_append_fn append;
        store_edit_fn edit;
        store_delete_fn del;
        store_read_fn read;
    } cb;
    void *ud;

    enum status st;
    struct store_message msg;
    /* The stored body of a duplicate append, which may differ from `body`. */
    char *original_body;
    bool duplicate;
    bool changed;
    bool moved;
    uint64_t edited_ts;
    uint64_t read_seq;
    char data[];
};

/* ---- small helpers ------------------------------------------------------ */

/* Copies `len` bytes to `dst` and terminates them; returns the byte after. */
static char *copy_text(char *dst, const char *src, size_t len)
{
    if (len > 0) {
        memcpy(dst, src, len);
    }
    dst[len] = '\0';
    return dst + len + 1;
}

static void row_room(sqlite3_stmt *st, int c, struct store_room *r)
{
    r->id = col_u64(st, c);
    col_copy(st, c + 1, r->kind, sizeof(r->kind));
    col_copy(st, c + 2, r->title, sizeof(r->title));
    r->creator = col_u64(st, c + 3);
    r->last_seq = col_u64(st, c + 4);
    r->created_ts = col_u64(st, c + 5);
}

/* Fills `m` from the MSG_COLS columns starting at `c`. Its strings belong to
 * SQLite and stay valid until the statement steps or resets. */
static enum status row_message(sqlite3_stmt *st, int c, uint64_t room, struct store_message *m)
{
    m->room = room;
    m->seq = col_u64(st, c);
    m->from = col_u64(st, c + 1);
    m->ts = col_u64(st, c + 2);
    m->kind = col_text(st, c + 3, NULL);
    m->body = col_text(st, c + 4, &m->body_len);
    m->client_id = col_text(st, c + 5, &m->client_id_len);
    m->reply_to = col_u64(st, c + 6);
    m->edited_ts = col_u64(st, c + 7);
    m->deleted = sqlite3_column_int(st, c + 8) != 0;
    if (m->kind == NULL || m->body == NULL || m->client_id == NULL) {
        return STATUS_NOMEM;
    }
    return STATUS_OK;
}

/* ---- a disk that refuses writes ------------------------------------------ */

/* What the disk refused a write with: a short reason for the log and the
 * sentence for the clients whose requests it failed. */
struct store_trouble {
    const char *why;
    const char *message;
};

static const struct store_trouble trouble_full = {"disk full",
                                                  "the server's disk is full; try again later"};
static const struct store_trouble trouble_fsize = {
    "file size limit", "the server's database reached its file size limit; try again later"};
static const struct store_trouble trouble_readonly = {
    "read-only", "the server's storage is read-only; try again later"};
static const struct store_trouble trouble_io = {"I/O error",
                                                "the server cannot use its disk; try again later"};

/* The trouble behind SQLite result `rc` with system error `err`, or NULL
 * when the disk is not to blame. SQLite reports a full disk as SQLITE_FULL
 * or, when not even part of a write went through, as an I/O error. */
static const struct store_trouble *trouble_of(int rc, int err)
{
    int primary = rc & 0xff;

    if (primary != SQLITE_FULL && primary != SQLITE_IOERR && primary != SQLITE_READONLY &&
        primary != SQLITE_CANTOPEN) {
        return NULL;
    }
    if (primary == SQLITE_FULL || err == ENOSPC || err == EDQUOT) {
        return &trouble_full;
    }
    if (err == EFBIG) {
        return &trouble_fsize;
    }
    if (primary == SQLITE_READONLY || err == EROFS) {
        return &trouble_readonly;
    }
    return &trouble_io;
}

/* The system error under a failed SQLite call, read right after it. SQLite
 * does not record the one under a failed COMMIT (sqlite3_system_errno is 0
 * then), but errno still holds it. */
static int failure_errno(sqlite3 *db)
{
    int err = db != NULL ? sqlite3_system_errno(db) : 0;
    return err != 0 ? err : errno;
}

/*
 * Counts a statement the disk refused; the first of an episode is logged.
 *
 * LIMITATION: the store cannot make room on a full disk. The WAL can only be
 * folded back into the database file where there is space for the pages, so
 * writes stay refused ("the server's disk is full") until an operator frees
 * space; waiting does not help. Keeping a few megabytes reserved in a file
 * of our own, released when the disk fills, would let a checkpoint finish.
 *
 * LIMITATION: the database files stay open while the disk refuses writes.
 * A file system that turned read-only after a disk error (as ext4 does) can
 * only be repaired unmounted, so kolabd must be stopped for the repair and
 * started again afterwards; it serves reads until then. Closing the database
 * on such an error and reopening it on a timer would let an operator repair
 * the file system under a running server.
 */
static void trouble_note(struct store *s, const struct store_trouble *t, int rc, int err,
                         const char *what)
{
    /* One episode is one line, even when its cause shows differently on the
     * way (a file-size limit first cuts a write short, then refuses it). */
    bool started = s->trouble == NULL;
    s->trouble = t;
    s->trouble_count++;
    if (!started) {
        return;
    }
    char quoted[300];
    log_error("store", "the disk refuses writes", "why=\"%s\" what=%s rc=%d errno=%d path=%s",
              t->why, what, rc, err, log_quote(s->path, quoted, sizeof(quoted)));
}

/* A commit went through: the trouble, if any, is over. */
static void trouble_over(struct store *s)
{
    if (s->trouble == NULL) {
        return;
    }
    log_info("store", "writes work again", "why=\"%s\" refused=%llu", s->trouble->why,
             (unsigned long long)s->trouble_count);
    s->trouble = NULL;
    s->trouble_count = 0;
}

const char *store_write_trouble(const struct store *s)
{
    return s->trouble != NULL ? s->trouble->message : NULL;
}

/* Turns an SQLite result into a status. Only our own failures are logged:
 * constraint answers are the expected outcome of a request, and a disk that
 * refuses writes is logged once for all of them. */
enum status store_db_status(struct store *s, int rc, const char *what)
{
    int err = failure_errno(s->db);
    const struct store_trouble *trouble = trouble_of(rc, err);
    if (trouble != NULL) {
        trouble_note(s, trouble, rc, err, what);
        return STATUS_UNAVAILABLE;
    }

    switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE:
        return STATUS_OK;
    case SQLITE_NOMEM:
        return STATUS_NOMEM;
    case SQLITE_CONSTRAINT:
        if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) {
            return STATUS_NOT_FOUND;
        }
        if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
            return STATUS_CONFLICT;
        }
        break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        log_warn("store", "database busy", "what=%s rc=%d", what, rc);
        return STATUS_UNAVAILABLE;
    default:
        break;
    }
    char quoted[200];
    log_error("store", "query failed", "what=%s rc=%d err=%s", what, rc,
              log_quote(s->db != NULL ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc), quoted,
                        sizeof(quoted)));
    return STATUS_INTERNAL;
}

/* Runs a statement that returns no rows. Returns SQLite's result code. */
static int stmt_run(struct store *s, enum stmt_id id)
{
    sqlite3_stmt *st = s->stmts[id];
    int rc = sqlite3_step(st);

    stmt_end(st);
    return rc;
}

static enum status stmt_exec(struct store *s, enum stmt_id id)
{
    int rc = stmt_run(s, id);

    if (rc != SQLITE_DONE) {
        return store_db_status(s, rc, stmt_defs[id].name);
    }
    return STATUS_OK;
}

/* Runs a statement that yields at most one row and keeps its first column;
 * *found tells whether there was a row. */
static enum status stmt_u64(struct store *s, enum stmt_id id, uint64_t *out, bool *found)
{
    sqlite3_stmt *st = s->stmts[id];
    int rc = sqlite3_step(st);

    *found = rc == SQLITE_ROW;
    if (*found) {
        *out = col_u64(st, 0);
        rc = sqlite3_step(st);
    }
    stmt_end(st);
    if (rc != SQLITE_DONE) {
        *found = false;
        return store_db_status(s, rc, stmt_defs[id].name);
    }
    return STATUS_OK;
}

enum status store_tx_begin(struct store *s)
{
    return stmt_exec(s, ST_BEGIN);
}

/* Ends the open transaction, if SQLite has not already ended it. */
void store_tx_rollback(struct store *s)
{
    if (!sqlite3_get_autocommit(s->db)) {
        stmt_run(s, ST_ROLLBACK);
    }
}

enum status store_tx_commit(struct store *s)
{
    enum status st = stmt_exec(s, ST_COMMIT);

    if (st != STATUS_OK) {
        store_tx_rollback(s);
    } else {
        trouble_over(s);
    }
    return st;
}

/* ---- opening: file, pragmas, migrations, statements --------------------- */

static int db_exec(sqlite3 *db, const char *sql)
{
    return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

/* One-off queries at open time (pragmas), before any statement is prepared. */
static int db_query_text(sqlite3 *db, const char *sql, char *out, size_t cap)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
    }
    if (rc == SQLITE_ROW) {
        col_copy(st, 0, out, cap);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc;
}

static enum status open_fail(const char *what, int rc, sqlite3 *db)
{
    char quoted[200];
    const char *err = db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc);

    log_error("store", "open failed", "step=%s rc=%d err=%s", what, rc,
              log_quote(err, quoted, sizeof(quoted)));
    return rc == SQLITE_NOMEM ? STATUS_NOMEM : STATUS_INTERNAL;
}

static enum status path_prepare(struct store *s, const char *dir)
{
    char quoted[256];

    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        log_error("store", "cannot create data directory", "dir=%s error=\"%s\"",
                  log_quote(dir, quoted, sizeof(quoted)), strerror(errno));
        return STATUS_INTERNAL;
    }
    int n = snprintf(s->path, sizeof(s->path), "%s/%s", dir, STORE_DB_NAME);
    if (n < 0 || (size_t)n >= sizeof(s->path)) {
        log_error("store", "data directory path too long", NULL);
        return STATUS_BAD_REQUEST;
    }

    /* SQLite would open a read-only database for reading only and fail
     * later with a vaguer message; WAL mode needs to write beside it too.
     * access() reports a read-only file system even to root. */
    const char *refused = access(dir, W_OK) != 0 ? dir : NULL;
    if (refused == NULL && access(s->path, F_OK) == 0 && access(s->path, W_OK) != 0) {
        refused = s->path;
    }
    if (refused != NULL) {
        int err = errno;
        log_error("store", "data directory not writable", "path=%s error=\"%s\"",
                  log_quote(refused, quoted, sizeof(quoted)), strerror(err));
        return STATUS_UNAVAILABLE;
    }
    return STATUS_OK;
}

/* Both connections are used by one thread at a time, so SQLite's own
 * per-connection mutexes are not needed. */
static enum status db_connect(const char *path, sqlite3 **out)
{
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    int rc = sqlite3_open_v2(path, out, flags, NULL);

    if (rc != SQLITE_OK) {
        return open_fail("connect", rc, *out);
    }
    sqlite3_extended_result_codes(*out, 1);
    sqlite3_busy_timeout(*out, STORE_BUSY_TIMEOUT_MS);
    return STATUS_OK;
}

static int wal_committed(void *ud, sqlite3 *db, const char *name, int frames)
{
    struct store *s = ud;

    s->wal_dirty = true;
    return SQLITE_OK;
}

static enum status db_configure(struct store *s)
{
    char mode[16] = "";
    int rc = db_query_text(s->db, "PRAGMA journal_mode = WAL", mode, sizeof(mode));

    if (rc != SQLITE_OK) {
        return open_fail("journal_mode", rc, s->db);
    }
    if (strcmp(mode, "wal") != 0) {
        log_error("store", "WAL mode refused", "mode=%s", mode);
        return STATUS_INTERNAL;
    }

    /* NORMAL survives a killed process; power-loss durability would need FULL. */
    char pragmas[200];
    snprintf(pragmas, sizeof(pragmas),
             "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;"
             "PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = %d;",
             STORE_WAL_LIMIT_BYTES);
    rc = db_exec(s->db, pragmas);
    if (rc != SQLITE_OK) {
        return open_fail("pragmas", rc, s->db);
    }

    /* The hook replaces SQLite's automatic checkpointer: it only notes that
     * the WAL grew, and the checkpoint timer does the work off the loop. */
    sqlite3_wal_hook(s->db, wal_committed, s);
    return STATUS_OK;
}

/* Inside the migration transaction: reads the version into *from and, when
 * it is behind, applies the next step. */
static int migrate_locked(struct store *s, int *from, bool *applied)
{
    char version[24] = "";
    int rc = db_query_text(s->db, "PRAGMA user_version", version, sizeof(version));
    if (rc != SQLITE_OK) {
        return rc;
    }
    *from = atoi(version);
    if (*from < 0 || *from >= SCHEMA_VERSION) {
        return SQLITE_OK;
    }

    const struct migration *m = &migrations[*from];
    char bump[48];
    snprintf(bump, sizeof(bump), "PRAGMA user_version = %d", m->version);
    rc = db_exec(s->db, m->sql);
    if (rc == SQLITE_OK) {
        rc = db_exec(s->db, bump);
    }
    *applied = rc == SQLITE_OK;
    return rc;
}

/* Applies at most one migration step in its own transaction. *from is the
 * version found; *applied tells whether a step ran. */
static enum status migrate_step(struct store *s, int *from, bool *applied)
{
    *applied = false;
    int rc = db_exec(s->db, "BEGIN IMMEDIATE");
    if (rc == SQLITE_OK) {
        rc = migrate_locked(s, from, applied);
    }
    if (rc == SQLITE_OK && (*from < 0 || *from > SCHEMA_VERSION)) {
        db_exec(s->db, "ROLLBACK");
        log_error("store", "unknown schema version, database refused", "found=%d supported=%d",
                  *from, SCHEMA_VERSION);
        return STATUS_INTERNAL;
    }
    if (rc == SQLITE_OK) {
        rc = db_exec(s->db, "COMMIT");
    }
    if (rc != SQLITE_OK) {
        enum status st = open_fail("migrate", rc, s->db);
        db_exec(s->db, "ROLLBACK");
        *applied = false;
        return st;
    }
    return STATUS_OK;
}

/* Brings the schema to SCHEMA_VERSION. *found is the version at open. */
static enum status schema_migrate(struct store *s, int *found)
{
    *found = -1;
    for (;;) {
        int from = 0;
        bool applied = false;
        enum status st = migrate_step(s, &from, &applied);
        if (st != STATUS_OK) {
            return st;
        }
        if (*found < 0) {
            *found = from;
        }
        if (!applied) {
            return STATUS_OK;
        }
        log_info("store", "migration done", "version=%d what=\"%s\"", migrations[from].version,
                 migrations[from].what);
    }
}

static enum status stmts_prepare(struct store *s)
{
    for (int i = 0; i < ST_COUNT; i++) {
        int rc = sqlite3_prepare_v3(s->db, stmt_defs[i].sql, -1, SQLITE_PREPARE_PERSISTENT,
                                    &s->stmts[i], NULL);
        if (rc != SQLITE_OK) {
            return open_fail(stmt_defs[i].name, rc, s->db);
        }
    }
    return store_mentoring_prepare(s);
}

static enum status meta_get(struct store *s, const char *key, char *out, size_t cap, bool *found)
{
    sqlite3_stmt *st = s->stmts[ST_META_GET];

    bind_text(st, 1, key, strlen(key));
    int rc = sqlite3_step(st);
    *found = rc == SQLITE_ROW;
    if (*found) {
        col_copy(st, 0, out, cap);
    }
    stmt_end(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        return store_db_status(s, rc, stmt_defs[ST_META_GET].name);
    }
    return STATUS_OK;
}

/* Reads the epoch, making it the first time. Another process may make one
 * at the same moment: the insert keeps whichever came first, and both read
 * that one back. */
static enum status epoch_load(struct store *s)
{
    bool found = false;
    enum status st = meta_get(s, "epoch", s->epoch, sizeof(s->epoch), &found);
    if (st != STATUS_OK || found) {
        return st;
    }

    unsigned char raw[STORE_EPOCH_LEN / 2];
    char hex[STORE_EPOCH_LEN + 1];
    sqlite3_randomness((int)sizeof(raw), raw);
    for (size_t i = 0; i < sizeof(raw); i++) {
        snprintf(hex + 2 * i, 3, "%02x", raw[i]);
    }

    sqlite3_stmt *put = s->stmts[ST_META_PUT];
    bind_text(put, 1, "epoch", 5);
    bind_text(put, 2, hex, STORE_EPOCH_LEN);
    st = stmt_exec(s, ST_META_PUT);
    if (st != STATUS_OK) {
        return st;
    }
    st = meta_get(s, "epoch", s->epoch, sizeof(s->epoch), &found);
    if (st == STATUS_OK && !found) {
        st = STATUS_INTERNAL;
    }
    return st;
}

static enum status checkpointer_open(struct store *s)
{
    enum status st = db_connect(s->path, &s->ckpt_db);
    if (st != STATUS_OK) {
        return st;
    }
    int rc = sqlite3_prepare_v3(s->ckpt_db, "PRAGMA wal_checkpoint(PASSIVE)", -1,
                                SQLITE_PREPARE_PERSISTENT, &s->ckpt_stmt, NULL);
    if (rc != SQLITE_OK) {
        return open_fail("checkpoint", rc, s->ckpt_db);
    }
    return STATUS_OK;
}

/* Finalizes every statement and closes both connections. */
static void db_release(struct store *s)
{
    for (int i = 0; i < ST_COUNT; i++) {
        sqlite3_finalize(s->stmts[i]);
        s->stmts[i] = NULL;
    }
    store_mentoring_release(s);
    sqlite3_finalize(s->ckpt_stmt);
    s->ckpt_stmt = NULL;

    if (sqlite3_close(s->ckpt_db) != SQLITE_OK) {
        log_error("store", "close failed", "conn=checkpoint");
    }
    s->ckpt_db = NULL;
    if (sqlite3_close(s->db) != SQLITE_OK) {
        log_error("store", "close failed", "conn=main");
    }
    s->db = NULL;
}

/* ---- the checkpointer --------------------------------------------------- */

/* Runs on a pool thread, the only user of ckpt_db while it runs. */
static void checkpoint_work(uv_work_t *req)
{
    struct store *s = req->data;
    sqlite3_stmt *st = s->ckpt_stmt;
    errno = 0;
    int rc = sqlite3_step(st);

    if (rc == SQLITE_ROW) {
        s->ckpt_log = sqlite3_column_int(st, 1);
        s->ckpt_copied = sqlite3_column_int(st, 2);
        rc = SQLITE_OK;
    }
    s->ckpt_errno = rc != SQLITE_OK ? failure_errno(s->ckpt_db) : 0;
    sqlite3_reset(st);
    s->ckpt_rc = rc;

    uv_mutex_lock(&s->ckpt_lock);
    s->ckpt_running = false;
    uv_cond_signal(&s->ckpt_idle);
    uv_mutex_unlock(&s->ckpt_lock);
}

static void store_maybe_free(struct store *s)
{
    if (s->handles_open > 0 || s->ckpt_busy) {
        return;
    }
    uv_cond_destroy(&s->ckpt_idle);
    uv_mutex_destroy(&s->ckpt_lock);
    free(s);
}

static void checkpoint_done(uv_work_t *req, int status)
{
    struct store *s = req->data;

    s->ckpt_busy = false;
    if (s->closing) {
        store_maybe_free(s);
        return;
    }
    /* A failing checkpoint is tried again every tick; only a new way of
     * failing is logged. */
    int rc = status != 0 ? SQLITE_ABORT : s->ckpt_rc;
    if (rc != SQLITE_OK) {
        if (rc != s->ckpt_trouble_rc) {
            log_warn("store", "checkpoint failed", "status=%d rc=%d errno=%d", status, rc,
                     s->ckpt_errno);
        }
        s->ckpt_trouble_rc = rc;
        s->wal_dirty = true;
        return;
    }
    if (s->ckpt_trouble_rc != SQLITE_OK) {
        log_info("store", "checkpoints work again", NULL);
        s->ckpt_trouble_rc = SQLITE_OK;
    }
    s->stats.checkpoints++;
    /* Pages a reader still needed stay in the WAL: try again next tick. */
    if (s->ckpt_copied < s->ckpt_log) {
        s->wal_dirty = true;
    }
}

static void checkpoint_tick(uv_timer_t *timer)
{
    struct store *s = timer->data;

    if (s->ckpt_busy || !s->wal_dirty) {
        return;
    }
    s->wal_dirty = false;
    s->ckpt_busy = true;
    uv_mutex_lock(&s->ckpt_lock);
    s->ckpt_running = true;
    uv_mutex_unlock(&s->ckpt_lock);

    s->ckpt_req.data = s;
    if (uv_queue_work(s->loop, &s->ckpt_req, checkpoint_work, checkpoint_done) != 0) {
        uv_mutex_lock(&s->ckpt_lock);
        s->ckpt_running = false;
        uv_mutex_unlock(&s->ckpt_lock);
        s->ckpt_busy = false;
        s->wal_dirty = true;
    }
}

/* Makes sure no pool thread uses ckpt_db any more: a checkpoint that has not
 * started is cancelled, one that is running is waited for. */
static void checkpoint_wait(struct store *s)
{
    if (!s->ckpt_busy) {
        return;
    }
    bool cancelled = uv_cancel((uv_req_t *)&s->ckpt_req) == 0;

    uv_mutex_lock(&s->ckpt_lock);
    if (cancelled) {
        s->ckpt_running = false;
    }
    while (s->ckpt_running) {
        uv_cond_wait(&s->ckpt_idle, &s->ckpt_lock);
    }
    uv_mutex_unlock(&s->ckpt_lock);
}

/* ---- life cycle ----------------------------------------------------------- */

static void batch_timer_fired(uv_timer_t *timer);

static void timers_start(struct store *s)
{
    uv_timer_init(s->loop, &s->batch_timer);
    s->batch_timer.data = s;
    uv_timer_init(s->loop, &s->ckpt_timer);
    s->ckpt_timer.data = s;
    s->handles_open = 2;

    uv_timer_start(&s->ckpt_timer, checkpoint_tick, STORE_CHECKPOINT_MS, STORE_CHECKPOINT_MS);
    /* Checkpoints alone are no reason to keep a loop running. */
    uv_unref((uv_handle_t *)&s->ckpt_timer);
}

static enum status store_sync_init(struct store *s)
{
    if (uv_mutex_init(&s->ckpt_lock) != 0) {
        return STATUS_INTERNAL;
    }
    if (uv_cond_init(&s->ckpt_idle) != 0) {
        uv_mutex_destroy(&s->ckpt_lock);
        return STATUS_INTERNAL;
    }
    return STATUS_OK;
}

/* Everything store_open does that can fail; store_open cleans up after it. */
static enum status store_setup(struct store *s, const char *dir, int *found)
{
    enum status st = path_prepare(s, dir);
    if (st != STATUS_OK) {
        return st;
    }
    st = db_connect(s->path, &s->db);
    if (st != STATUS_OK) {
        return st;
    }
    st = db_configure(s);
    if (st != STATUS_OK) {
        return st;
    }
    st = schema_migrate(s, found);
    if (st != STATUS_OK) {
        return st;
    }
    st = stmts_prepare(s);
    if (st != STATUS_OK) {
        return st;
    }
    st = epoch_load(s);
    if (st != STATUS_OK) {
        return st;
    }
    return checkpointer_open(s);
}

enum status store_open(uv_loop_t *loop, const char *dir, struct store **out, bool *created)
{
    *out = NULL;
    struct store *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        return STATUS_NOMEM;
    }
    s->loop = loop;
    enum status st = store_sync_init(s);
    if (st != STATUS_OK) {
        free(s);
        return st;
    }

    int found = 0;
    st = store_setup(s, dir, &found);
    if (st != STATUS_OK) {
        db_release(s);
        store_maybe_free(s);
        return st;
    }

    timers_start(s);
    if (created != NULL) {
        *created = found == 0;
    }
    char quoted[256];
    log_info("store", "opened", "path=%s schema=%d found=%d",
             log_quote(s->path, quoted, sizeof(quoted)), SCHEMA_VERSION, found);
    *out = s;
    return STATUS_OK;
}

const char *store_epoch(const struct store *s)
{
    return s->epoch;
}

int store_schema_version(void)
{
    return SCHEMA_VERSION;
}

void store_stats(const struct store *s, struct store_stats *out)
{
    *out = s->stats;
}

/* ---- queued writes: running one operation ------------------------------ */

/* Makes the op's result a copy of the stored original of a resent message.
 * The copy outlives the statement, which the callback runs long after. */
static enum status append_keep_original(struct store_op *op, sqlite3_stmt *st)
{
    struct store_message m;
    enum status result = row_message(st, 0, op->room, &m);
    if (result != STATUS_OK) {
        return result;
    }
    op->original_body = malloc(m.body_len + 1);
    if (op->original_body == NULL) {
        return STATUS_NOMEM;
    }
    copy_text(op->original_body, m.body, m.body_len);
    snprintf(op->kind, sizeof(op->kind), "%s", m.kind);
    op->msg = m;
    op->msg.kind = op->kind;
    op->msg.body = op->original_body;
    op->msg.client_id = op->client_id;
    op->duplicate = true;
    return STATUS_OK;
}

/* Looks for an earlier append with the same (room, sender, client_id). */
static enum status append_find(struct store *s, struct store_op *op, bool *found)
{
    sqlite3_stmt *st = s->stmts[ST_MSG_BY_CLIENT];
    bind_u64(st, 1, op->room);
    bind_u64(st, 2, op->user);
    bind_text(st, 3, op->client_id, op->client_id_len);

    enum status result = STATUS_OK;
    int rc = sqlite3_step(st);
    *found = rc == SQLITE_ROW;
    if (*found) {
        result = append_keep_original(op, st);
    } else if (rc != SQLITE_DONE) {
        result = store_db_status(s, rc, stmt_defs[ST_MSG_BY_CLIENT].name);
    }
    stmt_end(st);
    return result;
}

static enum status message_exists(struct store *s, uint64_t room, uint64_t seq)
{
    sqlite3_stmt *st = s->stmts[ST_MSG_EXISTS];
    uint64_t one = 0;
    bool found = false;

    bind_u64(st, 1, room);
    bind_u64(st, 2, seq);
    enum status result = stmt_u64(s, ST_MSG_EXISTS, &one, &found);
    if (result == STATUS_OK && !found) {
        result = STATUS_NOT_FOUND;
    }
    return result;
}

static enum status append_insert(struct store *s, struct store_op *op, uint64_t seq, uint64_t ts)
{
    sqlite3_stmt *st = s->stmts[ST_MSG_INSERT];

    bind_u64(st, 1, op->room);
    bind_u64(st, 2, seq);
    bind_u64(st, 3, op->user);
    bind_u64(st, 4, ts);
    bind_text(st, 5, op->kind, strlen(op->kind));
    bind_text(st, 6, op->body, op->body_len);
    /* Lines without a client_id store NULL, which UNIQUE lets repeat. */
    if (op->client_id_len > 0) {
        bind_text(st, 7, op->client_id, op->client_id_len);
    }
    if (op->reply_to != 0) {
        bind_u64(st, 8, op->reply_to);
    }
    enum status result = stmt_exec(s, ST_MSG_INSERT);
    if (result != STATUS_OK) {
        return result;
    }

    /* The message as stored, pointing at the op's own copies. */
    op->msg = (struct store_message){
        .room = op->room,
        .seq = seq,
        .from = op->user,
        .ts = ts,
        .kind = op->kind,
        .body = op->body,
        .body_len = op->body_len,
        .client_id = op->client_id,
        .client_id_len = op->client_id_len,
        .reply_to = op->reply_to,
    };
    return STATUS_OK;
}

static enum status op_append(struct store *s, struct store_op *op, uint64_t now)
{
    enum status st = STATUS_OK;

    if (op->client_id_len > 0) {
        bool duplicate = false;
        st = append_find(s, op, &duplicate);
        if (st != STATUS_OK || duplicate) {
            return st;
        }
    }
    if (op->reply_to != 0) {
        st = message_exists(s, op->room, op->reply_to);
        if (st != STATUS_OK) {
            return st;
        }
    }

    uint64_t seq = 0;
    bool found = false;
    bind_u64(s->stmts[ST_ROOM_NEXT_SEQ], 1, op->room);
    st = stmt_u64(s, ST_ROOM_NEXT_SEQ, &seq, &found);
    if (st != STATUS_OK || !found) {
        return st != STATUS_OK ? st : STATUS_NOT_FOUND;
    }
    return append_insert(s, op, seq, now);
}

/* The author and deleted flag of a message; STATUS_NOT_FOUND when absent. */
static enum status message_state(struct store *s, const struct store_op *op, uint64_t *sender,
                                 bool *deleted)
{
    sqlite3_stmt *st = s->stmts[ST_MSG_STATE];
    bind_u64(st, 1, op->room);
    bind_u64(st, 2, op->seq);

    enum status result = STATUS_NOT_FOUND;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *sender = col_u64(st, 0);
        *deleted = sqlite3_column_int(st, 1) != 0;
        result = STATUS_OK;
    } else if (rc != SQLITE_DONE) {
        result = store_db_status(s, rc, stmt_defs[ST_MSG_STATE].name);
    }
    stmt_end(st);
    return result;
}

static enum status op_edit(struct store *s, struct store_op *op, uint64_t now)
{
    uint64_t sender = 0;
    bool deleted = false;
    enum status st = message_state(s, op, &sender, &deleted);
    if (st != STATUS_OK) {
        return st;
    }
    if (sender != op->user) {
        return STATUS_FORBIDDEN;
    }
    if (deleted) {
        return STATUS_CONFLICT;
    }

    sqlite3_stmt *edit = s->stmts[ST_MSG_EDIT];
    bind_u64(edit, 1, op->room);
    bind_u64(edit, 2, op->seq);
    bind_text(edit, 3, op->body, op->body_len);
    bind_u64(edit, 4, now);
    st = stmt_exec(s, ST_MSG_EDIT);
    if (st == STATUS_OK) {
        op->edited_ts = now;
    }
    return st;
}

static enum status op_delete(struct store *s, struct store_op *op)
{
    uint64_t sender = 0;
    bool deleted = false;
    enum status st = message_state(s, op, &sender, &deleted);
    if (st != STATUS_OK) {
        return st;
    }
    /* A system line is the room's record of what happened (a mentorship
     * begun, a call held): nobody takes it back. */
    if (sender == 0 || (sender != op->user && !op->moderator)) {
        return STATUS_FORBIDDEN;
    }
    if (deleted) {
        return STATUS_OK;
    }

    sqlite3_stmt *del = s->stmts[ST_MSG_DELETE];
    bind_u64(del, 1, op->room);
    bind_u64(del, 2, op->seq);
    st = stmt_exec(s, ST_MSG_DELETE);
    op->changed = st == STATUS_OK;
    return st;
}

static enum status op_read(struct store *s, struct store_op *op)
{
    sqlite3_stmt *move = s->stmts[ST_READ_MOVE];
    bind_u64(move, 1, op->room);
    bind_u64(move, 2, op->user);
    bind_u64(move, 3, op->seq);
    enum status st = stmt_u64(s, ST_READ_MOVE, &op->read_seq, &op->moved);
    if (st != STATUS_OK || op->moved) {
        return st;
    }

    /* The marker stayed: report where it is, or that there is none. */
    bool member = false;
    sqlite3_stmt *get = s->stmts[ST_MEMBER_GET];
    bind_u64(get, 1, op->room);
    bind_u64(get, 2, op->user);
    st = stmt_u64(s, ST_MEMBER_GET, &op->read_seq, &member);
    if (st == STATUS_OK && !member) {
        st = STATUS_NOT_FOUND;
    }
    return st;
}

static enum status op_run(struct store *s, struct store_op *op, uint64_t now)
{
    switch (op->type) {
    case OP_APPEND:
        return op_append(s, op, now);
    case OP_EDIT:
        return op_edit(s, op, now);
    case OP_DELETE:
        return op_delete(s, op);
    case OP_READ:
        return op_read(s, op);
    }
    return STATUS_INTERNAL;
}

/* Runs one op inside its own savepoint, so that a failing op leaves no
 * trace. Returns SQLITE_DONE, or the code that broke the whole transaction. */
static int op_apply(struct store *s, struct store_op *op, uint64_t now)
{
    int rc = stmt_run(s, ST_SAVEPOINT);
    if (rc != SQLITE_DONE) {
        return rc;
    }
    op->st = op_run(s, op, now);
    if (op->st != STATUS_OK) {
        rc = stmt_run(s, ST_ROLLBACK_TO);
        if (rc != SQLITE_DONE) {
            return rc;
        }
    }
    return stmt_run(s, ST_RELEASE);
}

/* ---- queued writes: batches --------------------------------------------- */

/* Forgets an op's result: the transaction that held it did not commit. */
static void op_fail(struct store_op *op, enum status st)
{
    op->st = st;
    op->duplicate = false;
    op->changed = false;
    op->moved = false;
    op->edited_ts = 0;
    op->read_seq = 0;
}

/* Reports an op's result to its owner and frees it. */
static void op_complete(struct store_op *op)
{
    bool ok = op->st == STATUS_OK;

    switch (op->type) {
    case OP_APPEND:
        if (op->cb.append != NULL) {
            op->cb.append(op->ud, op->st, ok ? &op->msg : NULL, op->duplicate);
        }
        break;
    case OP_EDIT:
        if (op->cb.edit != NULL) {
            op->cb.edit(op->ud, op->st, op->edited_ts);
        }
        break;
    case OP_DELETE:
        if (op->cb.del != NULL) {
            op->cb.del(op->ud, op->st, op->changed);
        }
        break;
    case OP_READ:
        if (op->cb.read != NULL) {
            op->cb.read(op->ud, op->st, op->read_seq, op->moved);
        }
        break;
    }
    free(op->original_body);
    free(op);
}

/*
 * LIMITATION: when another process holds the write lock, BEGIN IMMEDIATE
 * waits up to STORE_BUSY_TIMEOUT_MS on the loop thread, and every connection
 * of this process stalls meanwhile. Only several processes sharing one file
 * can cause it. Moving the writer to its own thread would remove the stall,
 * at the price of handing every batch across threads.
 */
static int batch_apply(struct store *s, struct store_op *ops, uint64_t now)
{
    int rc = stmt_run(s, ST_BEGIN);
    if (rc != SQLITE_DONE) {
        return rc;
    }
    for (struct store_op *op = ops; op != NULL; op = op->next) {
        rc = op_apply(s, op, now);
        if (rc != SQLITE_DONE) {
            return rc;
        }
    }
    return stmt_run(s, ST_COMMIT);
}

/* Commits one batch, then runs its callbacks. Nothing in a batch whose
 * transaction failed was stored, so all of it is reported unavailable. */
static void batch_commit(struct store *s, struct store_op *ops, size_t n)
{
    errno = 0;
    int rc = batch_apply(s, ops, now_ms());

    if (rc == SQLITE_DONE) {
        s->stats.commits++;
        s->stats.ops += n;
        trouble_over(s);
    } else {
        int err = failure_errno(s->db);
        const struct store_trouble *trouble = trouble_of(rc, err);
        store_tx_rollback(s);
        s->stats.failed_batches++;
        if (trouble != NULL) {
            trouble_note(s, trouble, rc, err, "batch");
        } else {
            log_error("store", "batch failed", "ops=%zu rc=%d err=%s", n, rc, sqlite3_errstr(rc));
        }
        for (struct store_op *op = ops; op != NULL; op = op->next) {
            op_fail(op, STATUS_UNAVAILABLE);
        }
    }

    while (ops != NULL) {
        struct store_op *next = ops->next;
        op_complete(ops);
        ops = next;
    }
}

/* Detaches up to `max` ops from the front of the queue. */
static struct store_op *queue_take(struct store *s, size_t max, size_t *n)
{
    struct store_op *first = s->head;
    struct store_op *last = NULL;

    *n = 0;
    for (struct store_op *op = first; op != NULL && *n < max; op = op->next) {
        last = op;
        (*n)++;
    }
    if (last == NULL) {
        return NULL;
    }
    s->head = last->next;
    if (s->head == NULL) {
        s->tail = NULL;
    }
    last->next = NULL;
    s->queued -= *n;
    return first;
}

/*
 * Starts the batch timer when work waits: at once for a full batch or for a
 * write that came after a quiet spell (`quiet`: none for STORE_BATCH_MS), and
 * after STORE_BATCH_MS otherwise. A lone message so waits for no timer, while
 * a steady stream collects into big batches, which also make the frames of
 * the fan-out big. A timer, even of 0 ms, keeps the flush out of the
 * caller's stack.
 */
static void batch_arm(struct store *s, bool quiet)
{
    if (s->queued == 0 || s->closing) {
        return;
    }
    if (s->queued >= STORE_BATCH_ROWS) {
        uv_timer_start(&s->batch_timer, batch_timer_fired, 0, 0);
    } else if (!uv_is_active((uv_handle_t *)&s->batch_timer)) {
        uv_timer_start(&s->batch_timer, batch_timer_fired, quiet ? 0 : STORE_BATCH_MS, 0);
    }
}

/* Commits everything queued when the flush starts, STORE_BATCH_ROWS ops per
 * transaction. Ops queued by the callbacks wait for the next flush, so a
 * callback that always queues more cannot keep this loop going forever. */
static void flush_all(struct store *s)
{
    if (s->flushing) {
        return;
    }
    s->flushing = true;
    uv_timer_stop(&s->batch_timer);

    size_t budget = s->queued;
    while (budget > 0) {
        size_t n = 0;
        struct store_op *ops =
            queue_take(s, budget < STORE_BATCH_ROWS ? budget : STORE_BATCH_ROWS, &n);
        if (ops == NULL) {
            break;
        }
        budget -= n;
        s->last_batch = n;
        batch_commit(s, ops, n);
    }

    s->flushing = false;
    batch_arm(s, false);
}

static void batch_timer_fired(uv_timer_t *timer)
{
    flush_all(timer->data);
}

void store_flush(struct store *s)
{
    flush_all(s);
}

static void handle_closed(uv_handle_t *handle)
{
    struct store *s = handle->data;

    s->handles_open--;
    store_maybe_free(s);
}

void store_close(struct store *s)
{
    if (s == NULL || s->closing) {
        return;
    }
    assert(!s->flushing);

    /* Refuse new writes first, so the final flush is really final. */
    s->closing = true;
    flush_all(s);

    uv_timer_stop(&s->batch_timer);
    uv_timer_stop(&s->ckpt_timer);
    uv_close((uv_handle_t *)&s->batch_timer, handle_closed);
    uv_close((uv_handle_t *)&s->ckpt_timer, handle_closed);

    checkpoint_wait(s);
    db_release(s);
    log_info("store", "closed", "commits=%llu checkpoints=%llu",
             (unsigned long long)s->stats.commits, (unsigned long long)s->stats.checkpoints);
}

/* ---- queued writes: the public calls ------------------------------------ */

static struct store_op *op_new(enum op_type type, size_t extra)
{
    if (extra > SIZE_MAX - sizeof(struct store_op)) {
        return NULL;
    }
    struct store_op *op = calloc(1, sizeof(*op) + extra);
    if (op != NULL) {
        op->type = type;
    }
    return op;
}

static void op_queue(struct store *s, struct store_op *op)
{
    if (s->tail != NULL) {
        s->tail->next = op;
    } else {
        s->head = op;
    }
    s->tail = op;
    s->queued++;

    uint64_t now = uv_now(s->loop);
    bool quiet = now - s->last_queued >= STORE_BATCH_MS && s->last_batch <= 1;
    s->last_queued = now;
    batch_arm(s, quiet);
}

enum status store_append(struct store *s, uint64_t room, uint64_t from, const char *kind,
                         const char *body, size_t body_len, const char *client_id,
                         size_t client_id_len, uint64_t reply_to, store_append_fn cb, void *ud)
{
    if (s->closing) {
        return STATUS_UNAVAILABLE;
    }
    if (!text_fits(kind, STORE_KIND_MAX) || (body == NULL && body_len > 0) ||
        (client_id == NULL && client_id_len > 0)) {
        return STATUS_BAD_REQUEST;
    }
    if (body_len > STORE_TEXT_LIMIT || client_id_len > STORE_TEXT_LIMIT) {
        return STATUS_TOO_LARGE;
    }

    struct store_op *op = op_new(OP_APPEND, body_len + client_id_len + 2);
    if (op == NULL) {
        return STATUS_NOMEM;
    }
    op->room = room;
    op->user = from;
    op->reply_to = reply_to;
    snprintf(op->kind, sizeof(op->kind), "%s", kind);
    op->body = op->data;
    op->body_len = body_len;
    op->client_id = copy_text(op->body, body, body_len);
    op->client_id_len = client_id_len;
    copy_text(op->client_id, client_id, client_id_len);
    op->cb.append = cb;
    op->ud = ud;
    op_queue(s, op);
    return STATUS_OK;
}

enum status store_edit(struct store *s, uint64_t room, uint64_t seq, uint64_t user,
                       const char *body, size_t body_len, store_edit_fn cb, void *ud)
{
    if (s->closing) {
        return STATUS_UNAVAILABLE;
    }
    if (body == NULL && body_len > 0) {
        return STATUS_BAD_REQUEST;
    }
    if (body_len > STORE_TEXT_LIMIT) {
        return STATUS_TOO_LARGE;
    }

    struct store_op *op = op_new(OP_EDIT, body_len + 1);
    if (op == NULL) {
        return STATUS_NOMEM;
    }
    op->room = room;
    op->seq = seq;
    op->user = user;
    op->body = op->data;
    op->body_len = body_len;
    copy_text(op->body, body, body_len);
    op->cb.edit = cb;
    op->ud = ud;
    op_queue(s, op);
    return STATUS_OK;
}

enum status store_delete(struct store *s, uint64_t room, uint64_t seq, uint64_t user,
                         bool moderator, store_delete_fn cb, void *ud)
{
    if (s->closing) {
        return STATUS_UNAVAILABLE;
    }
    struct store_op *op = op_new(OP_DELETE, 0);
    if (op == NULL) {
        return STATUS_NOMEM;
    }
    op->room = room;
    op->seq = seq;
    op->user = user;
    op->moderator = moderator;
    op->cb.del = cb;
    op->ud = ud;
    op_queue(s, op);
    return STATUS_OK;
}

enum status store_read(struct store *s, uint64_t room, uint64_t user, uint64_t seq,
                       store_read_fn cb, void *ud)
{
    if (s->closing) {
        return STATUS_UNAVAILABLE;
    }
    struct store_op *op = op_new(OP_READ, 0);
    if (op == NULL) {
        return STATUS_NOMEM;
    }
    op->room = room;
    op->user = user;
    op->seq = seq;
    op->cb.read = cb;
    op->ud = ud;
    op_queue(s, op);
    return STATUS_OK;
}

/* ---- accounts and tokens ------------------------------------------------ */

enum status store_user_create(struct store *s, const char *username, const char *name,
                              const char *role, const char *password_record, struct store_user *out)
{
    if (!text_fits(username, STORE_USERNAME_MAX) || !text_fits(name, STORE_NAME_MAX) ||
        !text_fits(role, STORE_ROLE_MAX) || !text_fits(password_record, STORE_TEXT_LIMIT)) {
        return STATUS_BAD_REQUEST;
    }

    sqlite3_stmt *st = s->stmts[ST_USER_INSERT];
    bind_text(st, 1, username, strlen(username));
    bind_text(st, 2, name, strlen(name));
    bind_text(st, 3, role, strlen(role));
    bind_text(st, 4, password_record, strlen(password_record));
    bind_u64(st, 5, now_ms());

    uint64_t id = 0;
    bool found = false;
    enum status result = stmt_u64(s, ST_USER_INSERT, &id, &found);
    if (result != STATUS_OK) {
        return result;
    }
    if (out != NULL) {
        out->id = id;
        snprintf(out->username, sizeof(out->username), "%s", username);
        snprintf(out->name, sizeof(out->name), "%s", name);
        snprintf(out->role, sizeof(out->role), "%s", role);
    }
    log_info("store", "user created", "user=%llu", (unsigned long long)id);
    return STATUS_OK;
}

/* Reads one user row from a statement whose parameters are bound. */
static enum status user_fetch(struct store *s, enum stmt_id id, struct store_user *out,
                              char *record, size_t record_cap)
{
    sqlite3_stmt *st = s->stmts[id];
    enum status result = STATUS_NOT_FOUND;
    int rc = sqlite3_step(st);

    if (rc == SQLITE_ROW) {
        row_user(st, 0, out);
        if (record != NULL && record_cap > 0) {
            col_copy(st, 4, record, record_cap);
        }
        result = STATUS_OK;
    } else if (rc != SQLITE_DONE) {
        result = store_db_status(s, rc, stmt_defs[id].name);
    }
    stmt_end(st);
    return result;
}

enum status store_user_by_name(struct store *s, const char *username, struct store_user *out,
                               char *record, size_t record_cap)
{
    if (!text_fits(username, STORE_USERNAME_MAX)) {
        return STATUS_NOT_FOUND;
    }
    bind_text(s->stmts[ST_USER_BY_NAME], 1, username, strlen(username));
    return user_fetch(s, ST_USER_BY_NAME, out, record, record_cap);
}

enum status store_user_get(struct store *s, uint64_t id, struct store_user *out)
{
    bind_u64(s->stmts[ST_USER_GET], 1, id);
    return user_fetch(s, ST_USER_GET, out, NULL, 0);
}

/* Makes a LIKE pattern "%query%" in which the query's own %, _ and \ match
 * only themselves. `out` holds at least 2 * strlen(query) + 3 bytes. */
static void like_pattern(const char *query, char *out)
{
    size_t n = 0;

    out[n++] = '%';
    for (const char *p = query; *p != '\0'; p++) {
        if (*p == '%' || *p == '_' || *p == '\\') {
            out[n++] = '\\';
        }
        out[n++] = *p;
    }
    out[n++] = '%';
    out[n] = '\0';
}

/*
 * LIMITATION: SQLite's LIKE folds case for ASCII letters only, so a search
 * for "élan" does not find "Élan". Names here are mostly ASCII. A fix would
 * store a case-folded copy of username and name, made with a Unicode
 * library, and search that.
 */
enum status store_user_search(struct store *s, const char *query, unsigned limit,
                              store_user_fn each, void *ud)
{
    if (query == NULL) {
        query = "";
    }
    if (strlen(query) > STORE_QUERY_MAX) {
        return STATUS_OK;
    }
    char pattern[2 * STORE_QUERY_MAX + 3];
    like_pattern(query, pattern);

    sqlite3_stmt *st = s->stmts[ST_USER_SEARCH];
    bind_text(st, 1, pattern, strlen(pattern));
    bind_u64(st, 2, limit);
    int rc;
    for (;;) {
        rc = sqlite3_step(st);
        if (rc != SQLITE_ROW) {
            break;
        }
        struct store_user u;
        row_user(st, 0, &u);
        each(ud, &u);
    }
    stmt_end(st);
    return rc == SQLITE_DONE ? STATUS_OK : store_db_status(s, rc, stmt_defs[ST_USER_SEARCH].name);
}

enum status store_token_put(struct store *s, const uint8_t hash[32], uint64_t user,
                            uint64_t expires_ms)
{
    sqlite3_stmt *st = s->stmts[ST_TOKEN_PUT];

    sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
    bind_u64(st, 2, user);
    bind_u64(st, 3, expires_ms);
    return stmt_exec(s, ST_TOKEN_PUT);
}

enum status store_token_lookup(struct store *s, const uint8_t hash[32], uint64_t now_ms,
                               uint64_t *user, uint64_t *expires_ms)
{
    sqlite3_stmt *st = s->stmts[ST_TOKEN_GET];
    sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);

    enum status result = STATUS_UNAUTHENTICATED;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && col_u64(st, 1) > now_ms) {
        *user = col_u64(st, 0);
        *expires_ms = col_u64(st, 1);
        result = STATUS_OK;
    } else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        result = store_db_status(s, rc, stmt_defs[ST_TOKEN_GET].name);
    }
    stmt_end(st);
    return result;
}

enum status store_token_delete(struct store *s, const uint8_t hash[32])
{
    sqlite3_bind_blob(s->stmts[ST_TOKEN_DELETE], 1, hash, 32, SQLITE_STATIC);
    return stmt_exec(s, ST_TOKEN_DELETE);
}

enum status store_token_purge(struct store *s, uint64_t now_ms)
{
    bind_u64(s->stmts[ST_TOKEN_PURGE], 1, now_ms);
    enum status st = stmt_exec(s, ST_TOKEN_PURGE);
    if (st == STATUS_OK && sqlite3_changes(s->db) > 0) {
        log_info("store", "expired tokens purged", "count=%d", sqlite3_changes(s->db));
    }
    return st;
}

/* ---- rooms and members -------------------------------------------------- */

/* Reads one room row from a statement whose parameters are bound. */
static enum status room_fetch(struct store *s, enum stmt_id id, struct store_room *out)
{
    sqlite3_stmt *st = s->stmts[id];
    enum status result = STATUS_NOT_FOUND;
    int rc = sqlite3_step(st);

    if (rc == SQLITE_ROW) {
        row_room(st, 0, out);
        result = STATUS_OK;
    } else if (rc != SQLITE_DONE) {
        result = store_db_status(s, rc, stmt_defs[id].name);
    }
    stmt_end(st);
    return result;
}

enum status store_room_get(struct store *s, uint64_t room, struct store_room *out)
{
    bind_u64(s->stmts[ST_ROOM_GET], 1, room);
    return room_fetch(s, ST_ROOM_GET, out);
}

/* For a dm: finds the one other member and makes the pair's key. */
static enum status dm_key_make(uint64_t creator, const uint64_t *members, size_t n, char *key,
                               size_t cap)
{
    uint64_t peer = 0;
    size_t others = 0;

    for (size_t i = 0; i < n; i++) {
        if (members[i] != creator) {
            peer = members[i];
            others++;
        }
    }
    if (others != 1) {
        return STATUS_BAD_REQUEST;
    }
    uint64_t low = creator < peer ? creator : peer;
    uint64_t high = creator < peer ? peer : creator;
    snprintf(key, cap, "%llu:%llu", (unsigned long long)low, (unsigned long long)high);
    return STATUS_OK;
}

enum status store_member_insert(struct store *s, uint64_t room, uint64_t user, uint64_t now,
                                bool *added)
{
    sqlite3_stmt *st = s->stmts[ST_MEMBER_INSERT];

    bind_u64(st, 1, room);
    bind_u64(st, 2, user);
    bind_u64(st, 3, now);
    enum status result = stmt_exec(s, ST_MEMBER_INSERT);
    *added = result == STATUS_OK && sqlite3_changes(s->db) > 0;
    return result;
}

/* Inserts the room and its members; runs inside the caller's transaction. */
enum status store_room_insert(struct store *s, const char *kind, const char *title,
                              uint64_t creator, const uint64_t *members, size_t n,
                              const char *dm_key, struct store_room *out)
{
    uint64_t now = now_ms();
    sqlite3_stmt *st = s->stmts[ST_ROOM_INSERT];
    bind_text(st, 1, kind, strlen(kind));
    bind_text(st, 2, title, strlen(title));
    bind_u64(st, 3, creator);
    bind_u64(st, 4, now);
    if (dm_key != NULL) {
        bind_text(st, 5, dm_key, strlen(dm_key));
    }
    bool found = false;
    *out = (struct store_room){.creator = creator, .created_ts = now};
    enum status result = stmt_u64(s, ST_ROOM_INSERT, &out->id, &found);
    snprintf(out->kind, sizeof(out->kind), "%s", kind);
    snprintf(out->title, sizeof(out->title), "%s", title);

    bool added = false;
    if (result == STATUS_OK) {
        result = store_member_insert(s, out->id, creator, now, &added);
    }
    for (size_t i = 0; i < n && result == STATUS_OK; i++) {
        result = store_member_insert(s, out->id, members[i], now, &added);
    }
    return result;
}

/* Inside the caller's transaction: finds the pair's dm when `dm_key` is set,
 * else makes the room. */
static enum status room_find_or_insert(struct store *s, const char *kind, const char *title,
                                       uint64_t creator, const uint64_t *members, size_t n,
                                       const char *dm_key, struct store_room *out, bool *found)
{
    *found = false;
    if (dm_key != NULL) {
        bind_text(s->stmts[ST_ROOM_BY_DM], 1, dm_key, strlen(dm_key));
        enum status st = room_fetch(s, ST_ROOM_BY_DM, out);
        *found = st == STATUS_OK;
        if (st != STATUS_NOT_FOUND) {
            return st;
        }
    }
    return store_room_insert(s, kind, title, creator, members, n, dm_key, out);
}

enum status store_room_create(struct store *s, const char *kind, const char *title,
                              uint64_t creator, const uint64_t *members, size_t n,
                              struct store_room *out, bool *existed)
{
    char key[48];
    const char *dm_key = NULL;

    if (title == NULL) {
        title = "";
    }
    if (!text_fits(kind, STORE_KIND_MAX) || kind[0] == '\0' || !text_fits(title, STORE_TITLE_MAX) ||
        n > STORE_MEMBERS_MAX || (n > 0 && !members)) {
        return STATUS_BAD_REQUEST;
    }
    if (strcmp(kind, "dm") == 0) {
        if (dm_key_make(creator, members, n, key, sizeof(key)) != STATUS_OK) {
            return STATUS_BAD_REQUEST;
        }
        dm_key = key;
    }

    enum status st = stmt_exec(s, ST_BEGIN);
    if (st != STATUS_OK) {
        return st;
    }
    bool found = false;
    st = room_find_or_insert(s, kind, title, creator, members, n, dm_key, out, &found);
    if (st != STATUS_OK) {
        store_tx_rollback(s);
        return st;
    }
    st = store_tx_commit(s);
    if (st == STATUS_OK && existed != NULL) {
        *existed = found;
    }
    return st;
}

enum status store_member_get(struct store *s, uint64_t room, uint64_t user, bool *member,
                             uint64_t *last_read)
{
    uint64_t marker = 0;
    sqlite3_stmt *st = s->stmts[ST_MEMBER_GET];

    bind_u64(st, 1, room);
    bind_u64(st, 2, user);
    enum status result = stmt_u64(s, ST_MEMBER_GET, &marker, member);
    if (last_read != NULL) {
        *last_read = marker;
    }
    return result;
}

enum status store_member_add(struct store *s, uint64_t room, uint64_t user)
{
    bool added = false;
    enum status st = store_member_insert(s, room, user, now_ms(), &added);

    if (st == STATUS_OK && !added) {
        st = STATUS_CONFLICT;
    }
    return st;
}

enum status store_member_delete(struct store *s, uint64_t room, uint64_t user, bool *removed)
{
    sqlite3_stmt *st = s->stmts[ST_MEMBER_DELETE];

    bind_u64(st, 1, room);
    bind_u64(st, 2, user);
    enum status result = stmt_exec(s, ST_MEMBER_DELETE);
    *removed = result == STATUS_OK && sqlite3_changes(s->db) > 0;
    return result;
}

enum status store_member_remove(struct store *s, uint64_t room, uint64_t user)
{
    bool removed = false;
    enum status result = store_member_delete(s, room, user, &removed);
    if (result != STATUS_OK || removed) {
        return result;
    }
    /* Nothing removed: say whether the room or only the membership is missing. */
    struct store_room r;
    result = store_room_get(s, room, &r);
    return result == STATUS_OK ? STATUS_CONFLICT : result;
}

enum status store_members(struct store *s, uint64_t room, store_member_fn each, void *ud)
{
    sqlite3_stmt *st = s->stmts[ST_MEMBERS];
    int rc;

    bind_u64(st, 1, room);
    for (;;) {
        rc = sqlite3_step(st);
        if (rc != SQLITE_ROW) {
            break;
        }
        struct store_user u;
        row_user(st, 0, &u);
        each(ud, &u, col_u64(st, 4));
    }
    stmt_end(st);
    return rc == SQLITE_DONE ? STATUS_OK : store_db_status(s, rc, stmt_defs[ST_MEMBERS].name);
}

enum status store_user_rooms(struct store *s, uint64_t user, uint64_t *out, size_t cap, size_t *n)
{
    sqlite3_stmt *st = s->stmts[ST_USER_ROOMS];
    int rc;

    *n = 0;
    bind_u64(st, 1, user);
    bind_u64(st, 2, cap);
    for (;;) {
        rc = sqlite3_step(st);
        if (rc != SQLITE_ROW || *n >= cap) {
            break;
        }
        out[(*n)++] = col_u64(st, 0);
    }
    stmt_end(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        return store_db_status(s, rc, stmt_defs[ST_USER_ROOMS].name);
    }
    return STATUS_OK;
}

static enum status row_summary(sqlite3_stmt *st, struct store_room_summary *sum)
{
    memset(sum, 0, sizeof(*sum));
    row_room(st, 0, &sum->room);
    sum->last_read = col_u64(st, 6);
    sum->unread = col_u64(st, 7);
    if (sqlite3_column_type(st, 8) != SQLITE_NULL) {
        row_user(st, 8, &sum->peer);
    }
    sum->has_last = sqlite3_column_type(st, 12) != SQLITE_NULL;
    if (sum->has_last) {
        return row_message(st, 12, sum->room.id, &sum->last);
    }
    return STATUS_OK;
}

/*
 * Counting unread messages walks every unread row of each room; a user who
 * never reads a busy room makes this slower, one index entry per message.
 */
enum status store_room_summaries(struct store *s, uint64_t user, store_summary_fn each, void *ud)
{
    sqlite3_stmt *st = s->stmts[ST_SUMMARIES];
    enum status result = STATUS_OK;
    int rc;

    bind_u64(st, 1, user);
    for (;;) {
        rc = sqlite3_step(st);
        if (rc != SQLITE_ROW) {
            break;
        }
        struct store_room_summary sum;
        result = row_summary(st, &sum);
        if (result != STATUS_OK) {
            break;
        }
        each(ud, &sum);
    }
    stmt_end(st);
    if (result == STATUS_OK && rc != SQLITE_DONE) {
        result = store_db_status(s, rc, stmt_defs[ST_SUMMARIES].name);
    }
    return result;
}

/* ---- messages: reads ---------------------------------------------------- */

/* Passes every row of a message statement to `each`. *first (may be NULL)
 * receives the first seq seen, 0 when there was none. */
static enum status message_rows(struct store *s, enum stmt_id id, uint64_t room,
                                store_message_fn each, void *ud, uint64_t *first)
{
    sqlite3_stmt *st = s->stmts[id];
    enum status result = STATUS_OK;
    size_t rows = 0;
    int rc;

    for (;;) {
        rc = sqlite3_step(st);
        if (rc != SQLITE_ROW) {
            break;
        }
        struct store_message m;
        result = row_message(st, 0, room, &m);
        if (result != STATUS_OK) {
            break;
        }
        if (rows++ == 0 && first != NULL) {
            *first = m.seq;
        }
        each(ud, &m);
    }
    stmt_end(st);
    if (result == STATUS_OK && rc != SQLITE_DONE) {
        result = store_db_status(s, rc, stmt_defs[id].name);
    }
    return result;
}

enum status store_history(struct store *s, uint64_t room, uint64_t before, unsigned limit,
                          store_message_fn each, void *ud, bool *more)
{
    *more = false;
    if (limit == 0) {
        return STATUS_BAD_REQUEST;
    }

    sqlite3_stmt *st = s->stmts[ST_MSG_HISTORY];
    bind_u64(st, 1, room);
    bind_u64(st, 2, before);
    bind_u64(st, 3, limit);
    uint64_t first = 0;
    enum status result = message_rows(s, ST_MSG_HISTORY, room, each, ud, &first);
    if (result != STATUS_OK || first == 0) {
        return result;
    }

    uint64_t older = 0;
    bool found = false;
    sqlite3_stmt *probe = s->stmts[ST_MSG_OLDER];
    bind_u64(probe, 1, room);
    bind_u64(probe, 2, first);
    result = stmt_u64(s, ST_MSG_OLDER, &older, &found);
    *more = found && older != 0;
    return result;
}

enum status store_since(struct store *s, uint64_t room, uint64_t since, unsigned cap,
                        store_message_fn each, void *ud, bool *gap)
{
    *gap = false;

    sqlite3_stmt *st = s->stmts[ST_MSG_SINCE];
    bind_u64(st, 1, room);
    bind_u64(st, 2, since);
    bind_u64(st, 3, cap);
    uint64_t first = 0;
    enum status result = message_rows(s, ST_MSG_SINCE, room, each, ud, &first);
    if (result != STATUS_OK || first != 0) {
        return result;
    }

    /* No rows: either nothing is newer, or more than `cap` is. */
    uint64_t over = 0;
    bool found = false;
    sqlite3_stmt *probe = s->stmts[ST_MSG_SINCE_GAP];
    bind_u64(probe, 1, room);
    bind_u64(probe, 2, since);
    bind_u64(probe, 3, cap);
    result = stmt_u64(s, ST_MSG_SINCE_GAP, &over, &found);
    *gap = found && over != 0;
    return result;
}

enum status store_message_get(struct store *s, uint64_t room, uint64_t seq, store_message_fn each,
                              void *ud)
{
    sqlite3_stmt *st = s->stmts[ST_MSG_GET];
    uint64_t first = 0;

    bind_u64(st, 1, room);
    bind_u64(st, 2, seq);
    enum status result = message_rows(s, ST_MSG_GET, room, each, ud, &first);
    if (result == STATUS_OK && first == 0) {
        result = STATUS_NOT_FOUND;
    }
    return result;
}
