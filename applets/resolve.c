/*
 * resolve: host names to addresses and back through the C library, as
 * Python's gethostbyname, gethostbyname_ex and gethostbyaddr see them.
 * Many names are looked up at once by a bounded pool of threads, and
 * printed in the order they were given.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "../lib/namelist.h"
#include "../lib/sockbox.h"

const char resolve_usage[] =
"usage: resolve [-146jl] [-f FILE] [-P NUM] NAME|ADDRESS...\n"
"Print every address of each host NAME, or the name of each ADDRESS.\n"
"With several operands or -f, plain lines become NAME<TAB>ANSWER.\n"
"\n"
"  -1        only the first address (what gethostbyname returns)\n"
"  -4        IPv4 addresses only\n"
"  -6        IPv6 addresses only\n"
"  -f FILE   also resolve the names in FILE (- for stdin), one per line;\n"
"            blank lines and lines starting with # are skipped\n"
"  -j        JSON Lines: one object per name\n"
"  -l        hosts(5) lines: ADDRESS<TAB>CANONICAL ALIAS...\n"
"  -P NUM    at most NUM lookups at once (1-1024, default 64)\n";

#define MAX_PARALLEL 1024

/* Room for one address, IPv6 scope included ("fe80::1%eth0"). */
#define ADDR_LEN ADDRPORT_LEN

static struct {
	int family;		/* AF_UNSPEC, AF_INET or AF_INET6 */
	int first, json, lines;
	int tagged;		/* plain lines start with the query */
} opt;

/* One name to look up, and its answer once done is set. */
struct query {
	char *name;		/* as given, owned */
	char *out;		/* what goes to stdout, owned */
	size_t outlen;
	const char *bad;	/* why it is not even looked up, or NULL */
	char err[256];		/* the failure, or "" */
	int done;
};

/*
 * The queries in flight: a ring of -P slots between head (the oldest not
 * yet printed) and tail. Workers take them at next; the main thread
 * prints them from head, in input order, as they are answered.
 */
static struct {
	pthread_mutex_t mu;
	pthread_cond_t work;	/* a query was queued, or the input ended */
	pthread_cond_t done;	/* a query was answered */
	struct query *ring;
	pthread_t *thread;
	size_t cap, head, next, tail;
	size_t threads, idle;
	int eof;
} pool = {
	.mu = PTHREAD_MUTEX_INITIALIZER,
	.work = PTHREAD_COND_INITIALIZER,
	.done = PTHREAD_COND_INITIALIZER,
};

static void
put_json_list(FILE *f, char **v, size_t n)
{
	size_t i;

	putc('[', f);
	for (i = 0; i < n; i++) {
		if (i)
			putc(',', f);
		put_json(f, v[i]);
	}
	putc(']', f);
}

/*
 * The aliases that are not the canonical name itself (musl lists it
 * among them), in place; their number.
 */
static size_t
other_names(char **v, const char *canon)
{
	size_t i, n = 0;

	for (i = 0; v[i]; i++)
		if (strcmp(v[i], canon) != 0)
			v[n++] = v[i];
	v[n] = NULL;
	return n;
}

/* A found host as -l lines or a -j object. */
static void
print_host(FILE *f, const char *query, const char *canon, char **aliases,
    char **addrs, size_t naddrs)
{
	size_t i, j, naliases = other_names(aliases, canon);

	if (opt.json) {
		fputs("{\"query\":", f);
		put_json(f, query);
		fputs(",\"canonical\":", f);
		put_json(f, canon);
		fputs(",\"aliases\":", f);
		put_json_list(f, aliases, naliases);
		fputs(",\"addresses\":", f);
		put_json_list(f, addrs, naddrs);
		fputs("}\n", f);
		return;
	}
	for (i = 0; i < naddrs; i++) {
		fprintf(f, "%s\t%s", addrs[i], canon);
		for (j = 0; aliases[j]; j++)
			fprintf(f, " %s", aliases[j]);
		putc('\n', f);
	}
}

/* A plain answer line. */
static void
print_plain(FILE *f, const struct query *q, const char *answer)
{
	if (opt.tagged)
		fprintf(f, "%s\t%s\n", q->name, answer);
	else
		fprintf(f, "%s\n", answer);
}

static void
fail(struct query *q, FILE *f, const char *msg)
{
	snprintf(q->err, sizeof(q->err), "%s", msg);
	if (opt.json) {
		fputs("{\"query\":", f);
		put_json(f, q->name);
		fputs(",\"error\":", f);
		put_json(f, msg);
		fputs("}\n", f);
	}
}

/*
 * The canonical name and aliases of a name, as gethostbyname_ex gives
 * them (getaddrinfo cannot): IPv4 first unless -6, then IPv6.
 */
static int
find_names(const char *host, struct hostrec *hr)
{
	int err;

	err = host_by_name(host, opt.family == AF_INET6 ? AF_INET6 : AF_INET,
	    hr);
	if (err && opt.family == AF_UNSPEC)
		err = host_by_name(host, AF_INET6, hr);
	return err;
}

/* Forward: every distinct address getaddrinfo gives, in its order. */
static void
lookup_name(struct query *q, FILE *f, const char *host)
{
	struct addrinfo hints = { 0 }, *res, *ai;
	struct hostrec hr = { 0 };
	char *none[] = { NULL }, **addrs, (*buf)[ADDR_LEN];
	const char *canon;
	size_t n = 0, i;
	int err;

	hints.ai_family = opt.family;
	if (opt.json || opt.lines)
		hints.ai_flags = AI_CANONNAME;
	if ((err = getaddrinfo(host, NULL, &hints, &res)) != 0) {
		fail(q, f, gai_msg(err));
		return;
	}
	for (ai = res; ai; ai = ai->ai_next)
		n++;
	buf = malloc(n * sizeof(*buf));
	addrs = malloc(n * sizeof(*addrs));
	if (buf == NULL || addrs == NULL) {
		fail(q, f, strerror(ENOMEM));
		goto out;
	}
	for (n = 0, ai = res; ai; ai = ai->ai_next) {
		addrs[n] = fmt_addr(ai->ai_addr, buf[n], ADDR_LEN);
		for (i = 0; i < n && strcmp(addrs[i], addrs[n]) != 0; i++)
			continue;
		n += i == n;
	}
	if (opt.first)
		n = 1;
	if (opt.json || opt.lines) {
		canon = res->ai_canonname ? res->ai_canonname : host;
		if (find_names(host, &hr) == 0)
			print_host(f, q->name, hr.he.h_name, hr.he.h_aliases,
			    addrs, n);
		else
			print_host(f, q->name, canon, none, addrs, n);
	} else {
		for (i = 0; i < n; i++)
			print_plain(f, q, addrs[i]);
	}
out:
	free_hostrec(&hr);
	free(addrs);
	free(buf);
	freeaddrinfo(res);
}

/* Reverse: the name of an address, as gethostbyaddr gives it. */
static void
lookup_addr(struct query *q, FILE *f, const struct sockaddr *sa)
{
	struct hostrec hr = { 0 };
	char buf[ADDR_LEN], *addrs[] = { buf };
	int err;

	if ((err = host_by_addr(sa, &hr)) != 0) {
		fail(q, f, err == HOST_NOT_FOUND || err == NO_DATA ?
		    "no name for this address" : hstrerror(err));
	} else if (opt.json || opt.lines) {
		fmt_addr(sa, buf, sizeof(buf));
		print_host(f, q->name, hr.he.h_name, hr.he.h_aliases, addrs,
		    1);
	} else {
		print_plain(f, q, hr.he.h_name);
	}
	free_hostrec(&hr);
}

/*
 * Answer one query into q->out. An address literal of the family asked
 * for (brackets allowed) is looked up in reverse; anything else is a
 * name, so "::1" under -4 fails as getaddrinfo says.
 */
static void
answer(struct query *q)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	char *copy, *host;
	FILE *f;

	if ((f = open_memstream(&q->out, &q->outlen)) == NULL) {
		snprintf(q->err, sizeof(q->err), "%s", strerror(errno));
		return;
	}
	if (q->bad) {
		copy = NULL;
		fail(q, f, q->bad);
	} else if ((copy = strdup(q->name)) == NULL) {
		fail(q, f, strerror(ENOMEM));
	} else if ((host = unbracket(copy)) != NULL &&
	    parse_addr(host, opt.family, &ss, &sslen) == 0) {
		lookup_addr(q, f, (struct sockaddr *)&ss);
	} else {
		/* "[::1]" under -4 is still the address ::1 to getaddrinfo. */
		if (host == NULL || host == copy || !is_numeric_addr(host))
			host = q->name;
		lookup_name(q, f, host);
	}
	free(copy);
	if (fclose(f) != 0 && q->err[0] == '\0')
		snprintf(q->err, sizeof(q->err), "%s", strerror(ENOMEM));
}

static void *
work(void *unused)
{
	struct query *q;

	(void)unused;
	pthread_mutex_lock(&pool.mu);
	for (;;) {
		while (pool.next == pool.tail && !pool.eof) {
			pool.idle++;
			pthread_cond_wait(&pool.work, &pool.mu);
			pool.idle--;
		}
		if (pool.next == pool.tail)
			break;
		q = &pool.ring[pool.next++ % pool.cap];
		pthread_mutex_unlock(&pool.mu);
		answer(q);
		pthread_mutex_lock(&pool.mu);
		q->done = 1;
		pthread_cond_signal(&pool.done);
	}
	pthread_mutex_unlock(&pool.mu);
	return NULL;
}

/* Print a query's answer and its failure, then free it; -1 if it failed. */
static int
emit(struct query *q)
{
	int rc = q->err[0] ? -1 : 0;

	if (q->outlen)
		fwrite(q->out, 1, q->outlen, stdout);
	if (rc < 0)
		warn_msg("%s: %s", q->name, q->err);
	free(q->out);
	free(q->name);
	memset(q, 0, sizeof(*q));
	return rc;
}

/*
 * Print the answered queries at the head, in order, waiting for answers
 * while more than keep are in flight. Called with the lock held.
 */
static int
drain(size_t keep)
{
	struct query *q;
	int rc = 0;

	while (pool.head != pool.tail) {
		q = &pool.ring[pool.head % pool.cap];
		if (!q->done) {
			if (pool.tail - pool.head <= keep)
				break;
			xflush_stdout();
			pthread_cond_wait(&pool.done, &pool.mu);
			continue;
		}
		pthread_mutex_unlock(&pool.mu);
		rc |= emit(q);
		pthread_mutex_lock(&pool.mu);
		pool.head++;
	}
	return rc;
}

/*
 * Queue a name (taking ownership), starting a worker if none is free;
 * with bad set, only to report it in its turn.
 */
static int
submit(char *name, const char *bad)
{
	int rc;

	pthread_mutex_lock(&pool.mu);
	rc = drain(pool.cap - 1);
	pool.ring[pool.tail % pool.cap].name = name;
	pool.ring[pool.tail++ % pool.cap].bad = bad;
	if (pool.tail - pool.next > pool.idle && pool.threads < pool.cap &&
	    pthread_create(&pool.thread[pool.threads], NULL, work, NULL) == 0)
		pool.threads++;
	if (pool.threads == 0)
		die_errno(EXIT_FAIL, "cannot start a thread");
	pthread_cond_signal(&pool.work);
	pthread_mutex_unlock(&pool.mu);
	return rc;
}

/* Every name in a file (lib/namelist.c): one per line. */
static int
submit_file(const char *path)
{
	struct namelist nl = { .in = stdin };
	const char *bad;
	struct stat st;
	char *name;
	int rc = 0, pipe, got;

	if (strcmp(path, "-") != 0 && (nl.in = fopen(path, "r")) == NULL)
		die_errno(EXIT_FAIL, "%s", path);
	/* Names typed or piped in get their answers before we block. */
	pipe = fstat(fileno(nl.in), &st) < 0 || !S_ISREG(st.st_mode);
	for (;;) {
		if (pipe)
			xflush_stdout();
		if ((got = namelist_next(&nl, &name, &bad)) <= 0)
			break;
		if ((name = strdup(name)) == NULL)
			die_errno(EXIT_FAIL, "%s", path);
		rc |= submit(name, bad);
	}
	if (got < 0) {
		warn_errno("%s", path);
		rc = -1;
	}
	namelist_free(&nl);
	if (nl.in != stdin)
		fclose(nl.in);
	return rc;
}

static void
parse_options(int argc, char **argv, const char **file, size_t *parallel)
{
	int ch;

	opt.family = AF_UNSPEC;
	while ((ch = next_opt(argc, argv, "146f:jlP:", NULL,
	    resolve_usage)) != -1) {
		switch (ch) {
		case '1':
			opt.first = 1;
			break;
		case '4':
		case '6':
			xset_family(&opt.family, ch);
			break;
		case 'f':
			*file = optarg;
			break;
		case 'j':
			opt.json = 1;
			break;
		case 'l':
			opt.lines = 1;
			break;
		case 'P':
			*parallel = parse_uint(optarg, 1, MAX_PARALLEL,
			    "number of parallel lookups");
			break;
		}
	}
	if (opt.json && opt.lines)
		die_usage("-j and -l conflict");
}

/* One operand: answered here, with no thread to start (start-up time). */
static int
resolve_one(const char *name)
{
	struct query q = { 0 };
	int rc;

	if ((q.name = strdup(name)) == NULL)
		die_errno(EXIT_FAIL, "%s", name);
	answer(&q);
	rc = emit(&q);
	return rc ? EXIT_FAIL : EXIT_OK;
}

int
resolve_main(int argc, char **argv)
{
	const char *file = NULL;
	size_t parallel = 64, i;
	int j, rc = 0;

	parse_options(argc, argv, &file, &parallel);
	need_operands(argc, argv, file ? 0 : 1, -1);
	for (j = optind; j < argc; j++) {
		if (argv[j][0] == '\0')
			die_usage("invalid host name ''");
		xcheck_host(argv[j]);
	}
	opt.tagged = file != NULL || argc - optind > 1;
	if (!opt.tagged)
		return resolve_one(argv[optind]);

	pool.cap = parallel;
	pool.ring = calloc(parallel, sizeof(*pool.ring));
	pool.thread = calloc(parallel, sizeof(*pool.thread));
	if (pool.ring == NULL || pool.thread == NULL)
		die_errno(EXIT_FAIL, "cannot allocate %zu lookups", parallel);
	for (j = optind; j < argc; j++) {
		char *name = strdup(argv[j]);

		if (name == NULL)
			die_errno(EXIT_FAIL, "%s", argv[j]);
		rc |= submit(name, NULL);
	}
	if (file)
		rc |= submit_file(file);

	pthread_mutex_lock(&pool.mu);
	pool.eof = 1;
	pthread_cond_broadcast(&pool.work);
	rc |= drain(0);
	pthread_mutex_unlock(&pool.mu);
	for (i = 0; i < pool.threads; i++)
		pthread_join(pool.thread[i], NULL);
	free(pool.thread);
	free(pool.ring);
	xflush_stdout();
	return rc ? EXIT_FAIL : EXIT_OK;
}
