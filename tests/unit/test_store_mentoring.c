/*
 * Unit tests of the store's mentoring tables (store_mentoring.c).
 */
#include "check.h"
#include "store_mentoring.h"

static void test_status_names(void)
{
    CHECK_STR(store_mstatus_name(MSTATUS_WAITING), "waiting");
    CHECK_STR(store_mstatus_name(MSTATUS_CANCELLED), "cancelled");
    CHECK_STR(store_mstatus_name(MSTATUS_ANY), "");
    CHECK_EQ_U(store_mstatus_bit("active"), MSTATUS_ACTIVE);
    CHECK_EQ_U(store_mstatus_bit("nope"), 0);
}

TEST_MAIN(TEST_CASE(test_status_names))
