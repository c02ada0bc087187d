#include "access.h"

#include <assert.h>
#include <string.h>

#include "app.h"
#include "conn.h"

/* Room kinds with a rule of their own; the base rule covers the others. */
#define ACCESS_RULES_MAX 8

struct access_entry {
    const char *kind;
    access_rule_fn rule;
};

static struct access_entry rules[ACCESS_RULES_MAX];
static size_t rule_count;

void access_rule(const char *kind, access_rule_fn rule)
{
    for (size_t i = 0; i < rule_count; i++) {
        if (strcmp(rules[i].kind, kind) == 0) {
            rules[i].rule = rule;
            return;
        }
    }
    assert(rule_count < ACCESS_RULES_MAX);
    rules[rule_count++] = (struct access_entry){kind, rule};
}

static access_rule_fn rule_of(const char *kind)
{
    for (size_t i = 0; i < rule_count; i++) {
        if (strcmp(rules[i].kind, kind) == 0) {
            return rules[i].rule;
        }
    }
    return NULL;
}

enum status access_check(struct req *r, uint64_t room, enum room_use use, struct store_room *out,
                         uint64_t *last_read)
{
    bool member = false;
    uint64_t marker = 0;

    enum status st = store_room_get(app.store, room, out);
    if (st == STATUS_NOT_FOUND) {
        return req_fail(r, st, "no such room");
    }
    if (st == STATUS_OK) {
        st = store_member_get(app.store, room, r->conn->session.user, &member, &marker);
    }
    if (st != STATUS_OK) {
        return st;
    }
    if (last_read != NULL) {
        *last_read = member ? marker : 0;
    }

    access_rule_fn rule = rule_of(out->kind);
    if (rule != NULL) {
        return rule(r, out, member, use);
    }
    return member ? STATUS_OK : req_fail(r, STATUS_FORBIDDEN, "not a member of this room");
}
