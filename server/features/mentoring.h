/*
 * Mentoring: a business asks for help on a topic, the request waits in a
 * queue, a moderator (or the auto-assign setting) offers it to a mentor,
 * and once the mentor accepts, the two talk in a room of kind `mentoring`
 * where they schedule sessions, keep notes and track action items until the
 * business closes it with a rating. Requests: mentoring_open,
 * mentoring_requests, mentoring_cancel, mentoring_assign, mentoring_accept,
 * mentoring_decline, mentoring_transfer, mentoring_close, mentoring_settings,
 * mentor_profile, mentors, mentoring_room, mentoring_session_add,
 * mentoring_session_update, mentoring_session_cancel, mentoring_note_add,
 * mentoring_note_edit, mentoring_action_add, mentoring_action_update,
 * mentoring_figures (PROTOCOL.md, "Mentoring").
 *
 * The module validates input, calls the store, and sends the events: to the
 * people a request concerns (user events) and to the mentoring room. It
 * registers the access rule of the `mentoring` room kind and runs the timer
 * that posts session reminders. Loop thread only.
 */
#ifndef KOLAB_MENTORING_H
#define KOLAB_MENTORING_H

/* A session is reminded this many minutes before it starts. */
#define MENTORING_REMINDER_MIN 15
/* How often the reminders are looked for. */
#define MENTORING_SCAN_MS 20000

/* Registers the request table and the room kind's access rule, and starts
 * the reminder timer. At start-up, after the store is open. */
void mentoring_init(void);

/* Stops the reminder timer (at shutdown, before the store closes); the loop
 * must run once more so its handle closes. */
void mentoring_stop(void);

#endif
