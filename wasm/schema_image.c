/*
 * schema_image.c - reads pages out of a compile-time schema image (schema_image.h). Pure: no host
 * calls, so native tests check the images against the migrations directly.
 */
#include <string.h>

#include "schema_image.h"

static unsigned get16(const unsigned char *p)
{
	return (unsigned)p[0] | (unsigned)p[1] << 8;
}

int schema_image_page(const struct schema_image *im, int no, unsigned char *out)
{
	const unsigned char *p, *end;
	size_t at = 0;

	if (!im || no < 0 || no >= im->pages)
		return -1;
	p = im->runs + im->page_at[no];
	end = im->runs + im->page_at[no + 1];
	while (p < end) {
		unsigned zeros, lit;

		if (end - p < 4)
			return -1;
		zeros = get16(p);
		lit = get16(p + 2);
		p += 4;
		if (zeros > SCHEMA_IMAGE_PAGE - at || lit > SCHEMA_IMAGE_PAGE - at - zeros ||
		    lit > (size_t)(end - p))
			return -1;
		memset(out + at, 0, zeros);
		at += zeros;
		memcpy(out + at, p, lit);
		at += lit;
		p += lit;
	}
	return at == SCHEMA_IMAGE_PAGE ? 0 : -1;
}
