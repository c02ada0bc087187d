/*
 * Demo data: a few accounts and rooms in Bahasa Indonesia so that a newcomer
 * sees the product at once. Seeded only into a new database, and only when
 * asked (--demo). The logins are listed in the README.
 */
#ifndef KOLAB_DEMO_H
#define KOLAB_DEMO_H

#include "status.h"
#include "store.h"

/* Creates the demo users and rooms and queues their conversation. Loop
 * thread; the messages are committed with the next batch. */
enum status demo_seed(struct store *store);

#endif
