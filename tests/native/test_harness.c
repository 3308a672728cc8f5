/*
 * test_harness.c - the harness itself: a test that runs no CHECK must count as a failure, or a
 * test whose checks were skipped by mistake would report ok.
 */
#include "harness.h"

static void checks_nothing(void)
{
}

static void checks_once(void)
{
	CHECK(1 + 1 == 2);
}

int main(void)
{
	int fail_before, pass_before;

	fail_before = t_fail;
	t_expect_empty = 1;
	RUN(checks_nothing);
	t_expect_empty = 0;
	/* Undo the expected failure, then record whether it happened as a check of its own. */
	{
		int failed = t_fail == fail_before + 1;

		t_fail = fail_before;
		t_name = "a test without a CHECK fails";
		CHECK(failed);
	}
	pass_before = t_pass;
	RUN(checks_once);
	t_name = "a test with a passing CHECK passes";
	CHECK(t_pass == pass_before + 1 && t_fail == fail_before);
	return t_done();
}
