/*
 * A minimal test harness for the C unit tests: CHECK records a failure and
 * goes on, TEST_MAIN runs the listed tests and prints one closing line,
 * "N passed, N failed", that ctest and CI read.
 */
#ifndef KOLAB_CHECK_H
#define KOLAB_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_failures;
static int check_current_failed;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);               \
            check_failures++;                                                                      \
            check_current_failed = 1;                                                              \
        }                                                                                          \
    } while (0)

#define CHECK_EQ_U(a, b)                                                                           \
    do {                                                                                           \
        unsigned long long check_a_ = (unsigned long long)(a);                                     \
        unsigned long long check_b_ = (unsigned long long)(b);                                     \
        if (check_a_ != check_b_) {                                                                \
            fprintf(stderr, "%s:%d: %s == %llu, expected %llu\n", __FILE__, __LINE__, #a,          \
                    check_a_, check_b_);                                                           \
            check_failures++;                                                                      \
            check_current_failed = 1;                                                              \
        }                                                                                          \
    } while (0)

#define CHECK_STR(a, b) CHECK(strcmp((a), (b)) == 0)

typedef void (*check_test_fn)(void);

struct check_case {
    const char *name;
    check_test_fn fn;
};

#define TEST_CASE(fn)                                                                              \
    {                                                                                              \
#fn, fn                                                                                    \
    }

static inline int check_run(const struct check_case *cases, size_t n)
{
    int passed = 0;
    int failed = 0;

    for (size_t i = 0; i < n; i++) {
        check_current_failed = 0;
        cases[i].fn();
        if (check_current_failed) {
            fprintf(stderr, "FAIL %s\n", cases[i].name);
            failed++;
        } else {
            printf("ok   %s\n", cases[i].name);
            passed++;
        }
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}

#define TEST_MAIN(...)                                                                             \
    int main(void)                                                                                 \
    {                                                                                              \
        static const struct check_case cases[] = {__VA_ARGS__};                                    \
        return check_run(cases, sizeof(cases) / sizeof(cases[0]));                                 \
    }

#endif
