/*
 * service.h: what tcpserve and udpserve share to fit a service manager:
 * the socket handed over (listenfd.h) and readiness (notify.h), their
 * options and the checks between them.
 */
#ifndef SOCKBOX_SERVICE_H
#define SOCKBOX_SERVICE_H

#include "listenfd.h"
#include "notify.h"

struct service {
	struct listen_src src;
	struct ready ready;
};

#define SERVICE_INIT { .src = { .kind = LSRC_BIND }, \
	.ready = { .fd = -1, .notify = -1 } }

/* Long option codes, clear of every applet's own. */
enum { OPT_SYSTEMD = 0x1000, OPT_FD, OPT_READY_FD };

/* The long options, for an applet's table; the short one is -1. */
#define SERVICE_LONGOPTS \
	{ "systemd", optional_argument, NULL, OPT_SYSTEMD }, \
	{ "fd", required_argument, NULL, OPT_FD }, \
	{ "ready-fd", required_argument, NULL, OPT_READY_FD }

/* ---- lib/service.c ---- */

/* -1, --systemd, --fd or --ready-fd into sv: 1 if ch was one, else 0. */
int take_service_opt(struct service *sv, int ch);
/*
 * Exit 2 for what does not go together: -4/-6 (family not AF_UNSPEC)
 * with a socket handed over, --ready-fd on the socket's descriptor, -1
 * or --fd 1 when stdout carries data (data_mode names the mode, or NULL).
 */
void check_service_opts(const struct service *sv, int family,
    const char *data_mode);
/*
 * The socket handed over (xinherited_socket), then the environment
 * cleaned for programs: LISTEN_* removed, NOTIFY_SOCKET taken
 * (ready_init). Call it where the server would bind, before dropping
 * privileges; with LSRC_BIND it only cleans and returns -1.
 */
int xservice_socket(struct service *sv, int socktype);

#endif
