/*
 * json.c - typed reads of request fields over cJSON, so every handler reports a wrong type or a
 * missing field the same way: ERR_INVALID naming the field.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int json_string(const cJSON *obj, const char *name, int required, size_t max_len, const char **out,
		struct err *e)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);

	*out = NULL;
	if (!v || cJSON_IsNull(v)) {
		if (required)
			return err_set(e, ERR_INVALID, name, "'%s' is required", name);
		return 0;
	}
	if (!cJSON_IsString(v))
		return err_set(e, ERR_INVALID, name, "'%s' must be a string", name);
	if (strlen(v->valuestring) > max_len)
		return err_set(e, ERR_INVALID, name, "'%s' is longer than %zu characters", name, max_len);
	*out = v->valuestring;
	return 0;
}

int json_int(const cJSON *obj, const char *name, int required, int64_t min, int64_t max,
	     int64_t *out, struct err *e)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
	double d;

	if (!v || cJSON_IsNull(v)) {
		if (required)
			return err_set(e, ERR_INVALID, name, "'%s' is required", name);
		return 0;
	}
	if (!cJSON_IsNumber(v))
		return err_set(e, ERR_INVALID, name, "'%s' must be a number", name);
	d = v->valuedouble;
	/* Compare as doubles before converting: out-of-range conversion is undefined behaviour. */
	if (d != floor(d) || d < (double)min || d > (double)max)
		return err_set(e, ERR_INVALID, name, "'%s' must be an integer from %lld to %lld", name,
			       (long long)min, (long long)max);
	*out = (int64_t)d;
	return 0;
}

char *json_print(const cJSON *v)
{
	return cJSON_PrintUnformatted(v);
}
