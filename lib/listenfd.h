/*
 * listenfd.h: a server's socket handed over instead of bound: systemd's
 * socket activation (--systemd[=NAME]) or a descriptor (--fd N).
 */
#ifndef SOCKBOX_LISTENFD_H
#define SOCKBOX_LISTENFD_H

#include "sockbox.h"

/* Where the listening socket comes from. */
enum { LSRC_BIND, LSRC_SYSTEMD, LSRC_FD };

struct listen_src {
	int kind;		/* LSRC_BIND: HOST PORT operands */
	const char *name;	/* LSRC_SYSTEMD: --systemd=NAME, or NULL */
	int fd;			/* LSRC_FD: --fd N */
};

/* ---- lib/listenfd.c ---- */

/* --systemd[=NAME] (arg is optarg, maybe NULL) or --fd N into src; exit 2. */
void xset_listen_src(struct listen_src *src, int kind, const char *arg);
/*
 * Whether a socket of this family may be served: AF_INET, AF_INET6 and
 * AF_UNIX. The one place a new family is added.
 */
int listen_family_ok(int family);
/*
 * The socket systemd passed (LISTEN_PID our pid, LISTEN_FDS from fd 3;
 * with name, the one LISTEN_FDNAMES gives that name; without, the only
 * one), all of them made close-on-exec. The descriptor, or -1 with a
 * one-line reason in err.
 */
int systemd_fd(const char *name, char *err, size_t errlen);
/*
 * Whether fd is a socket of socktype (SOCK_STREAM: also listening) and of
 * a family listen_family_ok allows: 0, or -1 with a reason in err.
 */
int check_listen_fd(int fd, int socktype, char *err, size_t errlen);
/*
 * src's socket, checked and close-on-exec, or die with the reason (exit
 * 2: a different command line or environment would fix it).
 */
int xinherited_socket(const struct listen_src *src, int socktype);
/*
 * Remove LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES from the environment,
 * so that no program we start takes them as its own. After xinherited_socket.
 */
void clear_listen_env(void);

#endif
