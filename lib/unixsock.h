/*
 * unixsock.h: Unix-domain sockets of the servers: the socket file (stale,
 * live, or something else at the path), its mode and owner, its removal
 * at exit; a peer's credentials and ucspi-unix's program environment.
 */
#ifndef SOCKBOX_UNIXSOCK_H
#define SOCKBOX_UNIXSOCK_H

#include <sys/socket.h>
#include <sys/un.h>
#include "endpoint.h"

/* How a server's socket file is made (-m MODE, -u USER[:GROUP]). */
struct unix_file {
	int mode;		/* permissions, or -1: what the umask gives */
	int give;		/* chown the file to uid:gid */
	uid_t uid;
	gid_t gid;
};

/* -m MODE: an octal mode 0 to 0777, or exit 2. */
int xparse_mode(const char *s);
/*
 * A server's socket of type (SOCK_STREAM: listening with backlog) on sun,
 * close-on-exec, or die (exit 1). A socket file that nothing is bound to
 * (connect is refused) is replaced; a live one is "Address already in
 * use", and anything else at the path is never touched. The file gets f's
 * mode and owner without being more open than that at any moment, and is
 * removed when the process exits, if it is still the one made here.
 */
int xlisten_unix(const struct sockaddr_un *sun, socklen_t len, int type,
    int backlog, const struct unix_file *f);
/* SO_PEERCRED of a connected socket into cred: 0, or -1 with errno set. */
int peer_cred(int fd, struct ucred *cred);
/*
 * spawn_env with ucspi-unix's environment: PROTO=UNIX, UNIXLOCALPATH
 * (local's name), UNIXLOCALPID (the program's pid), UNIXLOCALUID,
 * UNIXLOCALGID; with peer UNIXREMOTEPID, UNIXREMOTEEUID, UNIXREMOTEEGID;
 * with a named remote (a datagram's sender) UNIXREMOTEPATH.
 */
pid_t spawn_unix(char **argv, int in, int out,
    const struct sockaddr_un *local, const struct ucred *peer,
    const struct sockaddr_un *remote);

#endif
