/*
 * The mentoring tables of the store. This first version only links: every
 * call answers STATUS_UNAVAILABLE until the queries are written.
 */
#include "store_mentoring.h"

#include "store_internal.h"

const char store_schema_mentoring[] = "";

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

enum status store_mentoring_prepare(struct store *s)
{
    return STATUS_OK;
}

void store_mentoring_release(struct store *s)
{
}

enum status store_mrequest_create(struct store *s, uint64_t business, const char *topic,
                                  const char *description, struct store_mrequest *out)
{
    return STATUS_UNAVAILABLE;
}

enum status store_mrequest_get(struct store *s, uint64_t id, struct store_mrequest *out)
{
    return STATUS_UNAVAILABLE;
}

enum status store_mrequest_by_room(struct store *s, uint64_t room, struct store_mrequest *out)
{
    return STATUS_UNAVAILABLE;
}

enum status store_mrequest_list(struct store *s, unsigned statuses, uint64_t business,
                                uint64_t mentor, unsigned limit, store_mrequest_fn each, void *ud)
{
    return STATUS_UNAVAILABLE;
}

enum status store_mrequest_queue(struct store *s, store_mrequest_fn each, void *ud)
{
    return STATUS_UNAVAILABLE;
}

enum status store_mrequest_offer(struct store *s, uint64_t id, uint64_t mentor, uint64_t actor,
                                 struct store_mrequest *out)
{
    return STATUS_UNAVAILABLE;
}

enum status store_mrequest_pick(struct store *s, uint64_t id, const char *topic, uint64_t *mentor)
{
    return STATUS_UNAVAILABLE;
}

enum status store_mrequest_accept(struct store *s, uint64_t id, uint64_t mentor, const char *title,
                                  struct store_mrequest *out)
{
    return STATUS_UNAVAILABLE;
}

enum status store_mrequest_decline(struct store *s, uint64_t id, uint64_t mentor,
                                   const char *reason, struct store_mrequest *out)
{
    return STATUS_UNAVAILABLE;
}

enum status store_mrequest_transfer(struct store *s, uint64_t id, uint64_t actor, uint64_t to,
                                    const char *note, uint64_t *from, struct store_mrequest *out)
{
    return STATUS_UNAVAILABLE;
}

enum status store_mrequest_cancel(struct store *s, uint64_t id, uint64_t business,
                                  struct store_mrequest *out)
{
    return STATUS_UNAVAILABLE;
}

enum status store_mrequest_close(struct store *s, uint64_t id, uint64_t business, uint32_t rating,
                                 const char *comment, struct store_mrequest *out)
{
    return STATUS_UNAVAILABLE;
}

enum status store_mentor_get(struct store *s, uint64_t user, struct store_mentor *out)
{
    return STATUS_UNAVAILABLE;
}

enum status store_mentor_set(struct store *s, uint64_t user, const char *const *topics,
                             size_t topic_count, const bool *available, struct store_mentor *out)
{
    return STATUS_UNAVAILABLE;
}

enum status store_mentors(struct store *s, const char *topic, store_mentor_fn each, void *ud)
{
    return STATUS_UNAVAILABLE;
}

enum status store_users_by_role(struct store *s, const char *const *roles, uint64_t *out,
                                size_t cap, size_t *n)
{
    *n = 0;
    return STATUS_UNAVAILABLE;
}

enum status store_setting_get_bool(struct store *s, const char *key, bool def, bool *out)
{
    *out = def;
    return STATUS_UNAVAILABLE;
}

enum status store_setting_put_bool(struct store *s, const char *key, bool value)
{
    return STATUS_UNAVAILABLE;
}

enum status store_msession_add(struct store *s, uint64_t request, uint64_t room, uint64_t by,
                               uint64_t starts_ts, uint32_t duration_min, const char *agenda,
                               struct store_msession *out)
{
    return STATUS_UNAVAILABLE;
}

enum status store_msession_get(struct store *s, uint64_t id, struct store_msession *out)
{
    return STATUS_UNAVAILABLE;
}

enum status store_msession_update(struct store *s, uint64_t id, uint64_t starts_ts,
                                  uint32_t duration_min, const char *agenda,
                                  struct store_msession *out)
{
    return STATUS_UNAVAILABLE;
}

enum status store_msession_cancel(struct store *s, uint64_t id, struct store_msession *out)
{
    return STATUS_UNAVAILABLE;
}

enum status store_msessions(struct store *s, uint64_t room, store_msession_fn each, void *ud)
{
    return STATUS_UNAVAILABLE;
}

enum status store_msession_claim_reminders(struct store *s, uint64_t now_ms, uint64_t lead_ms,
                                           store_msession_fn each, void *ud)
{
    return STATUS_UNAVAILABLE;
}

enum status store_note_add(struct store *s, uint64_t request, uint64_t room, uint64_t author,
                           const char *body, struct store_note *out)
{
    return STATUS_UNAVAILABLE;
}

enum status store_note_get(struct store *s, uint64_t id, struct store_note *out)
{
    return STATUS_UNAVAILABLE;
}

enum status store_note_edit(struct store *s, uint64_t id, const char *body, struct store_note *out)
{
    return STATUS_UNAVAILABLE;
}

enum status store_notes(struct store *s, uint64_t room, store_note_fn each, void *ud)
{
    return STATUS_UNAVAILABLE;
}

enum status store_action_add(struct store *s, uint64_t request, uint64_t room, uint64_t by,
                             const char *text, uint64_t owner, const char *due,
                             struct store_action *out)
{
    return STATUS_UNAVAILABLE;
}

enum status store_action_get(struct store *s, uint64_t id, struct store_action *out)
{
    return STATUS_UNAVAILABLE;
}

enum status store_action_update(struct store *s, uint64_t id, const char *text, uint64_t owner,
                                const char *due, const bool *done, struct store_action *out)
{
    return STATUS_UNAVAILABLE;
}

enum status store_actions(struct store *s, uint64_t room, store_action_fn each, void *ud)
{
    return STATUS_UNAVAILABLE;
}

enum status store_call_start(struct store *s, uint64_t room, uint64_t by, struct store_call *out)
{
    return STATUS_UNAVAILABLE;
}

enum status store_call_get(struct store *s, uint64_t id, struct store_call *out)
{
    return STATUS_UNAVAILABLE;
}

enum status store_call_current(struct store *s, uint64_t room, struct store_call *out)
{
    return STATUS_UNAVAILABLE;
}

enum status store_call_accept(struct store *s, uint64_t id, struct store_call *out)
{
    return STATUS_UNAVAILABLE;
}

enum status store_call_end(struct store *s, uint64_t id, const char *reason, struct store_call *out)
{
    return STATUS_UNAVAILABLE;
}

enum status store_mfigures(struct store *s, uint64_t since_ts, store_mfigures_fn each, void *ud)
{
    return STATUS_UNAVAILABLE;
}
