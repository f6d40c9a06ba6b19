/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The server's session-ticket master key, one for the whole process: made
 * at random, or read from a file or a kernel key so that every tlshd of a
 * fleet seals and opens the same tickets. GnuTLS derives the key that
 * actually seals tickets from it and the time, and rotates that key every
 * 3 x the ticket lifetime; tickets sealed under the previous period's key
 * are still accepted, older ones give a full handshake.
 */
#ifndef TLSHD_TICKET_KEYS_H
#define TLSHD_TICKET_KEYS_H

#include <stddef.h>

#define TLSHD_TICKET_KEY_SIZE 64

/*
 * spec: NULL (random), "keyring:SERIAL" (a key's payload) or a path (the
 * file's content). Either must be exactly TLSHD_TICKET_KEY_SIZE bytes.
 * Returns 0 or a negative errno, with the cause in err.
 */
int tlshd_ticket_key_load(const char *spec, unsigned char *key, char *err,
			  size_t errlen);

/*
 * The ticket lifetime GnuTLS is given for a configured rotation interval
 * (seconds; 0: GnuTLS's default lifetime of 6 hours).
 */
unsigned int tlshd_ticket_lifetime(int rotation);

#endif /* TLSHD_TICKET_KEYS_H */
