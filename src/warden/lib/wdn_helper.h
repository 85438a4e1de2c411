/*
 * wdn_helper.h - the short-lived helper processes warden starts by re-executing its own
 * binary (`hearth-warden __init|__exec|__copy-in|__copy-out ...`). Re-executing keeps the
 * daemon free of work between fork and exec (it has libuv's thread pool, STYLE R22): each
 * helper is a fresh single-threaded process that may allocate, parse JSON and use
 * libarchive before it enters a container.
 *
 *   __init CDIR            reads CDIR/config.json, creates the namespaces, attaches the new
 *                          init to the cgroups, builds the root and pivots; prints the init's
 *                          host pid on stdout once the container is ready, then exits. The
 *                          init (pid 1 inside) only reaps orphans until it is SIGKILLed.
 *   __exec CDIR JOB        reads CDIR/jobs/JOB/spec.json, joins the init's namespaces, runs
 *                          the job with stdout/stderr in CDIR/jobs/JOB/{stdout,stderr}, waits
 *                          for it and writes its exit status to CDIR/jobs/JOB/status.
 *   __copy-in PID UID TAR DST   extracts the host tar file TAR ("-": stdin) into DST inside
 *                          the container, as the container user, with libarchive's secure
 *                          flags; device nodes refused, setuid/setgid bits dropped.
 *   __copy-out PID UID SRC TAR  writes a tar of SRC (inside the container) to host path TAR
 *                          ("-": stdout).
 */
#ifndef HEARTH_WARDEN_HELPER_H
#define HEARTH_WARDEN_HELPER_H

#include <stdbool.h>
#include <sys/types.h>

/*
 * The body of __exec: the daemon also runs it in a plain fork() of itself (no exec), which is
 * safe because the daemon never starts threads (no libuv thread-pool work). Returns the exit
 * code for the helper process.
 */
int wdn_helper_exec_job(const char *cdir, const char *job);
/* The body of __init, for a raw fork of the daemon: prints the init's pid on stdout. */
int wdn_helper_init(const char *cdir);
/* fork() without running atfork handlers (libuv's would act on descriptors in the child). */
pid_t wdn_raw_fork(void);

/* True when argv names a helper; then wdn_helper_main runs it and returns the exit code. */
bool wdn_helper_is(int argc, char **argv);
int wdn_helper_main(int argc, char **argv);

#endif
