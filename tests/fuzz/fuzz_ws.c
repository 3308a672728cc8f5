/*
 * fuzz_ws.c - frames on the town's sockets (ENG_EV_WS_MESSAGE): the feed's pings and the test echo,
 * routed by the tags the socket was accepted with.
 *
 * Input: line 1 the meta's tags (a JSON array, as the host sends it, or anything); the rest is
 * the frame's text.
 */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = {data, size};
	char *tags, *meta;
	size_t cap;
	struct eng_output out;

	fz_world_init(ENG_TOWN, "t1", 1, fz_build_town);
	fz_world_reset();
	tags = fz_line(&f);
	cap = strlen(tags) + 16;
	meta = malloc(cap);
	snprintf(meta, cap, "{\"tags\":%s}", tags);
	fz_event(ENG_EV_WS_MESSAGE, meta, strlen(meta), f.p, f.n, &out);
	free(meta);
	free(tags);
	return 0;
}
