/*
 * udpsend_send.c: putting datagrams on the wire: sendmmsg batches, runs of
 * equal lengths as one UDP_SEGMENT send, retries while buffers are short.
 */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <netinet/in.h>
#include "udpsend.h"

void
die_peer(const struct sender *s, int err)
{
	errno = err;
	if (s->port == NULL)
		die_errno(EXIT_FAIL, "%s", s->host);	/* -U PATH */
	die_errno(EXIT_FAIL, "%s port %s", s->host, s->port);
}

void
die_size(unsigned long long size, int max)
{
	die_msg(EXIT_FAIL, "datagram of %llu bytes is larger than the "
	    "maximum of %d", size, max);
}

int
net_error(int fd)
{
	_Alignas(struct cmsghdr) char cbuf[512];
	struct msghdr mh = { .msg_control = cbuf,
	    .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm;
	uint32_t ee_errno;
	socklen_t len = sizeof(int);
	int err = 0;

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err)
		return err;
	if (recvmsg(fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
		return 0;
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		if ((cm->cmsg_level == IPPROTO_IP &&
		    cm->cmsg_type == IP_RECVERR) ||
		    (cm->cmsg_level == IPPROTO_IPV6 &&
		    cm->cmsg_type == IPV6_RECVERR)) {
			/* struct sock_extended_err starts with it. */
			memcpy(&ee_errno, CMSG_DATA(cm), sizeof(ee_errno));
			return (int)ee_errno;
		}
	}
	return 0;
}

/*
 * Whether a send may be retried: no buffer space, or EMSGSIZE, which for
 * a datagram within the limit only means the path MTU just shrank (the
 * kernel fragments the retry).
 */
static int
transient(int err)
{
	return err == ENOBUFS || err == EAGAIN || err == EINTR ||
	    err == EMSGSIZE;
}

/* Wait a little before a retry; give up after about ten seconds of them. */
static void
back_off(const struct sender *s, int *tries)
{
	struct timespec ts = { 0, 1000000 };

	if (++*tries > 10000)
		die_peer(s, ENOBUFS);
	nanosleep(&ts, NULL);
}

/*
 * Messages for the datagrams from iov[from]: with UDP_SEGMENT, a run of
 * equal lengths (the last may be shorter) is one message the kernel cuts
 * into datagrams, each still its own datagram on the wire. Returns how
 * many messages.
 */
static int
build_msgs(struct sender *s, int from)
{
	struct msghdr *mh;
	size_t len, total;
	int i = from, k, m = 0;

	while (i < s->n) {
		mh = &s->msgs[m].msg_hdr;
		memset(mh, 0, sizeof(*mh));
		mh->msg_name = s->tolen ? &s->to : NULL;
		mh->msg_namelen = s->tolen;
		mh->msg_iov = &s->iov[i];
		len = s->iov[i].iov_len;
		total = len;
		k = 1;
		while (s->gso && len > 0 && len <= GSO_LEN && i + k < s->n &&
		    k < GSO_SEGS && s->iov[i + k].iov_len > 0 &&
		    s->iov[i + k].iov_len <= len &&
		    total + s->iov[i + k].iov_len <= (size_t)s->max) {
			total += s->iov[i + k].iov_len;
			if (s->iov[i + k++].iov_len < len)
				break;
		}
		mh->msg_iovlen = k;
		if (k > 1) {
			s->seg[m].h.cmsg_level = IPPROTO_UDP;
			s->seg[m].h.cmsg_type = UDP_SEGMENT;
			s->seg[m].h.cmsg_len = CMSG_LEN(sizeof(uint16_t));
			*(uint16_t *)CMSG_DATA(&s->seg[m].h) = (uint16_t)len;
			mh->msg_control = s->seg[m].buf;
			mh->msg_controllen = sizeof(s->seg[m].buf);
		}
		s->per[m++] = k;
		i += k;
	}
	return m;
}

void
flush_batch(struct sender *s)
{
	int done = 0, m, j, r, err, tries = 0;

	while (done < s->n) {
		m = build_msgs(s, done);
		r = sendmmsg(s->fd, s->msgs, m, 0);
		if (r < 0) {
			err = errno;
			/* No segmentation offload on this path: plain sends. */
			if (s->gso && s->per[0] > 1 && (err == EIO ||
			    err == EINVAL || err == ENOPROTOOPT ||
			    err == EOPNOTSUPP)) {
				s->gso = 0;
				continue;
			}
			if (!transient(err))
				die_peer(s, err);
			back_off(s, &tries);
			continue;
		}
		dump_segments(&s->dump, DUMP_OUT, s->msgs, r);
		for (j = 0; j < r; j++)
			done += s->per[j];
		tries = 0;
		/* A short count hides the error that stopped it. */
		if (r < m && (err = net_error(s->fd)) != 0 && !transient(err))
			die_peer(s, err);
	}
	s->sent += s->n;
	s->n = 0;
}

void
send_now(struct sender *s, const char *p, size_t len)
{
	int tries = 0;

	while (sendto(s->fd, p, len, 0, s->tolen ? (struct sockaddr *)&s->to :
	    NULL, s->tolen) < 0) {
		if (!transient(errno))
			die_peer(s, errno);
		back_off(s, &tries);
	}
	s->sent++;
	dump_dgram(&s->dump, DUMP_OUT, s->tolen ? (struct sockaddr *)&s->to :
	    NULL, p, len);
}
