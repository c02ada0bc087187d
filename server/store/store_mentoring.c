/*
 * The mentoring tables of the store: requests and their routing, mentor
 * profiles, the mentoring settings, scheduled sessions, notes, action items
 * and calls. The tables themselves are described with the others at the top
 * of store.c; this file holds migration step 2 that creates them and every
 * query that touches them.
 *
 * THE STATEMENTS
 *
 * The queries live in this file's own table, mstmt_defs below, prepared once
 * at open like store.c's and kept in store->mstmts. A second table rather
 * than more rows in store.c's keeps each query next to the only code that
 * runs it, and leaves store.c's statement ids, which its batched writer and
 * the rest of the store use, untouched. Both tables run on the one
 * connection, so a mentoring call may use store.c's statements and helpers
 * (the transaction statements, room and member inserts) inside its own
 * transaction, through store_internal.h.
 *
 * WRITES
 *
 * Every call that writes is one BEGIN IMMEDIATE transaction, committed
 * before it returns. The change of state itself is a conditional update,
 * `UPDATE ... WHERE id = ? AND status IN (...) RETURNING`, so whichever of
 * two processes sharing the file comes second finds no row to change and
 * answers STATUS_CONFLICT, having changed nothing. Only when the update
 * matched nothing does the call read the row again to tell why:
 *
 *  - STATUS_NOT_FOUND: no such request (or session, note, action, call).
 *  - STATUS_FORBIDDEN: the request belongs to another business (cancel,
 *    close), checked first, since a business never changes; or the request
 *    is in the right state but offered to or held by another mentor
 *    (accept, decline); or a transfer's actor is neither the request's
 *    mentor nor a moderator or admin.
 *  - STATUS_CONFLICT: the request is in a state that does not allow the
 *    change. A mentor who answers an offer that has since gone back to the
 *    queue gets this, not STATUS_FORBIDDEN: the state moved, not the caller.
 *
 * Sessions, notes, action items and calls may only change while their
 * request is active; once it is closed every write to them is a
 * STATUS_CONFLICT, decided inside the transaction that would write.
 *
 * READS
 *
 * As everywhere in the store, a list's callback runs while its query is
 * open and should only read. Two calls are made to be written from:
 * store_mrequest_queue reads each request with a query of its own, closed
 * before the callback runs, so auto-assign may offer as it walks; and
 * store_msession_claim_reminders hands over its sessions after the commit.
 *
 * Strings are copied into the fixed-size fields of the structs, which the
 * header sizes by its limits. A longer string is refused with
 * STATUS_TOO_LARGE before anything is written; NULL where text is required
 * is STATUS_BAD_REQUEST.
 */
#include "store_mentoring.h"

#include <stdio.h>
#include <stdlib.h>

#include "store_internal.h"

/* Most session reminders one transaction claims; the call goes on with
 * the next batch. */
#define MSESSION_CLAIM_BATCH 16
/* The longest session the store keeps (the protocol allows 480 minutes).
 * The reminder scan looks no further back than this, so sessions that
 * ended unreminded (their mentorship closed first) are never read again. */
#define MSESSION_DURATION_MAX_MIN (24 * 60)
/* Settings are kept in `meta` under this prefix, apart from `epoch`. */
#define SETTING_PREFIX  "setting."
#define SETTING_KEY_MAX 64

/* ---- schema: migration step 2 ------------------------------------------- */

const char store_schema_mentoring[] =
    "CREATE INDEX users_role ON users(role);"
    "CREATE TABLE mentoring_requests ("
    "  id INTEGER PRIMARY KEY,"
    "  business INTEGER NOT NULL REFERENCES users(id),"
    "  topic TEXT NOT NULL,"
    "  description TEXT NOT NULL,"
    "  status TEXT NOT NULL CHECK (status IN "
    "    ('waiting', 'offered', 'active', 'closed', 'cancelled')),"
    "  mentor INTEGER REFERENCES users(id),"
    "  room INTEGER UNIQUE REFERENCES rooms(id),"
    "  created_ts INTEGER NOT NULL,"
    "  queued_ts INTEGER NOT NULL,"
    "  assigned_ts INTEGER,"
    "  first_assigned_ts INTEGER,"
    "  accepted_ts INTEGER,"
    "  closed_ts INTEGER,"
    "  rating INTEGER CHECK (rating BETWEEN 1 AND 5),"
    "  comment TEXT,"
    "  note TEXT"
    ");"
    "CREATE INDEX mentoring_requests_queue ON mentoring_requests(queued_ts, id) "
    "  WHERE status = 'waiting';"
    "CREATE INDEX mentoring_requests_business ON mentoring_requests(business, id);"
    "CREATE INDEX mentoring_requests_mentor ON mentoring_requests(mentor, status);"
    "CREATE INDEX mentoring_requests_created ON mentoring_requests(created_ts);"
    "CREATE TABLE mentoring_routes ("
    "  id INTEGER PRIMARY KEY,"
    "  request INTEGER NOT NULL REFERENCES mentoring_requests(id),"
    "  kind TEXT NOT NULL CHECK (kind IN ('offer', 'decline', 'transfer')),"
    "  actor INTEGER NOT NULL,"
    "  mentor INTEGER NOT NULL REFERENCES users(id),"
    "  note TEXT,"
    "  ts INTEGER NOT NULL"
    ");"
    "CREATE INDEX mentoring_routes_request ON mentoring_routes(request, kind, mentor);"
    "CREATE TABLE mentors ("
    "  user INTEGER PRIMARY KEY REFERENCES users(id),"
    "  available INTEGER NOT NULL DEFAULT 0,"
    "  updated_ts INTEGER NOT NULL"
    ");"
    "CREATE TABLE mentor_topics ("
    "  user INTEGER NOT NULL REFERENCES users(id),"
    "  topic TEXT NOT NULL,"
    "  PRIMARY KEY (user, topic)"
    ") WITHOUT ROWID;"
    "CREATE INDEX mentor_topics_topic ON mentor_topics(topic, user);"
    "CREATE TABLE mentoring_sessions ("
    "  id INTEGER PRIMARY KEY,"
    "  request INTEGER NOT NULL REFERENCES mentoring_requests(id),"
    "  room INTEGER NOT NULL REFERENCES rooms(id),"
    "  starts_ts INTEGER NOT NULL,"
    "  duration_min INTEGER NOT NULL,"
    "  agenda TEXT NOT NULL,"
    "  cancelled INTEGER NOT NULL DEFAULT 0,"
    "  reminded INTEGER NOT NULL DEFAULT 0,"
    "  created_by INTEGER NOT NULL REFERENCES users(id),"
    "  created_ts INTEGER NOT NULL,"
    "  updated_ts INTEGER NOT NULL"
    ");"
    "CREATE INDEX mentoring_sessions_room ON mentoring_sessions(room, starts_ts);"
    "CREATE INDEX mentoring_sessions_due ON mentoring_sessions(starts_ts) "
    "  WHERE cancelled = 0 AND reminded = 0;"
    "CREATE TABLE mentoring_notes ("
    "  id INTEGER PRIMARY KEY,"
    "  request INTEGER NOT NULL REFERENCES mentoring_requests(id),"
    "  room INTEGER NOT NULL REFERENCES rooms(id),"
    "  author INTEGER NOT NULL REFERENCES users(id),"
    "  body TEXT NOT NULL,"
    "  created_ts INTEGER NOT NULL,"
    "  updated_ts INTEGER NOT NULL"
    ");"
    "CREATE INDEX mentoring_notes_room ON mentoring_notes(room, id);"
    "CREATE TABLE mentoring_actions ("
    "  id INTEGER PRIMARY KEY,"
    "  request INTEGER NOT NULL REFERENCES mentoring_requests(id),"
    "  room INTEGER NOT NULL REFERENCES rooms(id),"
    "  text TEXT NOT NULL,"
    "  owner INTEGER NOT NULL REFERENCES users(id),"
    "  due TEXT NOT NULL DEFAULT '',"
    "  done INTEGER NOT NULL DEFAULT 0,"
    "  created_by INTEGER NOT NULL REFERENCES users(id),"
    "  created_ts INTEGER NOT NULL,"
    "  updated_ts INTEGER NOT NULL"
    ");"
    "CREATE INDEX mentoring_actions_room ON mentoring_actions(room, id);"
    "CREATE TABLE calls ("
    "  id INTEGER PRIMARY KEY,"
    "  room INTEGER NOT NULL REFERENCES rooms(id),"
    "  state TEXT NOT NULL CHECK (state IN ('ringing', 'active', 'ended')),"
    "  started_by INTEGER NOT NULL REFERENCES users(id),"
    "  started_ts INTEGER NOT NULL,"
    "  accepted_ts INTEGER,"
    "  ended_ts INTEGER,"
    "  end_reason TEXT"
    ");"
    "CREATE UNIQUE INDEX calls_current ON calls(room) WHERE state IN ('ringing', 'active');";

/* ---- statements --------------------------------------------------------- */

/* A request with its business and mentor, in the order row_request reads.
 * The position is the request's rank in the queue, counted through the
 * partial index of waiting requests. */
#define REQ_SELECT                                                                                 \
    "SELECT r.id, b.id, b.username, b.name, b.role, r.topic, r.description, r.status, "            \
    "  m.id, m.username, m.name, m.role, r.room, "                                                 \
    "  CASE WHEN r.status = 'waiting' THEN (SELECT count(*) FROM mentoring_requests w "            \
    "    WHERE w.status = 'waiting' AND (w.queued_ts, w.id) <= (r.queued_ts, r.id)) "              \
    "  ELSE 0 END, "                                                                               \
    "  r.created_ts, r.queued_ts, r.assigned_ts, r.first_assigned_ts, r.accepted_ts, "             \
    "  r.closed_ts, r.rating, r.comment, r.note "                                                  \
    "FROM mentoring_requests r JOIN users b ON b.id = r.business "                                 \
    "LEFT JOIN users m ON m.id = r.mentor "

/* The status bit of a request row, to test against a mask of statuses. */
#define REQ_STATUS_BIT                                                                             \
    "(CASE r.status WHEN 'waiting' THEN 1 WHEN 'offered' THEN 2 WHEN 'active' THEN 4 "             \
    "  WHEN 'closed' THEN 8 ELSE 16 END)"

/* The load of mentor u: the requests offered to or active with them. */
#define MENTOR_LOAD                                                                                \
    "(SELECT count(*) FROM mentoring_requests q "                                                  \
    "  WHERE q.mentor = u.id AND q.status IN ('offered', 'active'))"

/* A mentor with availability, topics ("a,b,c") and load, for row_mentor. */
#define MENTOR_SELECT                                                                              \
    "SELECT u.id, u.username, u.name, u.role, coalesce(p.available, 0), "                          \
    "  (SELECT group_concat(t.topic, ',') FROM mentor_topics t WHERE t.user = u.id), " MENTOR_LOAD \
    " FROM users u LEFT JOIN mentors p ON p.user = u.id WHERE u.role = 'mentor' "

#define SESSION_COLS                                                                               \
    "id, room, request, starts_ts, duration_min, agenda, cancelled, created_by, created_ts, "      \
    "updated_ts"
#define NOTE_COLS   "id, room, request, author, body, created_ts, updated_ts"
#define ACTION_COLS "id, room, request, text, owner, due, done, created_by, created_ts, updated_ts"
#define CALL_COLS   "id, room, state, started_by, started_ts, accepted_ts, ended_ts, end_reason"

/* Rows of children that may still change: their request is active. One
 * search by the request's id per row, never a scan of the requests. */
#define WHILE_ACTIVE "(SELECT q.status FROM mentoring_requests q WHERE q.id = request) = 'active'"

enum mstmt_id {
    MS_REQ_INSERT,
    MS_REQ_GET,
    MS_REQ_BY_ROOM,
    MS_REQ_STATE,
    MS_REQ_LIST,
    MS_REQ_LIST_BUSINESS,
    MS_REQ_LIST_MENTOR,
    MS_REQ_QUEUE_NEXT,
    MS_REQ_OFFER,
    MS_REQ_PICK,
    MS_REQ_ACTIVATE,
    MS_REQ_SET_ROOM,
    MS_REQ_DECLINE,
    MS_REQ_TRANSFER,
    MS_REQ_CANCEL,
    MS_REQ_CLOSE,
    MS_ROUTE_INSERT,
    MS_MENTOR_GET,
    MS_MENTORS,
    MS_MENTORS_TOPIC,
    MS_MENTOR_UPSERT,
    MS_TOPICS_CLEAR,
    MS_TOPIC_ADD,
    MS_USERS_BY_ROLE,
    MS_SETTING_GET,
    MS_SETTING_PUT,
    MS_SESSION_INSERT,
    MS_SESSION_GET,
    MS_SESSION_UPDATE,
    MS_SESSION_CANCEL,
    MS_SESSIONS,
    MS_SESSION_CLAIM,
    MS_NOTE_INSERT,
    MS_NOTE_GET,
    MS_NOTE_EDIT,
    MS_NOTES,
    MS_ACTION_INSERT,
    MS_ACTION_GET,
    MS_ACTION_UPDATE,
    MS_ACTIONS,
    MS_CALL_INSERT,
    MS_CALL_GET,
    MS_CALL_CURRENT,
    MS_CALL_ROOMS_OF,
    MS_REQ_PEOPLE,
    MS_CALLS_OPEN,
    MS_SESSIONS_CANCEL_AFTER,
    MS_CALL_ACCEPT,
    MS_CALL_END,
    MS_FIGURES,
    MS_COUNT
};

_Static_assert(MS_COUNT <= STORE_MSTMTS_MAX, "raise STORE_MSTMTS_MAX");

struct mstmt_def {
    const char *name;
    const char *sql;
};

static const struct mstmt_def mstmt_defs[MS_COUNT] = {
    [MS_REQ_INSERT] = {"mreq_insert",
                       "INSERT INTO mentoring_requests(business, topic, description, status, "
                       "  created_ts, queued_ts) "
                       "VALUES (?1, ?2, ?3, 'waiting', ?4, ?4) RETURNING id"},
    [MS_REQ_GET] = {"mreq_get", REQ_SELECT "WHERE r.id = ?1"},
    [MS_REQ_BY_ROOM] = {"mreq_by_room", REQ_SELECT "WHERE r.room = ?1"},
    [MS_REQ_STATE] = {"mreq_state", "SELECT status, business, coalesce(mentor, 0), "
                                    "coalesce(room, 0) FROM mentoring_requests WHERE id = ?1"},
    /* The three lists share their parameters: ?1 the status mask, ?2 the
     * business, ?3 the mentor, ?4 the limit; each uses those it needs and
     * starts from the index that narrows it most. */
    [MS_REQ_LIST] = {"mreq_list", REQ_SELECT "WHERE (" REQ_STATUS_BIT " & ?1) <> 0 "
                                             "ORDER BY r.id DESC LIMIT ?4"},
    [MS_REQ_LIST_BUSINESS] = {"mreq_list_business",
                              REQ_SELECT "WHERE r.business = ?2 AND (" REQ_STATUS_BIT " & ?1) <> 0 "
                                         "AND (?3 = 0 OR r.mentor = ?3) "
                                         "ORDER BY r.id DESC LIMIT ?4"},
    [MS_REQ_LIST_MENTOR] = {"mreq_list_mentor",
                            REQ_SELECT "WHERE r.mentor = ?3 AND (" REQ_STATUS_BIT " & ?1) <> 0 "
                                       "ORDER BY r.id DESC LIMIT ?4"},
    /* The next waiting request after (?1, ?2) in queue order: the queue is
     * walked one short query at a time, so its callback may write. */
    [MS_REQ_QUEUE_NEXT] = {"mreq_queue_next", REQ_SELECT "WHERE r.status = 'waiting' "
                                                         "AND (r.queued_ts, r.id) > (?1, ?2) "
                                                         "ORDER BY r.queued_ts, r.id LIMIT 1"},
    [MS_REQ_OFFER] = {"mreq_offer",
                      "UPDATE mentoring_requests SET status = 'offered', mentor = ?2, "
                      "  assigned_ts = ?3, first_assigned_ts = coalesce(first_assigned_ts, ?3) "
                      "WHERE id = ?1 AND status IN ('waiting', 'offered') RETURNING id"},
    /* Least-loaded first, then the lowest id. A mentor who declined the
     * request once is never picked for it again. */
    [MS_REQ_PICK] = {"mreq_pick",
                     "SELECT u.id FROM users u "
                     "JOIN mentors p ON p.user = u.id AND p.available = 1 "
                     "JOIN mentor_topics t ON t.user = u.id AND t.topic = ?2 "
                     "WHERE u.role = 'mentor' AND NOT EXISTS (SELECT 1 FROM mentoring_routes d "
                     "  WHERE d.request = ?1 AND d.kind = 'decline' AND d.mentor = u.id) "
                     "ORDER BY " MENTOR_LOAD ", u.id LIMIT 1"},
    [MS_REQ_ACTIVATE] = {"mreq_activate",
                         "UPDATE mentoring_requests SET status = 'active', accepted_ts = ?3 "
                         "WHERE id = ?1 AND status = 'offered' AND mentor = ?2 "
                         "RETURNING business"},
    [MS_REQ_SET_ROOM] = {"mreq_set_room", "UPDATE mentoring_requests SET room = ?2 WHERE id = ?1"},
    [MS_REQ_DECLINE] = {"mreq_decline",
                        "UPDATE mentoring_requests SET status = 'waiting', mentor = NULL, "
                        "  note = ?3 "
                        "WHERE id = ?1 AND status = 'offered' AND mentor = ?2 RETURNING id"},
    /* A transfer of an offered request is a new offer; of an active one, it
     * keeps the time of the offer that was accepted. */
    [MS_REQ_TRANSFER] = {"mreq_transfer",
                         "UPDATE mentoring_requests SET mentor = ?3, note = ?4, "
                         "  assigned_ts = CASE status WHEN 'offered' THEN ?5 ELSE assigned_ts END "
                         "WHERE id = ?1 AND mentor = ?2 AND status IN ('offered', 'active') "
                         "RETURNING id"},
    [MS_REQ_CANCEL] = {"mreq_cancel",
                       "UPDATE mentoring_requests SET status = 'cancelled', closed_ts = ?3 "
                       "WHERE id = ?1 AND business = ?2 AND status IN ('waiting', 'offered') "
                       "RETURNING id"},
    [MS_REQ_CLOSE] = {"mreq_close",
                      "UPDATE mentoring_requests SET status = 'closed', closed_ts = ?3, "
                      "  rating = ?4, comment = ?5 "
                      "WHERE id = ?1 AND business = ?2 AND status = 'active' RETURNING id"},
    [MS_ROUTE_INSERT] = {"mroute_insert",
                         "INSERT INTO mentoring_routes(request, kind, actor, mentor, note, ts) "
                         "VALUES (?1, ?2, ?3, ?4, ?5, ?6)"},
    [MS_MENTOR_GET] = {"mentor_get", MENTOR_SELECT "AND u.id = ?1"},
    [MS_MENTORS] = {"mentors", MENTOR_SELECT "ORDER BY u.name, u.id"},
    [MS_MENTORS_TOPIC] = {"mentors_topic",
                          MENTOR_SELECT "AND EXISTS (SELECT 1 FROM mentor_topics x "
                                        "  WHERE x.user = u.id AND x.topic = ?1) "
                                        "ORDER BY u.name, u.id"},
    [MS_MENTOR_UPSERT] = {"mentor_upsert",
                          "INSERT INTO mentors(user, available, updated_ts) "
                          "VALUES (?1, coalesce(?2, 0), ?3) ON CONFLICT (user) DO UPDATE "
                          "SET available = coalesce(?2, available), updated_ts = ?3"},
    [MS_TOPICS_CLEAR] = {"topics_clear", "DELETE FROM mentor_topics WHERE user = ?1"},
    [MS_TOPIC_ADD] = {"topic_add", "INSERT INTO mentor_topics(user, topic) VALUES (?1, ?2) "
                                   "ON CONFLICT DO NOTHING"},
    [MS_USERS_BY_ROLE] = {"users_by_role",
                          "SELECT id FROM users WHERE role = ?1 ORDER BY id LIMIT ?2"},
    [MS_SETTING_GET] = {"setting_get", "SELECT value FROM meta WHERE key = ?1"},
    [MS_SETTING_PUT] = {"setting_put", "INSERT INTO meta(key, value) VALUES (?1, ?2) "
                                       "ON CONFLICT (key) DO UPDATE SET value = excluded.value"},
    [MS_SESSION_INSERT] = {"msession_insert",
                           "INSERT INTO mentoring_sessions(request, room, starts_ts, "
                           "  duration_min, agenda, created_by, created_ts, updated_ts) "
                           "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7) RETURNING id"},
    [MS_SESSION_GET] = {"msession_get",
                        "SELECT " SESSION_COLS " FROM mentoring_sessions WHERE id = ?1"},
    /* A change of time or agenda makes the reminder due again. */
    [MS_SESSION_UPDATE] = {"msession_update",
                           "UPDATE mentoring_sessions SET starts_ts = coalesce(?2, starts_ts), "
                           "  duration_min = coalesce(?3, duration_min), "
                           "  agenda = coalesce(?4, agenda), reminded = 0, updated_ts = ?5 "
                           "WHERE id = ?1 AND cancelled = 0 AND " WHILE_ACTIVE " RETURNING id"},
    [MS_SESSION_CANCEL] = {"msession_cancel",
                           "UPDATE mentoring_sessions SET cancelled = 1, updated_ts = ?2 "
                           "WHERE id = ?1 AND cancelled = 0 AND " WHILE_ACTIVE " RETURNING id"},
    [MS_SESSIONS] = {"msessions", "SELECT " SESSION_COLS " FROM mentoring_sessions "
                                  "WHERE room = ?1 ORDER BY starts_ts, id"},
    /* Due: starts by ?2 (now + lead) and has not ended by ?1 (now). */
    [MS_SESSION_CLAIM] =
        {"msession_claim",
         "UPDATE mentoring_sessions SET reminded = 1 WHERE id IN "
         "  (SELECT id FROM mentoring_sessions "
         "   WHERE cancelled = 0 AND reminded = 0 AND starts_ts <= ?2 AND starts_ts > ?4 "
         "   AND starts_ts + duration_min * 60000 > ?1 AND " WHILE_ACTIVE " "
         "   ORDER BY starts_ts, id LIMIT ?3) "
         "RETURNING " SESSION_COLS},
    [MS_NOTE_INSERT] = {"mnote_insert",
                        "INSERT INTO mentoring_notes(request, room, author, body, created_ts, "
                        "  updated_ts) VALUES (?1, ?2, ?3, ?4, ?5, ?5) RETURNING id"},
    [MS_NOTE_GET] = {"mnote_get", "SELECT " NOTE_COLS " FROM mentoring_notes WHERE id = ?1"},
    [MS_NOTE_EDIT] = {"mnote_edit", "UPDATE mentoring_notes SET body = ?2, updated_ts = ?3 "
                                    "WHERE id = ?1 AND " WHILE_ACTIVE " RETURNING id"},
    [MS_NOTES] = {"mnotes",
                  "SELECT " NOTE_COLS " FROM mentoring_notes WHERE room = ?1 ORDER BY id"},
    [MS_ACTION_INSERT] = {"maction_insert",
                          "INSERT INTO mentoring_actions(request, room, text, owner, due, "
                          "  created_by, created_ts, updated_ts) "
                          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7) RETURNING id"},
    [MS_ACTION_GET] = {"maction_get",
                       "SELECT " ACTION_COLS " FROM mentoring_actions WHERE id = ?1"},
    /* NULL parameters keep their field. */
    [MS_ACTION_UPDATE] = {"maction_update",
                          "UPDATE mentoring_actions SET text = coalesce(?2, text), "
                          "  owner = coalesce(?3, owner), due = coalesce(?4, due), "
                          "  done = coalesce(?5, done), updated_ts = ?6 "
                          "WHERE id = ?1 AND " WHILE_ACTIVE " RETURNING id"},
    [MS_ACTIONS] = {"mactions",
                    "SELECT " ACTION_COLS " FROM mentoring_actions WHERE room = ?1 ORDER BY id"},
    /* No row when the room is a mentorship that is not active; a second
     * current call in the room breaks the calls_current index. */
    [MS_CALL_INSERT] = {"call_insert",
                        "INSERT INTO calls(room, state, started_by, started_ts) "
                        "SELECT ?1, 'ringing', ?2, ?3 WHERE NOT EXISTS (SELECT 1 "
                        "  FROM mentoring_requests WHERE room = ?1 AND status <> 'active') "
                        "RETURNING id"},
    [MS_CALL_GET] = {"call_get", "SELECT " CALL_COLS " FROM calls WHERE id = ?1"},
    [MS_CALL_CURRENT] = {"call_current", "SELECT " CALL_COLS " FROM calls "
                                         "WHERE room = ?1 AND state IN ('ringing', 'active')"},
    [MS_SESSIONS_CANCEL_AFTER] = {"msessions_cancel_after",
                                  "UPDATE mentoring_sessions SET cancelled = 1, updated_ts = ?2 "
                                  "WHERE request = ?1 AND cancelled = 0 AND starts_ts > ?2"},
    [MS_CALLS_OPEN] = {"calls_open", "SELECT " CALL_COLS " FROM calls "
                                     "WHERE state IN ('ringing', 'active') ORDER BY id"},
    [MS_REQ_PEOPLE] = {"mreq_people",
                       "SELECT id, username, name, role FROM users WHERE id IN ("
                       "  SELECT business FROM mentoring_requests WHERE id = ?1"
                       "  UNION SELECT mentor FROM mentoring_routes WHERE request = ?1"
                       "  UNION SELECT author FROM mentoring_notes WHERE request = ?1"
                       "  UNION SELECT owner FROM mentoring_actions WHERE request = ?1"
                       "  UNION SELECT created_by FROM mentoring_actions WHERE request = ?1"
                       "  UNION SELECT created_by FROM mentoring_sessions WHERE request = ?1"
                       ") ORDER BY id LIMIT ?2"},
    [MS_CALL_ROOMS_OF] = {"call_rooms_of", "SELECT c.room FROM calls c "
                                           "JOIN members m ON m.room = c.room AND m.user = ?1 "
                                           "WHERE c.state IN ('ringing', 'active') LIMIT ?2"},
    [MS_CALL_ACCEPT] = {"call_accept", "UPDATE calls SET state = 'active', accepted_ts = ?2 "
                                       "WHERE id = ?1 AND state = 'ringing' RETURNING id"},
    [MS_CALL_END] = {"call_end", "UPDATE calls SET state = 'ended', ended_ts = ?2, "
                                 "  end_reason = ?3 "
                                 "WHERE id = ?1 AND state IN ('ringing', 'active') RETURNING id"},
    /* Per topic, over the requests created since ?1: the sessions counted
     * are those of these requests that were held before ?2 (now). */
    [MS_FIGURES] = {"mfigures", "SELECT r.topic, count(*), count(r.first_assigned_ts), "
                                "  coalesce(sum(r.first_assigned_ts - r.created_ts), 0), "
                                "  coalesce(sum((SELECT count(*) FROM mentoring_sessions x "
                                "    WHERE x.room = r.room AND x.cancelled = 0 "
                                "    AND x.starts_ts + x.duration_min * 60000 < ?2 "
                                "    AND (r.closed_ts IS NULL OR x.starts_ts < r.closed_ts))), 0), "
                                "  count(r.rating), coalesce(sum(r.rating), 0) "
                                "FROM mentoring_requests r WHERE r.created_ts >= ?1 "
                                "GROUP BY r.topic ORDER BY r.topic"},
};

enum status store_mentoring_prepare(struct store *s)
{
    for (int i = 0; i < MS_COUNT; i++) {
        int rc = sqlite3_prepare_v3(s->db, mstmt_defs[i].sql, -1, SQLITE_PREPARE_PERSISTENT,
                                    &s->mstmts[i], NULL);
        if (rc != SQLITE_OK) {
            return store_db_status(s, rc, mstmt_defs[i].name);
        }
    }
    return STATUS_OK;
}

void store_mentoring_release(struct store *s)
{
    for (int i = 0; i < MS_COUNT; i++) {
        sqlite3_finalize(s->mstmts[i]);
        s->mstmts[i] = NULL;
    }
}

/* ---- helpers -------------------------------------------------------------- */

static const char *const mstatus_names[] = {"waiting", "offered", "active", "closed", "cancelled"};
#define MSTATUS_COUNT (sizeof(mstatus_names) / sizeof(mstatus_names[0]))

const char *store_mstatus_name(unsigned status)
{
    for (size_t i = 0; i < MSTATUS_COUNT; i++) {
        if (status == 1u << i) {
            return mstatus_names[i];
        }
    }
    return "";
}

unsigned store_mstatus_bit(const char *name)
{
    for (size_t i = 0; name != NULL && i < MSTATUS_COUNT; i++) {
        if (strcmp(name, mstatus_names[i]) == 0) {
            return 1u << i;
        }
    }
    return 0;
}

/* STATUS_BAD_REQUEST for NULL, STATUS_TOO_LARGE past `max` bytes. */
static enum status text_check(const char *text, size_t max)
{
    if (text == NULL) {
        return STATUS_BAD_REQUEST;
    }
    return text_fits(text, max) ? STATUS_OK : STATUS_TOO_LARGE;
}

/* Topics are short lower-case names; the store relies on that, since a
 * mentor's topics are read back joined by commas. */
static enum status topic_check(const char *topic)
{
    enum status st = text_check(topic, STORE_TOPIC_MAX);
    if (st != STATUS_OK) {
        return st;
    }
    if (topic[0] == '\0' || topic[strspn(topic, "abcdefghijklmnopqrstuvwxyz0123456789_")] != '\0') {
        return STATUS_BAD_REQUEST;
    }
    return STATUS_OK;
}

static void bind_str(sqlite3_stmt *st, int i, const char *text)
{
    bind_text(st, i, text, strlen(text));
}

/* Ends the transaction the caller opened: commits when `st` is STATUS_OK,
 * rolls back otherwise. Returns the outcome. */
static enum status tx_end(struct store *s, enum status st)
{
    if (st != STATUS_OK) {
        store_tx_rollback(s);
        return st;
    }
    return store_tx_commit(s);
}

/* Runs a statement to its end, ignoring any rows. */
static enum status m_exec(struct store *s, enum mstmt_id id)
{
    sqlite3_stmt *st = s->mstmts[id];
    int rc;

    do {
        rc = sqlite3_step(st);
    } while (rc == SQLITE_ROW);
    stmt_end(st);
    return rc == SQLITE_DONE ? STATUS_OK : store_db_status(s, rc, mstmt_defs[id].name);
}

/* Runs a statement that yields at most one row and keeps its first column;
 * *found tells whether there was a row. */
static enum status m_u64(struct store *s, enum mstmt_id id, uint64_t *out, bool *found)
{
    sqlite3_stmt *st = s->mstmts[id];
    int rc = sqlite3_step(st);

    *found = rc == SQLITE_ROW;
    if (*found) {
        *out = col_u64(st, 0);
        rc = sqlite3_step(st);
    }
    stmt_end(st);
    if (rc != SQLITE_DONE) {
        *found = false;
        return store_db_status(s, rc, mstmt_defs[id].name);
    }
    return STATUS_OK;
}

/* Reads one row of a statement into `out`; STATUS_NOT_FOUND without one. */
typedef void (*row_fn)(sqlite3_stmt *st, void *out);

static enum status m_row(struct store *s, enum mstmt_id id, row_fn row, void *out)
{
    sqlite3_stmt *st = s->mstmts[id];
    enum status result = STATUS_NOT_FOUND;
    int rc = sqlite3_step(st);

    if (rc == SQLITE_ROW) {
        row(st, out);
        result = STATUS_OK;
    } else if (rc != SQLITE_DONE) {
        result = store_db_status(s, rc, mstmt_defs[id].name);
    }
    stmt_end(st);
    return result;
}

/* Hands every row of a statement to `visit`, while the query is open. */
typedef void (*visit_fn)(sqlite3_stmt *st, void *ctx);

static enum status m_rows(struct store *s, enum mstmt_id id, visit_fn visit, void *ctx)
{
    sqlite3_stmt *st = s->mstmts[id];
    int rc;

    for (;;) {
        rc = sqlite3_step(st);
        if (rc != SQLITE_ROW) {
            break;
        }
        visit(st, ctx);
    }
    stmt_end(st);
    return rc == SQLITE_DONE ? STATUS_OK : store_db_status(s, rc, mstmt_defs[id].name);
}

/* The role of a user; STATUS_NOT_FOUND when there is no such user. */
static enum status user_role(struct store *s, uint64_t user, char *role, size_t cap)
{
    sqlite3_stmt *st = s->stmts[ST_USER_GET];
    enum status result = STATUS_NOT_FOUND;

    bind_u64(st, 1, user);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        col_copy(st, 3, role, cap);
        result = STATUS_OK;
    } else if (rc != SQLITE_DONE) {
        result = store_db_status(s, rc, "user_get");
    }
    stmt_end(st);
    return result;
}

/* STATUS_NOT_FOUND unless `user` exists with role mentor. */
static enum status mentor_check(struct store *s, uint64_t user)
{
    char role[STORE_ROLE_MAX + 1] = "";
    enum status st = user_role(s, user, role, sizeof(role));

    if (st == STATUS_OK && strcmp(role, "mentor") != 0) {
        st = STATUS_NOT_FOUND;
    }
    return st;
}

/* ---- row readers -------------------------------------------------------- */

static void row_request(sqlite3_stmt *st, void *out)
{
    struct store_mrequest *r = out;
    char status[STORE_MSTATUS_MAX + 1];

    memset(r, 0, sizeof(*r));
    r->id = col_u64(st, 0);
    row_user(st, 1, &r->business);
    col_copy(st, 5, r->topic, sizeof(r->topic));
    col_copy(st, 6, r->description, sizeof(r->description));
    col_copy(st, 7, status, sizeof(status));
    r->status = store_mstatus_bit(status);
    row_user(st, 8, &r->mentor);
    r->room = col_u64(st, 12);
    r->position = (uint32_t)col_u64(st, 13);
    r->created_ts = col_u64(st, 14);
    r->queued_ts = col_u64(st, 15);
    r->assigned_ts = col_u64(st, 16);
    r->first_assigned_ts = col_u64(st, 17);
    r->accepted_ts = col_u64(st, 18);
    r->closed_ts = col_u64(st, 19);
    r->rating = (uint32_t)col_u64(st, 20);
    col_copy(st, 21, r->comment, sizeof(r->comment));
    col_copy(st, 22, r->note, sizeof(r->note));
}

static int topic_cmp(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* Splits "a,b,c" into the mentor's topics, sorted. */
static void mentor_topics_split(const char *joined, struct store_mentor *m)
{
    const char *p = joined;

    while (*p != '\0' && m->topic_count < STORE_TOPICS_MAX) {
        size_t n = strcspn(p, ",");
        if (n > 0 && n <= STORE_TOPIC_MAX) {
            memcpy(m->topics[m->topic_count], p, n);
            m->topics[m->topic_count][n] = '\0';
            m->topic_count++;
        }
        p += n;
        if (*p == ',') {
            p++;
        }
    }
    qsort(m->topics, m->topic_count, sizeof(m->topics[0]), topic_cmp);
}

static void row_mentor(sqlite3_stmt *st, void *out)
{
    struct store_mentor *m = out;

    memset(m, 0, sizeof(*m));
    row_user(st, 0, &m->user);
    m->available = sqlite3_column_int(st, 4) != 0;
    const char *joined = col_text(st, 5, NULL);
    mentor_topics_split(joined != NULL ? joined : "", m);
    m->load = (uint32_t)col_u64(st, 6);
}

static void row_session(sqlite3_stmt *st, void *out)
{
    struct store_msession *v = out;

    memset(v, 0, sizeof(*v));
    v->id = col_u64(st, 0);
    v->room = col_u64(st, 1);
    v->request = col_u64(st, 2);
    v->starts_ts = col_u64(st, 3);
    v->duration_min = (uint32_t)col_u64(st, 4);
    col_copy(st, 5, v->agenda, sizeof(v->agenda));
    v->cancelled = sqlite3_column_int(st, 6) != 0;
    v->created_by = col_u64(st, 7);
    v->created_ts = col_u64(st, 8);
    v->updated_ts = col_u64(st, 9);
}

static void row_note(sqlite3_stmt *st, void *out)
{
    struct store_note *n = out;

    memset(n, 0, sizeof(*n));
    n->id = col_u64(st, 0);
    n->room = col_u64(st, 1);
    n->request = col_u64(st, 2);
    n->author = col_u64(st, 3);
    col_copy(st, 4, n->body, sizeof(n->body));
    n->created_ts = col_u64(st, 5);
    n->updated_ts = col_u64(st, 6);
}

static void row_action(sqlite3_stmt *st, void *out)
{
    struct store_action *a = out;

    memset(a, 0, sizeof(*a));
    a->id = col_u64(st, 0);
    a->room = col_u64(st, 1);
    a->request = col_u64(st, 2);
    col_copy(st, 3, a->text, sizeof(a->text));
    a->owner = col_u64(st, 4);
    col_copy(st, 5, a->due, sizeof(a->due));
    a->done = sqlite3_column_int(st, 6) != 0;
    a->created_by = col_u64(st, 7);
    a->created_ts = col_u64(st, 8);
    a->updated_ts = col_u64(st, 9);
}

static void row_call(sqlite3_stmt *st, void *out)
{
    struct store_call *c = out;

    memset(c, 0, sizeof(*c));
    c->id = col_u64(st, 0);
    c->room = col_u64(st, 1);
    col_copy(st, 2, c->state, sizeof(c->state));
    c->started_by = col_u64(st, 3);
    c->started_ts = col_u64(st, 4);
    c->accepted_ts = col_u64(st, 5);
    c->ended_ts = col_u64(st, 6);
    col_copy(st, 7, c->end_reason, sizeof(c->end_reason));
}

/* ---- requests: reads ---------------------------------------------------- */

enum status store_mrequest_get(struct store *s, uint64_t id, struct store_mrequest *out)
{
    bind_u64(s->mstmts[MS_REQ_GET], 1, id);
    return m_row(s, MS_REQ_GET, row_request, out);
}

enum status store_mrequest_by_room(struct store *s, uint64_t room, struct store_mrequest *out)
{
    bind_u64(s->mstmts[MS_REQ_BY_ROOM], 1, room);
    return m_row(s, MS_REQ_BY_ROOM, row_request, out);
}

struct each_request {
    store_mrequest_fn each;
    void *ud;
};

static void visit_request(sqlite3_stmt *st, void *ctx)
{
    struct each_request *e = ctx;
    struct store_mrequest r;

    row_request(st, &r);
    e->each(e->ud, &r);
}

enum status store_mrequest_list(struct store *s, unsigned statuses, uint64_t business,
                                uint64_t mentor, unsigned limit, store_mrequest_fn each, void *ud)
{
    enum mstmt_id id = MS_REQ_LIST;
    if (business != 0) {
        id = MS_REQ_LIST_BUSINESS;
    } else if (mentor != 0) {
        id = MS_REQ_LIST_MENTOR;
    }

    sqlite3_stmt *st = s->mstmts[id];
    bind_u64(st, 1, statuses & MSTATUS_ANY);
    bind_u64(st, 2, business);
    bind_u64(st, 3, mentor);
    bind_u64(st, 4, limit);
    struct each_request e = {each, ud};
    return m_rows(s, id, visit_request, &e);
}

/* Each request is read by a query of its own that is closed before `each`
 * runs, so `each` may offer the request it is given. A request that stops
 * waiting meanwhile is skipped; one that comes back behind the walk is not
 * seen again. */
enum status store_mrequest_queue(struct store *s, store_mrequest_fn each, void *ud)
{
    uint64_t after_ts = 0;
    uint64_t after_id = 0;

    for (;;) {
        sqlite3_stmt *st = s->mstmts[MS_REQ_QUEUE_NEXT];
        bind_u64(st, 1, after_ts);
        bind_u64(st, 2, after_id);
        struct store_mrequest r;
        enum status result = m_row(s, MS_REQ_QUEUE_NEXT, row_request, &r);
        if (result != STATUS_OK) {
            return result == STATUS_NOT_FOUND ? STATUS_OK : result;
        }
        after_ts = r.queued_ts;
        after_id = r.id;
        each(ud, &r);
    }
}

/* The state of request `id`: its status bit, business, mentor and room. */
static enum status request_state(struct store *s, uint64_t id, unsigned *status, uint64_t *business,
                                 uint64_t *mentor, uint64_t *room)
{
    sqlite3_stmt *st = s->mstmts[MS_REQ_STATE];
    enum status result = STATUS_NOT_FOUND;

    bind_u64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        char name[STORE_MSTATUS_MAX + 1];
        col_copy(st, 0, name, sizeof(name));
        *status = store_mstatus_bit(name);
        *business = col_u64(st, 1);
        *mentor = col_u64(st, 2);
        *room = col_u64(st, 3);
        result = STATUS_OK;
    } else if (rc != SQLITE_DONE) {
        result = store_db_status(s, rc, mstmt_defs[MS_REQ_STATE].name);
    }
    stmt_end(st);
    return result;
}

/*
 * Why a conditional update of request `id` matched nothing (see the comment
 * at the top): absent, another business's (when `business` is not 0), not
 * in one of the `allowed` states, or another mentor's (when `mentor` is not
 * 0), in that order.
 */
static enum status request_refusal(struct store *s, uint64_t id, unsigned allowed,
                                   uint64_t business, uint64_t mentor)
{
    unsigned status = 0;
    uint64_t owner = 0;
    uint64_t holder = 0;
    uint64_t room = 0;
    enum status st = request_state(s, id, &status, &owner, &holder, &room);

    if (st != STATUS_OK) {
        return st;
    }
    if (business != 0 && owner != business) {
        return STATUS_FORBIDDEN;
    }
    if ((status & allowed) == 0) {
        return STATUS_CONFLICT;
    }
    if (mentor != 0 && holder != mentor) {
        return STATUS_FORBIDDEN;
    }
    return STATUS_CONFLICT;
}

/* Runs a bound conditional update of request `id`; when it matched nothing,
 * returns why (request_refusal). */
static enum status request_update(struct store *s, enum mstmt_id update, uint64_t id,
                                  unsigned allowed, uint64_t business, uint64_t mentor)
{
    uint64_t changed = 0;
    bool found = false;
    enum status st = m_u64(s, update, &changed, &found);

    if (st == STATUS_OK && !found) {
        st = request_refusal(s, id, allowed, business, mentor);
    }
    return st;
}

/* ---- requests: writes --------------------------------------------------- */

static enum status route_insert(struct store *s, uint64_t request, const char *kind, uint64_t actor,
                                uint64_t mentor, const char *note, uint64_t now)
{
    sqlite3_stmt *st = s->mstmts[MS_ROUTE_INSERT];

    bind_u64(st, 1, request);
    bind_str(st, 2, kind);
    bind_u64(st, 3, actor);
    bind_u64(st, 4, mentor);
    if (note != NULL) {
        bind_str(st, 5, note);
    }
    bind_u64(st, 6, now);
    return m_exec(s, MS_ROUTE_INSERT);
}

static enum status create_locked(struct store *s, uint64_t business, const char *topic,
                                 const char *description, struct store_mrequest *out)
{
    sqlite3_stmt *st = s->mstmts[MS_REQ_INSERT];
    bind_u64(st, 1, business);
    bind_str(st, 2, topic);
    bind_str(st, 3, description);
    bind_u64(st, 4, now_ms());

    uint64_t id = 0;
    bool found = false;
    enum status result = m_u64(s, MS_REQ_INSERT, &id, &found);
    if (result == STATUS_OK && !found) {
        result = STATUS_INTERNAL;
    }
    if (result == STATUS_OK) {
        result = store_mrequest_get(s, id, out);
    }
    return result;
}

enum status store_mrequest_create(struct store *s, uint64_t business, const char *topic,
                                  const char *description, struct store_mrequest *out)
{
    enum status st = topic_check(topic);
    if (st == STATUS_OK) {
        st = text_check(description, STORE_DESCRIPTION_MAX);
    }
    if (st != STATUS_OK) {
        return st;
    }

    st = store_tx_begin(s);
    if (st != STATUS_OK) {
        return st;
    }
    return tx_end(s, create_locked(s, business, topic, description, out));
}

static enum status offer_locked(struct store *s, uint64_t id, uint64_t mentor, uint64_t actor,
                                struct store_mrequest *out)
{
    enum status st = mentor_check(s, mentor);
    if (st != STATUS_OK) {
        return st;
    }

    uint64_t now = now_ms();
    sqlite3_stmt *offer = s->mstmts[MS_REQ_OFFER];
    bind_u64(offer, 1, id);
    bind_u64(offer, 2, mentor);
    bind_u64(offer, 3, now);
    st = request_update(s, MS_REQ_OFFER, id, MSTATUS_WAITING | MSTATUS_OFFERED, 0, 0);
    if (st == STATUS_OK) {
        st = route_insert(s, id, "offer", actor, mentor, NULL, now);
    }
    if (st == STATUS_OK) {
        st = store_mrequest_get(s, id, out);
    }
    return st;
}

/* `actor` 0 stands for the server itself (auto-assign). */
enum status store_mrequest_offer(struct store *s, uint64_t id, uint64_t mentor, uint64_t actor,
                                 struct store_mrequest *out)
{
    enum status st = store_tx_begin(s);
    if (st != STATUS_OK) {
        return st;
    }
    return tx_end(s, offer_locked(s, id, mentor, actor, out));
}

/* A pick reads but does not reserve: the offer that follows is what counts,
 * and it is conditional like every other change. */
enum status store_mrequest_pick(struct store *s, uint64_t id, const char *topic, uint64_t *mentor)
{
    enum status st = text_check(topic, STORE_TOPIC_MAX);
    if (st != STATUS_OK) {
        return st;
    }

    sqlite3_stmt *pick = s->mstmts[MS_REQ_PICK];
    bind_u64(pick, 1, id);
    bind_str(pick, 2, topic);
    bool found = false;
    st = m_u64(s, MS_REQ_PICK, mentor, &found);
    if (st == STATUS_OK && !found) {
        st = STATUS_NOT_FOUND;
    }
    return st;
}

/* The gate first (offered to `mentor` -> active), then the room, so a
 * refused accept never makes a room. */
static enum status accept_locked(struct store *s, uint64_t id, uint64_t mentor, const char *title,
                                 struct store_mrequest *out)
{
    uint64_t now = now_ms();
    sqlite3_stmt *activate = s->mstmts[MS_REQ_ACTIVATE];
    bind_u64(activate, 1, id);
    bind_u64(activate, 2, mentor);
    bind_u64(activate, 3, now);
    uint64_t business = 0;
    bool found = false;
    enum status st = m_u64(s, MS_REQ_ACTIVATE, &business, &found);
    if (st == STATUS_OK && !found) {
        st = request_refusal(s, id, MSTATUS_OFFERED, 0, mentor);
    }
    if (st != STATUS_OK) {
        return st;
    }

    struct store_room room;
    st = store_room_insert(s, "mentoring", title, business, &mentor, 1, NULL, &room);
    if (st != STATUS_OK) {
        return st;
    }
    sqlite3_stmt *set_room = s->mstmts[MS_REQ_SET_ROOM];
    bind_u64(set_room, 1, id);
    bind_u64(set_room, 2, room.id);
    st = m_exec(s, MS_REQ_SET_ROOM);
    if (st == STATUS_OK) {
        st = store_mrequest_get(s, id, out);
    }
    return st;
}

enum status store_mrequest_accept(struct store *s, uint64_t id, uint64_t mentor, const char *title,
                                  struct store_mrequest *out)
{
    enum status st = text_check(title, STORE_TITLE_MAX);
    if (st != STATUS_OK) {
        return st;
    }

    st = store_tx_begin(s);
    if (st != STATUS_OK) {
        return st;
    }
    return tx_end(s, accept_locked(s, id, mentor, title, out));
}

static enum status decline_locked(struct store *s, uint64_t id, uint64_t mentor, const char *reason,
                                  struct store_mrequest *out)
{
    sqlite3_stmt *decline = s->mstmts[MS_REQ_DECLINE];
    bind_u64(decline, 1, id);
    bind_u64(decline, 2, mentor);
    bind_str(decline, 3, reason);
    enum status st = request_update(s, MS_REQ_DECLINE, id, MSTATUS_OFFERED, 0, mentor);
    if (st == STATUS_OK) {
        st = route_insert(s, id, "decline", mentor, mentor, reason, now_ms());
    }
    if (st == STATUS_OK) {
        st = store_mrequest_get(s, id, out);
    }
    return st;
}

enum status store_mrequest_decline(struct store *s, uint64_t id, uint64_t mentor,
                                   const char *reason, struct store_mrequest *out)
{
    enum status st = text_check(reason, STORE_REASON_MAX);
    if (st != STATUS_OK) {
        return st;
    }

    st = store_tx_begin(s);
    if (st != STATUS_OK) {
        return st;
    }
    return tx_end(s, decline_locked(s, id, mentor, reason, out));
}

/* Who may move a request: its mentor, a moderator or an admin. */
static enum status transfer_allowed(struct store *s, uint64_t actor, uint64_t holder)
{
    if (actor == holder) {
        return STATUS_OK;
    }
    char role[STORE_ROLE_MAX + 1] = "";
    enum status st = user_role(s, actor, role, sizeof(role));
    if (st == STATUS_NOT_FOUND ||
        (st == STATUS_OK && strcmp(role, "moderator") != 0 && strcmp(role, "admin") != 0)) {
        st = STATUS_FORBIDDEN;
    }
    return st;
}

/* The old mentor leaves the room and the new one joins it. */
static enum status room_handover(struct store *s, uint64_t room, uint64_t from, uint64_t to,
                                 uint64_t now)
{
    bool changed = false;
    enum status st = store_member_delete(s, room, from, &changed);

    if (st == STATUS_OK) {
        st = store_member_insert(s, room, to, now, &changed);
    }
    return st;
}

static enum status transfer_locked(struct store *s, uint64_t id, uint64_t actor, uint64_t to,
                                   const char *note, uint64_t *from, struct store_mrequest *out)
{
    unsigned status = 0;
    uint64_t business = 0;
    uint64_t holder = 0;
    uint64_t room = 0;
    enum status st = request_state(s, id, &status, &business, &holder, &room);
    if (st == STATUS_OK && (status & (MSTATUS_OFFERED | MSTATUS_ACTIVE)) == 0) {
        st = STATUS_CONFLICT;
    }
    if (st == STATUS_OK) {
        st = transfer_allowed(s, actor, holder);
    }
    if (st == STATUS_OK) {
        st = mentor_check(s, to);
    }
    if (st == STATUS_OK && to == holder) {
        st = STATUS_CONFLICT;
    }
    if (st != STATUS_OK) {
        return st;
    }

    uint64_t now = now_ms();
    sqlite3_stmt *move = s->mstmts[MS_REQ_TRANSFER];
    bind_u64(move, 1, id);
    bind_u64(move, 2, holder);
    bind_u64(move, 3, to);
    bind_str(move, 4, note);
    bind_u64(move, 5, now);
    st = request_update(s, MS_REQ_TRANSFER, id, MSTATUS_OFFERED | MSTATUS_ACTIVE, 0, holder);
    if (st == STATUS_OK && status == MSTATUS_ACTIVE) {
        st = room_handover(s, room, holder, to, now);
    }
    if (st == STATUS_OK) {
        st = route_insert(s, id, "transfer", actor, to, note, now);
    }
    if (st == STATUS_OK) {
        *from = holder;
        st = store_mrequest_get(s, id, out);
    }
    return st;
}

/* Refusals: STATUS_NOT_FOUND when the request or `to` as a mentor does not
 * exist, STATUS_CONFLICT when it is neither offered nor active or `to`
 * already holds it, STATUS_FORBIDDEN for an actor who may not move it. */
enum status store_mrequest_transfer(struct store *s, uint64_t id, uint64_t actor, uint64_t to,
                                    const char *note, uint64_t *from, struct store_mrequest *out)
{
    enum status st = text_check(note, STORE_REASON_MAX);
    if (st != STATUS_OK) {
        return st;
    }

    st = store_tx_begin(s);
    if (st != STATUS_OK) {
        return st;
    }
    return tx_end(s, transfer_locked(s, id, actor, to, note, from, out));
}

static enum status cancel_locked(struct store *s, uint64_t id, uint64_t business,
                                 struct store_mrequest *out)
{
    sqlite3_stmt *cancel = s->mstmts[MS_REQ_CANCEL];
    bind_u64(cancel, 1, id);
    bind_u64(cancel, 2, business);
    bind_u64(cancel, 3, now_ms());
    enum status st =
        request_update(s, MS_REQ_CANCEL, id, MSTATUS_WAITING | MSTATUS_OFFERED, business, 0);
    if (st == STATUS_OK) {
        st = store_mrequest_get(s, id, out);
    }
    return st;
}

/* A request cancelled while offered keeps its mentor, so the caller can
 * tell them the offer is gone; it no longer counts in their load. */
enum status store_mrequest_cancel(struct store *s, uint64_t id, uint64_t business,
                                  struct store_mrequest *out)
{
    enum status st = store_tx_begin(s);
    if (st != STATUS_OK) {
        return st;
    }
    return tx_end(s, cancel_locked(s, id, business, out));
}

static enum status close_locked(struct store *s, uint64_t id, uint64_t business, uint32_t rating,
                                const char *comment, struct store_mrequest *out)
{
    uint64_t now = now_ms();
    sqlite3_stmt *close = s->mstmts[MS_REQ_CLOSE];
    bind_u64(close, 1, id);
    bind_u64(close, 2, business);
    bind_u64(close, 3, now);
    bind_u64(close, 4, rating);
    bind_str(close, 5, comment);
    enum status st = request_update(s, MS_REQ_CLOSE, id, MSTATUS_ACTIVE, business, 0);

    /* Sessions still to come will not be held: they end with it. */
    if (st == STATUS_OK) {
        bind_u64(s->mstmts[MS_SESSIONS_CANCEL_AFTER], 1, id);
        bind_u64(s->mstmts[MS_SESSIONS_CANCEL_AFTER], 2, now);
        st = m_exec(s, MS_SESSIONS_CANCEL_AFTER);
    }
    if (st == STATUS_OK) {
        st = store_mrequest_get(s, id, out);
    }
    return st;
}

/* A NULL `comment` is stored as "". STATUS_BAD_REQUEST for a rating
 * outside 1-5. */
enum status store_mrequest_close(struct store *s, uint64_t id, uint64_t business, uint32_t rating,
                                 const char *comment, struct store_mrequest *out)
{
    if (rating < 1 || rating > 5) {
        return STATUS_BAD_REQUEST;
    }
    if (comment == NULL) {
        comment = "";
    }
    enum status st = text_check(comment, STORE_COMMENT_MAX);
    if (st != STATUS_OK) {
        return st;
    }

    st = store_tx_begin(s);
    if (st != STATUS_OK) {
        return st;
    }
    return tx_end(s, close_locked(s, id, business, rating, comment, out));
}

/* ---- mentors and settings ----------------------------------------------- */

enum status store_mentor_get(struct store *s, uint64_t user, struct store_mentor *out)
{
    bind_u64(s->mstmts[MS_MENTOR_GET], 1, user);
    return m_row(s, MS_MENTOR_GET, row_mentor, out);
}

static enum status topics_replace(struct store *s, uint64_t user, const char *const *topics,
                                  size_t n)
{
    bind_u64(s->mstmts[MS_TOPICS_CLEAR], 1, user);
    enum status st = m_exec(s, MS_TOPICS_CLEAR);

    for (size_t i = 0; i < n && st == STATUS_OK; i++) {
        sqlite3_stmt *add = s->mstmts[MS_TOPIC_ADD];
        bind_u64(add, 1, user);
        bind_str(add, 2, topics[i]);
        st = m_exec(s, MS_TOPIC_ADD);
    }
    return st;
}

static enum status mentor_set_locked(struct store *s, uint64_t user, const char *const *topics,
                                     size_t topic_count, const bool *available,
                                     struct store_mentor *out)
{
    enum status st = mentor_check(s, user);
    if (st != STATUS_OK) {
        return st;
    }

    sqlite3_stmt *upsert = s->mstmts[MS_MENTOR_UPSERT];
    bind_u64(upsert, 1, user);
    if (available != NULL) {
        bind_u64(upsert, 2, *available ? 1 : 0);
    }
    bind_u64(upsert, 3, now_ms());
    st = m_exec(s, MS_MENTOR_UPSERT);
    if (st == STATUS_OK && topics != NULL) {
        st = topics_replace(s, user, topics, topic_count);
    }
    if (st == STATUS_OK) {
        st = store_mentor_get(s, user, out);
    }
    return st;
}

/* Repeated topics count once. STATUS_TOO_LARGE for more than
 * STORE_TOPICS_MAX names; STATUS_BAD_REQUEST for a name that is not made of
 * lower-case letters, digits and '_'. */
enum status store_mentor_set(struct store *s, uint64_t user, const char *const *topics,
                             size_t topic_count, const bool *available, struct store_mentor *out)
{
    if (topics != NULL && topic_count > STORE_TOPICS_MAX) {
        return STATUS_TOO_LARGE;
    }
    for (size_t i = 0; topics != NULL && i < topic_count; i++) {
        enum status st = topic_check(topics[i]);
        if (st != STATUS_OK) {
            return st;
        }
    }

    enum status st = store_tx_begin(s);
    if (st != STATUS_OK) {
        return st;
    }
    return tx_end(s, mentor_set_locked(s, user, topics, topic_count, available, out));
}

struct each_mentor {
    store_mentor_fn each;
    void *ud;
};

static void visit_mentor(sqlite3_stmt *st, void *ctx)
{
    struct each_mentor *e = ctx;
    struct store_mentor m;

    row_mentor(st, &m);
    e->each(e->ud, &m);
}

enum status store_mentors(struct store *s, const char *topic, store_mentor_fn each, void *ud)
{
    enum mstmt_id id = MS_MENTORS;

    if (topic != NULL) {
        enum status st = text_check(topic, STORE_TOPIC_MAX);
        if (st != STATUS_OK) {
            return st;
        }
        id = MS_MENTORS_TOPIC;
        bind_str(s->mstmts[id], 1, topic);
    }
    struct each_mentor e = {each, ud};
    return m_rows(s, id, visit_mentor, &e);
}

enum status store_users_by_role(struct store *s, const char *const *roles, uint64_t *out,
                                size_t cap, size_t *n)
{
    *n = 0;
    if (roles == NULL) {
        return STATUS_BAD_REQUEST;
    }
    for (size_t r = 0; roles[r] != NULL && *n < cap; r++) {
        sqlite3_stmt *st = s->mstmts[MS_USERS_BY_ROLE];
        bind_str(st, 1, roles[r]);
        bind_u64(st, 2, cap - *n);
        int rc;
        for (;;) {
            rc = sqlite3_step(st);
            if (rc != SQLITE_ROW || *n >= cap) {
                break;
            }
            out[(*n)++] = col_u64(st, 0);
        }
        stmt_end(st);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
            return store_db_status(s, rc, mstmt_defs[MS_USERS_BY_ROLE].name);
        }
    }
    return STATUS_OK;
}

/* The meta key of a setting; STATUS_TOO_LARGE past SETTING_KEY_MAX. */
static enum status setting_key(const char *key, char *out, size_t cap)
{
    enum status st = text_check(key, SETTING_KEY_MAX);
    if (st == STATUS_OK && key[0] == '\0') {
        st = STATUS_BAD_REQUEST;
    }
    if (st == STATUS_OK) {
        snprintf(out, cap, "%s%s", SETTING_PREFIX, key);
    }
    return st;
}

enum status store_setting_get_bool(struct store *s, const char *key, bool def, bool *out)
{
    char meta_key[sizeof(SETTING_PREFIX) + SETTING_KEY_MAX];
    *out = def;
    enum status st = setting_key(key, meta_key, sizeof(meta_key));
    if (st != STATUS_OK) {
        return st;
    }

    sqlite3_stmt *get = s->mstmts[MS_SETTING_GET];
    bind_str(get, 1, meta_key);
    int rc = sqlite3_step(get);
    if (rc == SQLITE_ROW) {
        char value[8];
        col_copy(get, 0, value, sizeof(value));
        *out = strcmp(value, "true") == 0;
    }
    stmt_end(get);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        return store_db_status(s, rc, mstmt_defs[MS_SETTING_GET].name);
    }
    return STATUS_OK;
}

enum status store_setting_put_bool(struct store *s, const char *key, bool value)
{
    char meta_key[sizeof(SETTING_PREFIX) + SETTING_KEY_MAX];
    enum status st = setting_key(key, meta_key, sizeof(meta_key));
    if (st != STATUS_OK) {
        return st;
    }

    st = store_tx_begin(s);
    if (st != STATUS_OK) {
        return st;
    }
    sqlite3_stmt *put = s->mstmts[MS_SETTING_PUT];
    bind_str(put, 1, meta_key);
    bind_str(put, 2, value ? "true" : "false");
    return tx_end(s, m_exec(s, MS_SETTING_PUT));
}

/* ---- sessions, notes, action items -------------------------------------- */

/* Inside a transaction: request `request` exists with room `room`
 * (STATUS_NOT_FOUND otherwise) and is active (STATUS_CONFLICT otherwise). */
static enum status request_writable(struct store *s, uint64_t request, uint64_t room)
{
    unsigned status = 0;
    uint64_t business = 0;
    uint64_t mentor = 0;
    uint64_t its_room = 0;
    enum status st = request_state(s, request, &status, &business, &mentor, &its_room);

    if (st == STATUS_OK && its_room != room) {
        st = STATUS_NOT_FOUND;
    }
    if (st == STATUS_OK && status != MSTATUS_ACTIVE) {
        st = STATUS_CONFLICT;
    }
    return st;
}

/* Runs a bound INSERT ... RETURNING id of a child of `request`, after
 * checking that the request is active in `room`, and reads the new row back
 * with `get`. */
static enum status child_insert(struct store *s, uint64_t request, uint64_t room,
                                enum mstmt_id insert, enum mstmt_id get, row_fn row, void *out)
{
    enum status st = request_writable(s, request, room);
    uint64_t id = 0;
    bool found = false;

    if (st == STATUS_OK) {
        st = m_u64(s, insert, &id, &found);
    } else {
        stmt_end(s->mstmts[insert]);
    }
    if (st == STATUS_OK && !found) {
        st = STATUS_INTERNAL;
    }
    if (st == STATUS_OK) {
        bind_u64(s->mstmts[get], 1, id);
        st = m_row(s, get, row, out);
    }
    return st;
}

/* Runs a bound conditional `update` of row `id` of a child table and reads
 * the row back with `get`: STATUS_NOT_FOUND without the row, STATUS_CONFLICT
 * when it is in no state to change (cancelled, or its request not active). */
static enum status child_update(struct store *s, uint64_t id, enum mstmt_id update,
                                enum mstmt_id get, row_fn row, void *out)
{
    uint64_t changed = 0;
    bool found = false;
    enum status st = m_u64(s, update, &changed, &found);

    if (st == STATUS_OK) {
        bind_u64(s->mstmts[get], 1, id);
        st = m_row(s, get, row, out);
    }
    if (st == STATUS_OK && !found) {
        st = STATUS_CONFLICT;
    }
    return st;
}

/* child_insert in a transaction of its own. The insert is bound. */
static enum status child_insert_tx(struct store *s, uint64_t request, uint64_t room,
                                   enum mstmt_id insert, enum mstmt_id get, row_fn row, void *out)
{
    enum status st = store_tx_begin(s);
    if (st != STATUS_OK) {
        stmt_end(s->mstmts[insert]);
        return st;
    }
    return tx_end(s, child_insert(s, request, room, insert, get, row, out));
}

/* child_update in a transaction of its own. The update is bound. */
static enum status child_update_tx(struct store *s, uint64_t id, enum mstmt_id update,
                                   enum mstmt_id get, row_fn row, void *out)
{
    enum status st = store_tx_begin(s);
    if (st != STATUS_OK) {
        stmt_end(s->mstmts[update]);
        return st;
    }
    return tx_end(s, child_update(s, id, update, get, row, out));
}

/* STATUS_BAD_REQUEST for a duration of 0 or past MSESSION_DURATION_MAX_MIN. */
enum status store_msession_add(struct store *s, uint64_t request, uint64_t room, uint64_t by,
                               uint64_t starts_ts, uint32_t duration_min, const char *agenda,
                               struct store_msession *out)
{
    enum status st = text_check(agenda, STORE_AGENDA_MAX);
    if (st == STATUS_OK && (duration_min == 0 || duration_min > MSESSION_DURATION_MAX_MIN)) {
        st = STATUS_BAD_REQUEST;
    }
    if (st != STATUS_OK) {
        return st;
    }

    sqlite3_stmt *insert = s->mstmts[MS_SESSION_INSERT];
    bind_u64(insert, 1, request);
    bind_u64(insert, 2, room);
    bind_u64(insert, 3, starts_ts);
    bind_u64(insert, 4, duration_min);
    bind_str(insert, 5, agenda);
    bind_u64(insert, 6, by);
    bind_u64(insert, 7, now_ms());
    return child_insert_tx(s, request, room, MS_SESSION_INSERT, MS_SESSION_GET, row_session, out);
}

enum status store_msession_get(struct store *s, uint64_t id, struct store_msession *out)
{
    bind_u64(s->mstmts[MS_SESSION_GET], 1, id);
    return m_row(s, MS_SESSION_GET, row_session, out);
}

/* Also STATUS_CONFLICT once the mentorship is no longer active, and
 * STATUS_BAD_REQUEST for a duration past MSESSION_DURATION_MAX_MIN. */
enum status store_msession_update(struct store *s, uint64_t id, uint64_t starts_ts,
                                  uint32_t duration_min, const char *agenda,
                                  struct store_msession *out)
{
    enum status st = agenda != NULL ? text_check(agenda, STORE_AGENDA_MAX) : STATUS_OK;
    if (st == STATUS_OK && duration_min > MSESSION_DURATION_MAX_MIN) {
        st = STATUS_BAD_REQUEST;
    }
    if (st != STATUS_OK) {
        return st;
    }

    sqlite3_stmt *update = s->mstmts[MS_SESSION_UPDATE];
    bind_u64(update, 1, id);
    if (starts_ts != 0) {
        bind_u64(update, 2, starts_ts);
    }
    if (duration_min != 0) {
        bind_u64(update, 3, duration_min);
    }
    if (agenda != NULL) {
        bind_str(update, 4, agenda);
    }
    bind_u64(update, 5, now_ms());
    return child_update_tx(s, id, MS_SESSION_UPDATE, MS_SESSION_GET, row_session, out);
}

/* Also STATUS_CONFLICT once the mentorship is no longer active. */
enum status store_msession_cancel(struct store *s, uint64_t id, struct store_msession *out)
{
    sqlite3_stmt *cancel = s->mstmts[MS_SESSION_CANCEL];
    bind_u64(cancel, 1, id);
    bind_u64(cancel, 2, now_ms());
    return child_update_tx(s, id, MS_SESSION_CANCEL, MS_SESSION_GET, row_session, out);
}

struct each_session {
    store_msession_fn each;
    void *ud;
};

static void visit_session(sqlite3_stmt *st, void *ctx)
{
    struct each_session *e = ctx;
    struct store_msession v;

    row_session(st, &v);
    e->each(e->ud, &v);
}

enum status store_msessions(struct store *s, uint64_t room, store_msession_fn each, void *ud)
{
    struct each_session e = {each, ud};

    bind_u64(s->mstmts[MS_SESSIONS], 1, room);
    return m_rows(s, MS_SESSIONS, visit_session, &e);
}

/* Claims up to MSESSION_CLAIM_BATCH due sessions in one transaction into
 * `out`; *n is how many. */
static enum status claim_batch(struct store *s, uint64_t now, uint64_t lead_ms,
                               struct store_msession *out, size_t *n)
{
    *n = 0;
    enum status st = store_tx_begin(s);
    if (st != STATUS_OK) {
        return st;
    }

    sqlite3_stmt *claim = s->mstmts[MS_SESSION_CLAIM];
    bind_u64(claim, 1, now);
    bind_u64(claim, 2, now + lead_ms < now ? UINT64_MAX : now + lead_ms);
    bind_u64(claim, 3, MSESSION_CLAIM_BATCH);
    uint64_t longest = (uint64_t)MSESSION_DURATION_MAX_MIN * 60000u;
    bind_u64(claim, 4, now > longest ? now - longest : 0);
    int rc;
    for (;;) {
        rc = sqlite3_step(claim);
        if (rc != SQLITE_ROW) {
            break;
        }
        if (*n < MSESSION_CLAIM_BATCH) {
            row_session(claim, &out[(*n)++]);
        }
    }
    stmt_end(claim);
    if (rc != SQLITE_DONE) {
        *n = 0;
        return tx_end(s, store_db_status(s, rc, mstmt_defs[MS_SESSION_CLAIM].name));
    }
    st = tx_end(s, STATUS_OK);
    if (st != STATUS_OK) {
        *n = 0;
    }
    return st;
}

/* Sessions of a mentorship that is no longer active are never claimed: no
 * reminder is posted into a closed room. */
enum status store_msession_claim_reminders(struct store *s, uint64_t now, uint64_t lead_ms,
                                           store_msession_fn each, void *ud)
{
    struct store_msession batch[MSESSION_CLAIM_BATCH];

    for (;;) {
        size_t n = 0;
        enum status st = claim_batch(s, now, lead_ms, batch, &n);
        if (st != STATUS_OK) {
            return st;
        }
        for (size_t i = 0; i < n; i++) {
            each(ud, &batch[i]);
        }
        if (n < MSESSION_CLAIM_BATCH) {
            return STATUS_OK;
        }
    }
}

enum status store_note_add(struct store *s, uint64_t request, uint64_t room, uint64_t author,
                           const char *body, struct store_note *out)
{
    enum status st = text_check(body, STORE_NOTE_MAX);
    if (st != STATUS_OK) {
        return st;
    }

    sqlite3_stmt *insert = s->mstmts[MS_NOTE_INSERT];
    bind_u64(insert, 1, request);
    bind_u64(insert, 2, room);
    bind_u64(insert, 3, author);
    bind_str(insert, 4, body);
    bind_u64(insert, 5, now_ms());
    return child_insert_tx(s, request, room, MS_NOTE_INSERT, MS_NOTE_GET, row_note, out);
}

enum status store_note_get(struct store *s, uint64_t id, struct store_note *out)
{
    bind_u64(s->mstmts[MS_NOTE_GET], 1, id);
    return m_row(s, MS_NOTE_GET, row_note, out);
}

/* STATUS_CONFLICT once the mentorship is no longer active. The author is
 * checked by the caller. */
enum status store_note_edit(struct store *s, uint64_t id, const char *body, struct store_note *out)
{
    enum status st = text_check(body, STORE_NOTE_MAX);
    if (st != STATUS_OK) {
        return st;
    }

    sqlite3_stmt *edit = s->mstmts[MS_NOTE_EDIT];
    bind_u64(edit, 1, id);
    bind_str(edit, 2, body);
    bind_u64(edit, 3, now_ms());
    return child_update_tx(s, id, MS_NOTE_EDIT, MS_NOTE_GET, row_note, out);
}

struct each_note {
    store_note_fn each;
    void *ud;
};

static void visit_note(sqlite3_stmt *st, void *ctx)
{
    struct each_note *e = ctx;
    struct store_note n;

    row_note(st, &n);
    e->each(e->ud, &n);
}

enum status store_notes(struct store *s, uint64_t room, store_note_fn each, void *ud)
{
    struct each_note e = {each, ud};

    bind_u64(s->mstmts[MS_NOTES], 1, room);
    return m_rows(s, MS_NOTES, visit_note, &e);
}

/* A NULL `due` is stored as "" (no date). */
enum status store_action_add(struct store *s, uint64_t request, uint64_t room, uint64_t by,
                             const char *text, uint64_t owner, const char *due,
                             struct store_action *out)
{
    if (due == NULL) {
        due = "";
    }
    enum status st = text_check(text, STORE_ACTION_MAX);
    if (st == STATUS_OK) {
        st = text_check(due, STORE_DUE_MAX);
    }
    if (st == STATUS_OK && owner == 0) {
        st = STATUS_BAD_REQUEST;
    }
    if (st != STATUS_OK) {
        return st;
    }

    sqlite3_stmt *insert = s->mstmts[MS_ACTION_INSERT];
    bind_u64(insert, 1, request);
    bind_u64(insert, 2, room);
    bind_str(insert, 3, text);
    bind_u64(insert, 4, owner);
    bind_str(insert, 5, due);
    bind_u64(insert, 6, by);
    bind_u64(insert, 7, now_ms());
    return child_insert_tx(s, request, room, MS_ACTION_INSERT, MS_ACTION_GET, row_action, out);
}

enum status store_action_get(struct store *s, uint64_t id, struct store_action *out)
{
    bind_u64(s->mstmts[MS_ACTION_GET], 1, id);
    return m_row(s, MS_ACTION_GET, row_action, out);
}

/* Also STATUS_CONFLICT once the mentorship is no longer active, and
 * STATUS_NOT_FOUND for an `owner` who does not exist. */
enum status store_action_update(struct store *s, uint64_t id, const char *text, uint64_t owner,
                                const char *due, const bool *done, struct store_action *out)
{
    enum status st = text != NULL ? text_check(text, STORE_ACTION_MAX) : STATUS_OK;
    if (st == STATUS_OK && due != NULL) {
        st = text_check(due, STORE_DUE_MAX);
    }
    if (st != STATUS_OK) {
        return st;
    }

    sqlite3_stmt *update = s->mstmts[MS_ACTION_UPDATE];
    bind_u64(update, 1, id);
    if (text != NULL) {
        bind_str(update, 2, text);
    }
    if (owner != 0) {
        bind_u64(update, 3, owner);
    }
    if (due != NULL) {
        bind_str(update, 4, due);
    }
    if (done != NULL) {
        bind_u64(update, 5, *done ? 1 : 0);
    }
    bind_u64(update, 6, now_ms());
    return child_update_tx(s, id, MS_ACTION_UPDATE, MS_ACTION_GET, row_action, out);
}

struct each_action {
    store_action_fn each;
    void *ud;
};

static void visit_action(sqlite3_stmt *st, void *ctx)
{
    struct each_action *e = ctx;
    struct store_action a;

    row_action(st, &a);
    e->each(e->ud, &a);
}

enum status store_actions(struct store *s, uint64_t room, store_action_fn each, void *ud)
{
    struct each_action e = {each, ud};

    bind_u64(s->mstmts[MS_ACTIONS], 1, room);
    return m_rows(s, MS_ACTIONS, visit_action, &e);
}

/* ---- calls ---------------------------------------------------------------- */

static enum status call_start_locked(struct store *s, uint64_t room, uint64_t by,
                                     struct store_call *out)
{
    sqlite3_stmt *insert = s->mstmts[MS_CALL_INSERT];
    bind_u64(insert, 1, room);
    bind_u64(insert, 2, by);
    bind_u64(insert, 3, now_ms());
    uint64_t id = 0;
    bool found = false;
    enum status st = m_u64(s, MS_CALL_INSERT, &id, &found);
    if (st == STATUS_OK && !found) {
        st = STATUS_CONFLICT;
    }
    if (st == STATUS_OK) {
        st = store_call_get(s, id, out);
    }
    return st;
}

/* Also STATUS_CONFLICT when `room` is a mentorship that is not active, and
 * STATUS_NOT_FOUND when the room does not exist. */
enum status store_call_start(struct store *s, uint64_t room, uint64_t by, struct store_call *out)
{
    enum status st = store_tx_begin(s);
    if (st != STATUS_OK) {
        return st;
    }
    return tx_end(s, call_start_locked(s, room, by, out));
}

enum status store_call_get(struct store *s, uint64_t id, struct store_call *out)
{
    bind_u64(s->mstmts[MS_CALL_GET], 1, id);
    return m_row(s, MS_CALL_GET, row_call, out);
}

enum status store_call_current(struct store *s, uint64_t room, struct store_call *out)
{
    bind_u64(s->mstmts[MS_CALL_CURRENT], 1, room);
    return m_row(s, MS_CALL_CURRENT, row_call, out);
}

struct each_user {
    store_user_fn each;
    void *ud;
};

static void visit_user(sqlite3_stmt *st, void *ctx)
{
    struct each_user *e = ctx;
    struct store_user u;

    row_user(st, 0, &u);
    e->each(e->ud, &u);
}

enum status store_mrequest_people(struct store *s, uint64_t request, unsigned limit,
                                  store_user_fn each, void *ud)
{
    struct each_user e = {each, ud};
    bind_u64(s->mstmts[MS_REQ_PEOPLE], 1, request);
    bind_u64(s->mstmts[MS_REQ_PEOPLE], 2, limit);
    return m_rows(s, MS_REQ_PEOPLE, visit_user, &e);
}

struct each_call {
    store_call_fn each;
    void *ud;
};

static void visit_call(sqlite3_stmt *st, void *ctx)
{
    struct each_call *e = ctx;
    struct store_call c;

    row_call(st, &c);
    e->each(e->ud, &c);
}

enum status store_calls_open(struct store *s, store_call_fn each, void *ud)
{
    struct each_call e = {each, ud};
    return m_rows(s, MS_CALLS_OPEN, visit_call, &e);
}

struct room_ids {
    uint64_t *ids;
    size_t cap;
    size_t n;
};

static void visit_room_id(sqlite3_stmt *st, void *ctx)
{
    struct room_ids *r = ctx;
    if (r->n < r->cap) {
        r->ids[r->n++] = (uint64_t)sqlite3_column_int64(st, 0);
    }
}

enum status store_call_rooms_of(struct store *s, uint64_t user, uint64_t *rooms, size_t cap,
                                size_t *n)
{
    struct room_ids r = {rooms, cap, 0};
    bind_u64(s->mstmts[MS_CALL_ROOMS_OF], 1, user);
    bind_u64(s->mstmts[MS_CALL_ROOMS_OF], 2, cap);
    enum status st = m_rows(s, MS_CALL_ROOMS_OF, visit_room_id, &r);
    *n = r.n;
    return st;
}

enum status store_call_accept(struct store *s, uint64_t id, struct store_call *out)
{
    sqlite3_stmt *accept = s->mstmts[MS_CALL_ACCEPT];
    bind_u64(accept, 1, id);
    bind_u64(accept, 2, now_ms());
    return child_update_tx(s, id, MS_CALL_ACCEPT, MS_CALL_GET, row_call, out);
}

/* STATUS_TOO_LARGE for a reason past STORE_END_REASON_MAX bytes. */
enum status store_call_end(struct store *s, uint64_t id, const char *reason, struct store_call *out)
{
    enum status st = text_check(reason, STORE_END_REASON_MAX);
    if (st != STATUS_OK) {
        return st;
    }

    sqlite3_stmt *end = s->mstmts[MS_CALL_END];
    bind_u64(end, 1, id);
    bind_u64(end, 2, now_ms());
    bind_str(end, 3, reason);
    return child_update_tx(s, id, MS_CALL_END, MS_CALL_GET, row_call, out);
}

/* ---- figures -------------------------------------------------------------- */

struct figures_walk {
    store_mfigures_fn each;
    void *ud;
    struct store_mfigures total;
};

static void visit_figures(sqlite3_stmt *st, void *ctx)
{
    struct figures_walk *w = ctx;
    struct store_mfigures f;

    memset(&f, 0, sizeof(f));
    col_copy(st, 0, f.topic, sizeof(f.topic));
    f.requests = col_u64(st, 1);
    f.assigned = col_u64(st, 2);
    f.wait_total_s = col_u64(st, 3) / 1000;
    f.sessions_held = col_u64(st, 4);
    f.ratings = col_u64(st, 5);
    f.rating_sum = col_u64(st, 6);

    w->total.requests += f.requests;
    w->total.assigned += f.assigned;
    w->total.wait_total_s += col_u64(st, 3);
    w->total.sessions_held += f.sessions_held;
    w->total.ratings += f.ratings;
    w->total.rating_sum += f.rating_sum;
    w->each(w->ud, &f);
}

/* Each row counts the requests created since `since_ts` and the sessions of
 * those requests held before now. The total row comes last, also when
 * there are no requests. */
enum status store_mfigures(struct store *s, uint64_t since_ts, store_mfigures_fn each, void *ud)
{
    struct figures_walk w = {.each = each, .ud = ud};

    sqlite3_stmt *st = s->mstmts[MS_FIGURES];
    bind_u64(st, 1, since_ts);
    bind_u64(st, 2, now_ms());
    enum status result = m_rows(s, MS_FIGURES, visit_figures, &w);
    if (result != STATUS_OK) {
        return result;
    }
    /* The total's wait was summed in milliseconds, so rounding per topic
     * does not add up. */
    w.total.wait_total_s /= 1000;
    each(ud, &w.total);
    return STATUS_OK;
}
