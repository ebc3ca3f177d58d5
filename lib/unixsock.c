/*
 * unixsock.c: Unix-domain sockets of the servers: replacing a stale socket
 * file but never a live one, the file's mode and owner, removing it at
 * exit; and the UCSPI environment ucspi-unix's unixserver sets.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "endpoint.h"
#include "unixsock.h"

/* The socket file this process made, removed at exit. */
static struct {
	char path[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];
	dev_t dev;
	ino_t ino;
	pid_t pid;
} made;

int
xparse_mode(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 8);
	if (*s < '0' || *s > '7' || *end || errno || v < 0 || v > 0777)
		die_usage("invalid mode '%s'", s);
	return (int)v;
}

/*
 * At exit: only the process that made the file, and only if it is still
 * that file (a newer server may have replaced it after we were gone).
 */
static void
remove_made(void)
{
	struct stat st;

	if (made.pid != getpid() || lstat(made.path, &st) < 0 ||
	    st.st_dev != made.dev || st.st_ino != made.ino)
		return;
	if (unlink(made.path) < 0)
		warn_errno("warning: remove %s", made.path);
}

/*
 * Whether something is bound to the socket file at sun: a connect of the
 * same type that is not refused. ENOENT: it has just gone.
 */
static int
is_live(const struct sockaddr_un *sun, socklen_t len, int type)
{
	int fd, r, err;

	if ((fd = socket(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) < 0)
		return 1;
	r = connect(fd, (const struct sockaddr *)sun, len);
	err = errno;
	close(fd);
	return r == 0 || (err != ECONNREFUSED && err != ENOENT);
}

/* bind for a file name that is in use: replace a stale socket, or die. */
static void
rebind(int fd, const struct sockaddr_un *sun, socklen_t len, int type)
{
	const char *path = sun->sun_path;
	struct stat st;

	if (lstat(path, &st) == 0 && !S_ISSOCK(st.st_mode))
		die_msg(EXIT_FAIL, "bind %s: exists and is not a socket", path);
	if (is_live(sun, len, type)) {
		errno = EADDRINUSE;
		die_errno(EXIT_FAIL, "bind %s", path);
	}
	/* Stale: a server that is gone left it. */
	if (unlink(path) < 0 && errno != ENOENT)
		die_errno(EXIT_FAIL, "remove stale %s", path);
	if (bind(fd, (const struct sockaddr *)sun, len) < 0)
		die_errno(EXIT_FAIL, "bind %s", path);
}

/* The file's owner and mode, set on the file bind made, or die. */
static void
set_file(const char *path, const struct unix_file *f)
{
	struct stat st;

	if (lstat(path, &st) < 0 || !S_ISSOCK(st.st_mode) ||
	    st.st_dev != made.dev || st.st_ino != made.ino)
		die_msg(EXIT_FAIL, "%s: replaced while being set up", path);
	if (f->give && lchown(path, f->uid, f->gid) < 0)
		die_errno(EXIT_FAIL, "chown %s", path);
	if (f->mode >= 0 && fchmodat(AT_FDCWD, path, (mode_t)f->mode,
	    AT_SYMLINK_NOFOLLOW) < 0 && chmod(path, (mode_t)f->mode) < 0)
		die_errno(EXIT_FAIL, "chmod %s", path);
}

int
xlisten_unix(const struct sockaddr_un *sun, socklen_t len, int type,
    int backlog, const struct unix_file *f)
{
	char name[ADDRPORT_LEN];
	int fd, abstract = sun->sun_path[0] == '\0', r;
	mode_t old = 0;
	struct stat st;

	fmt_unix(sun, len, name, sizeof(name));
	if ((fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0)) < 0)
		die_errno(EXIT_FAIL, "socket");
	/*
	 * With -m the file starts with the owner's bits of MODE only: the
	 * owner is root (or us) until the chown, and the rest come after.
	 */
	if (f->mode >= 0)
		old = umask((mode_t)(0777 & ~(f->mode & 0700)));
	r = bind(fd, (const struct sockaddr *)sun, len);
	if (r < 0 && errno == EADDRINUSE && !abstract)
		rebind(fd, sun, len, type);
	else if (r < 0)
		die_errno(EXIT_FAIL, "bind %s", name);
	if (f->mode >= 0)
		umask(old);
	if (!abstract) {
		if (lstat(sun->sun_path, &st) < 0)
			die_errno(EXIT_FAIL, "%s", name);
		snprintf(made.path, sizeof(made.path), "%s", sun->sun_path);
		made.dev = st.st_dev;
		made.ino = st.st_ino;
		made.pid = getpid();
		atexit(remove_made);
		set_file(sun->sun_path, f);
	}
	if (type == SOCK_STREAM && listen(fd, backlog) < 0)
		die_errno(EXIT_FAIL, "listen %s", name);
	return fd;
}

int
peer_cred(int fd, struct ucred *cred)
{
	socklen_t len = sizeof(*cred);

	return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cred, &len);
}

pid_t
spawn_unix(char **argv, int in, int out, const struct sockaddr_un *local,
    const struct ucred *peer, const struct sockaddr_un *remote)
{
	char vars[9][ADDRPORT_LEN + 24], name[ADDRPORT_LEN];
	char *v[9];
	int n = 0, i;

	snprintf(vars[n++], sizeof(vars[0]), "PROTO=UNIX");
	snprintf(vars[n++], sizeof(vars[0]), "UNIXLOCALPATH=%s",
	    fmt_unix(local, unix_addrlen(local), name, sizeof(name)));
	/* The program's own pid, as unixserver's forked child has it. */
	snprintf(vars[n++], sizeof(vars[0]), "UNIXLOCALPID=");
	snprintf(vars[n++], sizeof(vars[0]), "UNIXLOCALUID=%ld",
	    (long)getuid());
	snprintf(vars[n++], sizeof(vars[0]), "UNIXLOCALGID=%ld",
	    (long)getgid());
	if (peer) {
		snprintf(vars[n++], sizeof(vars[0]), "UNIXREMOTEPID=%ld",
		    (long)peer->pid);
		snprintf(vars[n++], sizeof(vars[0]), "UNIXREMOTEEUID=%ld",
		    (long)peer->uid);
		snprintf(vars[n++], sizeof(vars[0]), "UNIXREMOTEEGID=%ld",
		    (long)peer->gid);
	}
	if (remote && unix_addrlen(remote) >
	    offsetof(struct sockaddr_un, sun_path))
		snprintf(vars[n++], sizeof(vars[0]), "UNIXREMOTEPATH=%s",
		    fmt_unix(remote, unix_addrlen(remote), name,
		    sizeof(name)));
	for (i = 0; i < n; i++)
		v[i] = vars[i];
	return spawn_env(argv, in, out, "UNIX", v, n,
	    vars[2] + strlen("UNIXLOCALPID="));
}
