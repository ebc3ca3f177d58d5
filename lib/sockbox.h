/*
 * sockbox.h: the one internal header, a commented section for each file
 * in lib/; every applet includes it.
 */
#ifndef SOCKBOX_H
#define SOCKBOX_H

#include <stddef.h>
#include <stdint.h>
#include <getopt.h>
#include <netdb.h>
#include <sys/socket.h>

#define SOCKBOX_VERSION "0.1.0"

/* Exit statuses shared by every applet. */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,		/* the world said no: not found, refused, timeout */
	EXIT_USAGE = 2,		/* different arguments would fix it */
	EXIT_NOAPPLET = 127
};

/* ---- lib/diag.c: diagnostics, exit codes, option loop ---- */

/* The name every diagnostic starts with; the dispatcher sets it. */
extern const char *prog;

/* "prog: MESSAGE\n" on stderr in one write(2); errno is preserved. */
void warn_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Like warn_msg, with ": strerror(errno)" appended. */
void warn_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* warn_msg, then exit with status code. */
void die_msg(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));
/* warn_errno, then exit with status code. */
void die_errno(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));
/* Bad input: warn_msg, then exit 2. */
void die_usage(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

/*
 * getopt_long with the conventions of every applet: stops at the first
 * operand, -h/--help prints usage to stdout and exits 0, an unknown option
 * or a missing option argument is a one-line error and exit 2. longopts may
 * be NULL; --help is always understood.
 */
int next_opt(int argc, char **argv, const char *optstring,
    const struct option *longopts, const char *usage);
/* Exit 2 unless the operands after optind number min to max (-1: any). */
void need_operands(int argc, char **argv, int min, int max);

/* ---- lib/parse.c: strict parsers for operands and option arguments ---- */

/* A decimal number in [min, max], or die "invalid WHAT 'S'" (exit 2). */
unsigned long long parse_uint(const char *s, unsigned long long min,
    unsigned long long max, const char *what);
/* Seconds with optional decimals ("0.25", "3"), as milliseconds, or exit 2. */
long long parse_duration(const char *s);
/*
 * A port: decimal 0-65535 or a service name known for proto ("tcp", "udp"
 * or NULL for any). Anything else dies "invalid port 'S'" (exit 2).
 */
int parse_port(const char *s, const char *proto);

/* ---- lib/addr.c: hosts and addresses ---- */

/* Longest "[addr]:port" that fmt_addrport writes, with its NUL. */
#define ADDRPORT_LEN 64

/*
 * Strip the brackets of "[::1]" in place. Returns s, or NULL if the
 * brackets do not match.
 */
char *unbracket(char *s);
/* Whether a server HOST means every address: "", "*", "0.0.0.0", "::". */
int is_wildcard(const char *host);
/* Whether s is a numeric IPv4 or IPv6 address (brackets not allowed). */
int is_numeric_addr(const char *s);
/*
 * Parse a numeric address into *ss (port 0). Returns 0, or -1 if s is not
 * an address of an allowed family (family: AF_UNSPEC, AF_INET or AF_INET6).
 */
int parse_addr(const char *s, int family, struct sockaddr_storage *ss,
    socklen_t *len);
/* Port of an AF_INET/AF_INET6 address, in host order. */
int addr_port(const struct sockaddr *sa);
/* "1.2.3.4" or "::1" (IPv4-mapped IPv6 printed as IPv4) into buf. */
char *fmt_addr(const struct sockaddr *sa, char *buf, size_t len);
/* "1.2.3.4:80" or "[::1]:80" into buf (ADDRPORT_LEN bytes suffice). */
char *fmt_addrport(const struct sockaddr *sa, char *buf, size_t len);
/* The resolver's message for a getaddrinfo/getnameinfo error code. */
const char *gai_msg(int err);

/* ---- lib/lookup.c: reentrant host lookups (safe in threads) ---- */

/* A hostent and the buffer it points into; zero-initialise before use. */
struct hostrec {
	struct hostent he;
	char *buf;
	size_t len;
};

/*
 * gethostbyname2_r(name, af) into hr: 0, or the h_errno code
 * (HOST_NOT_FOUND, NO_DATA, TRY_AGAIN, NO_RECOVERY) of the failure.
 */
int host_by_name(const char *name, int af, struct hostrec *hr);
/* gethostbyaddr_r of an AF_INET/AF_INET6 address: 0 or an h_errno code. */
int host_by_addr(const struct sockaddr *sa, struct hostrec *hr);
/* Release hr's buffer; hr may be used again. */
void free_hostrec(struct hostrec *hr);

#endif
