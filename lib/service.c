/*
 * service.c: the options tcpserve and udpserve share for service
 * managers: -1, --ready-fd, --systemd and --fd.
 */
#include "service.h"

int
take_service_opt(struct service *sv, int ch)
{
	switch (ch) {
	case '1':
		sv->ready.print_port = 1;
		return 1;
	case OPT_SYSTEMD:
		xset_listen_src(&sv->src, LSRC_SYSTEMD, optarg);
		return 1;
	case OPT_FD:
		xset_listen_src(&sv->src, LSRC_FD, optarg);
		return 1;
	case OPT_READY_FD:
		sv->ready.fd = xparse_ready_fd(optarg);
		return 1;
	}
	return 0;
}

void
check_service_opts(const struct service *sv, int family,
    const char *data_mode)
{
	const char *how = sv->src.kind == LSRC_FD ? "--fd" : "--systemd";

	if (sv->src.kind != LSRC_BIND && family != AF_UNSPEC)
		die_usage("-4 and -6 are for HOST PORT, not %s", how);
	if (sv->src.kind == LSRC_FD && sv->ready.fd == sv->src.fd)
		die_usage("--ready-fd and --fd name the same descriptor");
	if (sv->ready.print_port && data_mode)
		die_usage("-1 is not for %s: stdout is the data", data_mode);
	if (sv->src.kind == LSRC_FD && sv->src.fd == 1 && data_mode)
		die_usage("--fd 1 is not for %s: stdout is the data", data_mode);
}

int
xservice_socket(struct service *sv, int socktype)
{
	int fd = -1;

	if (sv->src.kind != LSRC_BIND)
		fd = xinherited_socket(&sv->src, socktype);
	clear_listen_env();
	ready_init(&sv->ready);
	return fd;
}
