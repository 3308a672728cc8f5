/*
 * pty.c - the agent's terminal: a pseudo-terminal per agent process, so runtimes that want a TTY
 * (coding CLIs with a full-screen interface) get one and a dashboard terminal can attach to it
 * (terminal.c). Also what of a terminal's byte stream is readable text, for the events.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "host.h"

int pty_open(int *master_out, int *slave_out)
{
	char name[128];
	struct termios tio;
	int master, slave = -1;

	master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		return -1;
	if (grantpt(master) < 0 || unlockpt(master) < 0 || ptsname_r(master, name, sizeof name) != 0)
		goto fail;
	slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		goto fail;
	/* No echo: the town's messages written to the agent's input must not come back as output. */
	if (tcgetattr(slave, &tio) < 0)
		goto fail;
	tio.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	if (tcsetattr(slave, TCSANOW, &tio) < 0 || pty_resize(master, HOST_PTY_COLS, HOST_PTY_ROWS) < 0)
		goto fail;
	if (fcntl(master, F_SETFL, O_NONBLOCK) < 0)
		goto fail;
	*master_out = master;
	*slave_out = slave;
	return 0;
fail:
	{
		int saved = errno;
		close(master);
		if (slave >= 0)
			close(slave);
		errno = saved;
	}
	return -1;
}

int pty_resize(int master, unsigned cols, unsigned rows)
{
	struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};

	return ioctl(master, TIOCSWINSZ, &ws);
}

/* States of pty_printable: what the bytes before have opened. */
enum { VT_TEXT, VT_ESC, VT_ESC_INTER, VT_CSI, VT_STRING, VT_STRING_ESC };

int pty_printable(unsigned char *state, unsigned char c)
{
	switch (*state) {
	case VT_ESC:
		if (c == '[')
			*state = VT_CSI;
		else if (c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_')
			*state = VT_STRING; /* OSC, DCS, SOS, PM, APC: up to BEL or ESC \ */
		else if (c >= 0x20 && c <= 0x2f)
			*state = VT_ESC_INTER; /* ESC ( B and the like */
		else if (c != 0x1b)
			*state = VT_TEXT;
		return 0;
	case VT_ESC_INTER:
		if (c < 0x20 || c > 0x2f)
			*state = c == 0x1b ? VT_ESC : VT_TEXT;
		return 0;
	case VT_CSI:
		if (c == 0x1b)
			*state = VT_ESC;
		else if (c >= 0x40 && c <= 0x7e)
			*state = VT_TEXT; /* the final byte */
		return 0;
	case VT_STRING:
		if (c == 0x07)
			*state = VT_TEXT;
		else if (c == 0x1b)
			*state = VT_STRING_ESC;
		return 0;
	case VT_STRING_ESC:
		if (c == '\\') {
			*state = VT_TEXT; /* ST */
			return 0;
		}
		*state = VT_ESC; /* another sequence cuts the string short */
		return pty_printable(state, c);
	default:
		if (c == 0x1b) {
			*state = VT_ESC;
			return 0;
		}
		/* CR, backspace, bell and the other controls move a cursor; a timeline has none. */
		return c == '\t' || (c >= 0x20 && c != 0x7f);
	}
}
