/*
 * Test-only hooks into auth/ (tests/unit/auth). Not for production
 * code.
 */
#ifndef EGCA_AUTH_TEST_H
#define EGCA_AUTH_TEST_H

#include <stdint.h>

/*
 * Pins the clock that login, enrolment, lockout and token creation read
 * (egca_auth_session_check and egca_auth_token_check take the time as
 * an argument); 0 goes back to the real clock. Process-wide.
 */
void egca_auth_test_clock(int64_t now);

#endif
