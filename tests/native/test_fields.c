/*
 * test_fields.c - fields_read, the one reader of request bodies: each fault's generic message and
 * code, a rule's own messages and the nearest FF_ANY above a nested fault, null and absence, defaults,
 * nested items with their index in the field, and the guard against a table read into the wrong
 * struct.
 */
#include "harness.h"
#include "core/core.h"

struct in {
	const char *name, *kind;
	int64_t count;
	double ratio;
	int flag;
	const cJSON *list, *meta, *any;
};

static const char *const kinds[] = {"alpha", "beta", "gamma", NULL};

static int no_x(const char *s)
{
	return !strchr(s, 'x');
}

static const struct field_rule item_rule = {NULL, FT_STRING, 0, 0, 1, 4, .msg[FF_ANY] = "item %i is 1 to %u bytes"};

static const struct field_rule rules[] = {
	{"name", F_STR(struct in, name), FR_REQUIRED, 1, 8, .valid = no_x},
	{"kind", F_STR(struct in, kind), 0, 0, 16, .one_of = kinds},
	{"count", F_INT(struct in, count), FR_DEFAULT, -5, 5, .def = 3},
	{"ratio", F_NUM(struct in, ratio), 0, 0, 1},
	{"flag", F_BOOL(struct in, flag), 0, 0, 0},
	{"list", F_ARR(struct in, list), FR_UNIQUE, 1, 3, .of = &item_rule},
	{"meta", F_OBJ(struct in, meta), FR_NULL, 0, 20},
	{"any", F_ANY(struct in, any), 0, 0, 0},
};
static const struct fields table = FIELDS(rules, struct in);

/* Read text against table into *in; the error (code, field, message) in e. */
static int read_in(const char *text, struct in *in, struct err *e)
{
	cJSON *b = cJSON_Parse(text);
	int rc;

	memset(e, 0, sizeof *e);
	*in = (struct in){.flag = -1};
	rc = fields_read(b, &table, in, sizeof *in, e);
	cJSON_Delete(b);
	return rc;
}

/* The fault of text: its code, field and message match. */
static int fails(const char *text, enum err_code code, const char *field, const char *message)
{
	struct in in;
	struct err e;
	int ok = read_in(text, &in, &e) < 0 && e.code == code && strcmp(e.field, field) == 0 &&
		 strcmp(e.message, message) == 0;

	if (!ok)
		printf("# %s -> %d %s: %s\n", text, e.code, e.field, e.message);
	return ok;
}

static void values_are_stored_and_absent_ones_kept(void)
{
	struct in in;
	struct err e;
	cJSON *b = cJSON_Parse("{\"name\":\"ok\",\"kind\":\"beta\",\"ratio\":0.5,\"flag\":true,\"list\":[\"a\",\"b\"],"
			       "\"meta\":{\"k\":1},\"any\":[1],\"unknown\":{\"ignored\":true}}");

	memset(&e, 0, sizeof e);
	in = (struct in){.flag = -1};
	CHECK(fields_read(b, &table, &in, sizeof in, &e) == 0 && e.code == ERR_NONE);
	CHECK(t_streq(in.name, "ok") && t_streq(in.kind, "beta") && in.ratio == 0.5 && in.flag == 1);
	CHECK(cJSON_GetArraySize(in.list) == 2 && cJSON_IsObject(in.meta) && cJSON_IsArray(in.any));
	CHECK(in.count == 3); /* absent: its default */
	cJSON_Delete(b);

	CHECK(read_in("{\"name\":\"ok\",\"count\":-5}", &in, &e) == 0 && in.count == -5);
	CHECK(in.kind == NULL && in.flag == -1 && in.list == NULL); /* absent: as the caller left them */
}

static void null_reads_as_absent_for_strings_and_numbers_only(void)
{
	struct in in;
	struct err e;

	CHECK(read_in("{\"name\":\"ok\",\"kind\":null,\"count\":null,\"ratio\":null,\"meta\":null}", &in, &e) == 0);
	CHECK(in.kind == NULL && in.count == 3 && in.meta == NULL);
	CHECK(fails("{\"name\":null}", ERR_INVALID, "name", "'name' is required"));
	CHECK(fails("{\"name\":\"ok\",\"flag\":null}", ERR_INVALID, "flag", "'flag' must be a boolean"));
	CHECK(fails("{\"name\":\"ok\",\"list\":null}", ERR_INVALID, "list", "'list' must be an array"));
}

static void each_fault_has_its_generic_message(void)
{
	CHECK(fails("{}", ERR_INVALID, "name", "'name' is required"));
	CHECK(fails("{\"name\":7}", ERR_INVALID, "name", "'name' must be a string"));
	CHECK(fails("{\"name\":\"\"}", ERR_INVALID, "name", "'name' must not be empty"));
	CHECK(fails("{\"name\":\"123456789\"}", ERR_INVALID, "name", "'name' is longer than 8 characters"));
	CHECK(fails("{\"name\":\"box\"}", ERR_INVALID, "name", "'name' is not valid"));
	CHECK(fails("{\"name\":\"a\",\"kind\":\"delta\"}", ERR_INVALID, "kind", "'kind' is alpha, beta or gamma"));
	CHECK(fails("{\"name\":\"a\",\"count\":\"1\"}", ERR_INVALID, "count", "'count' must be a number"));
	CHECK(fails("{\"name\":\"a\",\"count\":6}", ERR_INVALID, "count", "'count' must be an integer from -5 to 5"));
	CHECK(fails("{\"name\":\"a\",\"count\":1.5}", ERR_INVALID, "count", "'count' must be an integer from -5 to 5"));
	CHECK(fails("{\"name\":\"a\",\"count\":1e300}", ERR_INVALID, "count", "'count' must be an integer from -5 to 5"));
	CHECK(fails("{\"name\":\"a\",\"ratio\":2}", ERR_INVALID, "ratio", "'ratio' is a number from 0 to 1"));
	CHECK(fails("{\"name\":\"a\",\"flag\":1}", ERR_INVALID, "flag", "'flag' must be a boolean"));
	CHECK(fails("{\"name\":\"a\",\"list\":{}}", ERR_INVALID, "list", "'list' must be an array"));
	CHECK(fails("{\"name\":\"a\",\"list\":[]}", ERR_INVALID, "list", "'list' needs at least 1 items"));
	CHECK(fails("{\"name\":\"a\",\"list\":[\"a\",\"b\",\"c\",\"d\"]}", ERR_TOO_LARGE, "list", "'list' has more than 3 items"));
	CHECK(fails("{\"name\":\"a\",\"list\":[\"a\",\"b\",\"a\"]}", ERR_INVALID, "list", "'list' has 'a' more than once"));
	CHECK(fails("{\"name\":\"a\",\"meta\":[]}", ERR_INVALID, "meta", "'meta' must be an object"));
	CHECK(fails("{\"name\":\"a\",\"meta\":{\"long\":\"0123456789\"}}", ERR_TOO_LARGE, "meta", "'meta' is larger than 20 bytes"));
	/* An item's own message, with its index. */
	CHECK(fails("{\"name\":\"a\",\"list\":[\"a\",\"\"]}", ERR_INVALID, "list", "item 1 is 1 to 4 bytes"));
	CHECK(fails("{\"name\":\"a\",\"list\":[\"a\",5]}", ERR_INVALID, "list", "item 1 is 1 to 4 bytes"));
}

/* Records with an id and an optional kind: the item's message covers its members' faults, but a
 * member's own message wins; the field names the item. */
struct rec {
	const char *id, *kind;
};

static const struct field_rule rec_rules[] = {
	{"id", F_STR(struct rec, id), FR_REQUIRED, 1, 4},
	{"kind", F_STR(struct rec, kind), 0, 0, 0, .one_of = kinds, .msg[FF_ENUM] = "unknown kind '%v'"},
};
static const struct fields rec_fields = FIELDS(rec_rules, struct rec);
static const struct field_rule rec_item = {NULL, FT_OBJECT, 0, 0, 0, 0, .fields = &rec_fields,
					   .field = "recs[%i]", .msg[FF_ANY] = "record %i is {id, kind?}"};
struct body {
	const cJSON *recs;
};
static const struct field_rule body_rules[] = {
	{"recs", F_ARR(struct body, recs), FR_REQUIRED, 0, 0, .of = &rec_item, .msg[FF_MISSING] = "'%n' is a list"},
};
static const struct fields body_fields = FIELDS(body_rules, struct body);

static int body_fails(const char *text, const char *field, const char *message)
{
	cJSON *b = cJSON_Parse(text);
	struct body in = {0};
	struct err e = {0};
	int ok = fields_read(b, &body_fields, &in, sizeof in, &e) < 0 && e.code == ERR_INVALID &&
		 strcmp(e.field, field) == 0 && strcmp(e.message, message) == 0;

	if (!ok)
		printf("# %s -> %s: %s\n", text, e.field, e.message);
	cJSON_Delete(b);
	return ok;
}

static void nested_faults_name_their_item(void)
{
	cJSON *b = cJSON_Parse("{\"recs\":[{\"id\":\"a\"},{\"id\":\"b\",\"kind\":\"beta\"}]}");
	struct body in = {0};
	struct rec r = {0};
	struct err e = {0};

	CHECK(fields_read(b, &body_fields, &in, sizeof in, &e) == 0 && cJSON_GetArraySize(in.recs) == 2);
	CHECK(fields_read(cJSON_GetArrayItem(in.recs, 1), &rec_fields, &r, sizeof r, &e) == 0);
	CHECK(t_streq(r.id, "b") && t_streq(r.kind, "beta"));
	cJSON_Delete(b);
	CHECK(body_fails("{}", "recs", "'recs' is a list"));
	CHECK(body_fails("{\"recs\":[{\"id\":\"a\"},3]}", "recs[1]", "record 1 is {id, kind?}"));
	CHECK(body_fails("{\"recs\":[{\"id\":\"a\"},{\"id\":\"toolong\"}]}", "recs[1]", "record 1 is {id, kind?}"));
	CHECK(body_fails("{\"recs\":[{}]}", "recs[0]", "record 0 is {id, kind?}"));
	CHECK(body_fails("{\"recs\":[{\"id\":\"a\",\"kind\":\"zeta\"}]}", "recs[0]", "unknown kind 'zeta'"));
}

static void a_table_read_into_the_wrong_struct_is_refused(void)
{
	cJSON *b = cJSON_Parse("{\"recs\":[]}");
	struct rec small = {0};
	struct err e = {0};

	CHECK(fields_read(b, &body_fields, &small, sizeof small, &e) < 0 && e.code == ERR_INTERNAL);
	memset(&e, 0, sizeof e);
	CHECK(fields_read(b, &body_fields, NULL, 0, &e) == 0); /* checking only */
	cJSON_Delete(b);
	CHECK(fields_rule(&table, "ratio") == &rules[3] && fields_rule(&table, "nope") == NULL);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	RUN(values_are_stored_and_absent_ones_kept);
	RUN(null_reads_as_absent_for_strings_and_numbers_only);
	RUN(each_fault_has_its_generic_message);
	RUN(nested_faults_name_their_item);
	RUN(a_table_read_into_the_wrong_struct_is_refused);
	return t_done();
}
