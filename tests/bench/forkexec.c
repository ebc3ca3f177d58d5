/*
 * forkexec: the program-per-connection limit reference, COUNT sequential
 * fork+exec+wait of PROG with its output to /dev/null and no network.
 * usage: forkexec COUNT PROG [ARGS...]
 */
#include <sys/wait.h>
#include "bench.h"

int
main(int argc, char **argv)
{
	long count, i;
	double t0, t1;
	pid_t pid;
	int st, null;

	if (argc < 3) {
		fprintf(stderr, "usage: forkexec COUNT PROG [ARGS...]\n");
		return 2;
	}
	count = get_count("forkexec", argv[1], 10000000);
	if ((null = open("/dev/null", O_WRONLY)) == -1)
		bench_die("forkexec", "/dev/null");
	t0 = now_mono();
	for (i = 0; i < count; i++) {
		if ((pid = fork()) == -1)
			bench_die("forkexec", "fork");
		if (pid == 0) {
			dup2(null, 1);
			execv(argv[2], argv + 2);
			_exit(127);
		}
		if (waitpid(pid, &st, 0) == -1 || st != 0)
			bench_die("forkexec", "%s failed", argv[2]);
	}
	t1 = now_mono();
	printf("ok=%ld failed=0 hung=0 notrun=0 secs=%.4f rate=%.0f\n", count, t1 - t0,
	    count / (t1 - t0));
	return 0;
}
