/*
 * rdns.h: a client's host name, believed only when the forward lookup
 * of the reverse name gives its address back (tcpserver's -p, paranoid).
 */
#ifndef SOCKBOX_RDNS_H
#define SOCKBOX_RDNS_H

#include "sockbox.h"

/* ---- lib/rdns.c ---- */

/*
 * The name of sa's address (PTR, NI_NAMEREQD) into name if one of that
 * name's addresses of the same family is sa's; IPv4-mapped IPv6 counts
 * as IPv4. 0, or -1 when there is no name, the forward lookup does not
 * confirm it, or it has characters no host name has. Blocks on the
 * resolver: for a process of its own.
 */
int confirmed_name(const struct sockaddr *sa, char *name, size_t len);

#endif
