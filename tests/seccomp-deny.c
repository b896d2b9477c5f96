/* seccomp-deny SYSCALL[,SYSCALL...] PROGRAM [ARG...]
 *
 * Runs PROGRAM with a seccomp filter that fails the named system calls
 * with EPERM and allows every other, as systemd's SystemCallFilter= with
 * SystemCallErrorNumber=EPERM does for calls outside the filter: for
 * testing that the daemon copes with the refusals of its unit's filter
 * without running systemd.  Knows only the calls the tests name. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

static const struct {
	const char *name;
	long nr;
} known[] = {
	{ "sched_setattr", __NR_sched_setattr },
	{ "sched_setscheduler", __NR_sched_setscheduler },
	{ "sched_setparam", __NR_sched_setparam },
	{ "setpriority", __NR_setpriority },
};

#define MAX_DENY 16

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s SYSCALL[,SYSCALL...] PROGRAM [ARG...]\n", argv[0]);
		return 2;
	}
	struct sock_filter f[2 + 2 * MAX_DENY + 1];
	size_t n = 0;
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
	                                      offsetof(struct seccomp_data, nr));
	char *list = strdup(argv[1]);
	size_t denied = 0;
	for (char *name = strtok(list, ","); name; name = strtok(NULL, ",")) {
		size_t k = 0;
		while (k < sizeof known / sizeof known[0] && strcmp(known[k].name, name) != 0)
			k++;
		if (k == sizeof known / sizeof known[0] || denied == MAX_DENY) {
			fprintf(stderr, "seccomp-deny: cannot deny '%s'\n", name);
			return 2;
		}
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
		                                      (unsigned)known[k].nr, 0, 1);
		f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM);
		denied++;
	}
	free(list);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog prog = { (unsigned short)n, f };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
		perror("seccomp-deny: cannot install the filter");
		return 1;
	}
	execvp(argv[2], argv + 2);
	fprintf(stderr, "seccomp-deny: cannot run '%s': %s\n", argv[2], strerror(errno));
	return 127;
}
