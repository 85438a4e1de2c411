/*
 * job.c - processes inside containers: spawn through the __exec helper, link (wait for the
 * exit status and the output), stream (follow the output files), signal.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hc_fs.h"
#include "hc_log.h"
#include "lib/wdn_helper.h"
#include "lib/wdn_util.h"
#include "wdn_daemon.h"

#define STREAM_POLL_MS 25
#define STREAM_CHUNK 65536
#define ADOPT_POLL_MS 200

wdn_job_t *wdn_job_find(wdn_ctr_t *c, uint32_t id)
{
    for (wdn_job_t *j = c->jobs; j; j = j->next)
        if (j->id == id)
            return j;
    return NULL;
}

/* Output files live on the container's tmpfs (they count against its disk quota); the job's
 * spec, pid and status stay in the container dir on the host, so a full disk never stops
 * warden from starting or tracking a job. */
static void job_path(wdn_ctr_t *c, uint32_t id, const char *file, char *out, size_t size)
{
    bool output = strcmp(file, "stdout") == 0 || strcmp(file, "stderr") == 0;
    (void)wdn_path(out, size, "%s/%s/%u/%s", c->cdir, output ? "disk/jobs" : "jobs", (unsigned)id,
                   file);
}

/* Reads the status file; true when the job has finished. */
static bool job_read_status(wdn_job_t *j)
{
    char p[PATH_MAX], buf[32];
    job_path(j->ctr, j->id, "status", p, sizeof(p));
    ssize_t n = wdn_read_str(p, buf, sizeof(buf));
    if (n <= 0)
        return false;
    j->exit_status = atoi(buf);
    j->done = true;
    return true;
}

/*
 * link's reply carries up to WDN_MAX_OUTPUT bytes of each output file: read on libuv's thread
 * pool, so a large output never stalls the loop. The work function only opens, reads and
 * closes into buffers allocated beforehand on the loop thread: it never allocates, which keeps
 * the daemon's raw forks (job.c, run.c) safe while a pool thread runs (a fork could otherwise
 * copy a malloc lock held by that thread).
 */
typedef struct link_read_s {
    uv_work_t work;
    wdn_call_t *call;
    int exit_status;
    json_t *events;
    char path[2][PATH_MAX];
    char *buf[2];
    size_t len[2];
} link_read_t;

static void link_read_work(uv_work_t *w)
{
    link_read_t *lr = HC_CONTAINER_OF(w, link_read_t, work);
    for (int i = 0; i < 2; i++) {
        lr->len[i] = 0;
        int fd = open(lr->path[i], O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        ssize_t n;
        while (lr->len[i] < WDN_MAX_OUTPUT &&
               (n = read(fd, lr->buf[i] + lr->len[i], WDN_MAX_OUTPUT - lr->len[i])) != 0) {
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                break;
            }
            lr->len[i] += (size_t)n;
        }
        close(fd);
    }
}

/* Output that is not UTF-8 is passed with the non-ASCII bytes replaced. */
static json_t *output_string(char *buf, size_t len)
{
    json_t *s = json_stringn(buf, len);
    if (!s) {
        for (size_t i = 0; i < len; i++)
            if ((unsigned char)buf[i] >= 0x80)
                buf[i] = '?';
        s = json_stringn(buf, len);
    }
    return s ? s : json_string("");
}

static void link_read_done(uv_work_t *w, int status)
{
    link_read_t *lr = HC_CONTAINER_OF(w, link_read_t, work);
    wdn_call_t *call = lr->call;
    call->io = false;
    if (status < 0)
        lr->len[0] = lr->len[1] = 0;
    json_t *resp = json_pack("{s:i, s:o, s:o, s:o}", "exit_status", lr->exit_status, "stdout",
                             output_string(lr->buf[0], lr->len[0]), "stderr",
                             output_string(lr->buf[1], lr->len[1]), "events", lr->events);
    free(lr->buf[0]);
    free(lr->buf[1]);
    free(lr);
    wdn_call_done(call, resp); /* with no connection left, the reply is dropped */
}

void wdn_job_link_reply(wdn_call_t *call)
{
    wdn_job_t *j = call->job;
    if (!j->done)
        return; /* wdn_job_finished answers later */
    wdn_ctr_t *c = j->ctr;
    call->job = NULL;
    wdn_ctr_check_oom(c);
    link_read_t *lr = hc_calloc(1, sizeof(*lr));
    lr->call = call;
    lr->exit_status = j->exit_status;
    lr->events = json_deep_copy(c->events); /* the container may be gone by the reply */
    job_path(c, j->id, "stdout", lr->path[0], sizeof(lr->path[0]));
    job_path(c, j->id, "stderr", lr->path[1], sizeof(lr->path[1]));
    lr->buf[0] = hc_malloc(WDN_MAX_OUTPUT);
    lr->buf[1] = hc_malloc(WDN_MAX_OUTPUT);
    call->io = true;
    if (uv_queue_work(c->d->loop, &lr->work, link_read_work, link_read_done) < 0) {
        link_read_work(&lr->work);
        link_read_done(&lr->work, 0);
    }
}

static bool stream_pump(wdn_call_t *call)
{
    wdn_job_t *j = call->job;
    static const char *const names[2] = {"stdout", "stderr"};
    bool done = j->done; /* read after the status so no output written before it is missed */
    bool sent = false;
    for (int i = 0; i < 2; i++) {
        char p[PATH_MAX];
        job_path(j->ctr, j->id, names[i], p, sizeof(p));
        int fd = open(p, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        char buf[STREAM_CHUNK];
        ssize_t n;
        while ((n = pread(fd, buf, sizeof(buf), (off_t)call->off[i])) > 0) {
            call->off[i] += (uint64_t)n;
            json_t *data = json_stringn(buf, (size_t)n);
            if (!data) {
                for (ssize_t k = 0; k < n; k++)
                    if ((unsigned char)buf[k] >= 0x80)
                        buf[k] = '?';
                data = json_stringn(buf, (size_t)n);
            }
            wdn_conn_send(call->conn, json_pack("{s:s, s:s, s:o}", "type", "stream", "name",
                                                names[i], "data", data));
            sent = true;
            if (!call->conn || call->conn->pending_out > WDN_MAX_PENDING_OUT / 2)
                break; /* let the client drain; continue next tick */
        }
        close(fd);
    }
    if (done && !sent) {
        call->job = NULL;
        wdn_call_done(call,
                      json_pack("{s:s, s:i}", "type", "stream", "exit_status", j->exit_status));
        return true;
    }
    return false;
}

static void stream_tick(uv_timer_t *t)
{
    wdn_call_t *call = HC_CONTAINER_OF(t, wdn_call_t, timer);
    if (!call->job) {
        uv_timer_stop(t);
        return;
    }
    if (stream_pump(call))
        return;
}

void wdn_job_stream_start(wdn_call_t *call)
{
    uv_timer_init(call->ctr->d->loop, &call->timer);
    call->timer_on = true;
    if (stream_pump(call))
        return;
    uv_timer_start(&call->timer, stream_tick, STREAM_POLL_MS, STREAM_POLL_MS);
}

void wdn_job_call_abort(wdn_call_t *call)
{
    call->job = NULL;
    if (call->timer_on)
        uv_timer_stop(&call->timer);
}

void wdn_job_finished(wdn_job_t *j)
{
    wdn_ctr_t *c = j->ctr;
    if (!c)
        return;
    wdn_ctr_check_oom(c);
    /* Answer every link/run waiting on this job (streams notice on their next tick). */
    wdn_conn_t *next;
    for (wdn_conn_t *k = c->d->conns; k; k = next) {
        next = k->next;
        wdn_call_t *call = k->call;
        if (call && call->job == j &&
            (call->req.type == WDN_REQ_LINK || call->req.type == WDN_REQ_RUN))
            wdn_job_link_reply(call);
    }
}

static void job_free(wdn_job_t *j)
{
    free(j);
}

static void proc_closed(uv_handle_t *h)
{
    wdn_job_t *j = HC_CONTAINER_OF((uv_poll_t *)h, wdn_job_t, pidpoll);
    j->has_proc = false;
    close(j->pidfd);
    j->pidfd = -1;
    if (!j->ctr && !j->has_poll)
        job_free(j);
}

static void poll_closed(uv_handle_t *h)
{
    wdn_job_t *j = HC_CONTAINER_OF((uv_timer_t *)h, wdn_job_t, poll);
    j->has_poll = false;
    if (!j->ctr && !j->has_proc)
        job_free(j);
}

static void on_exec_exit(uv_poll_t *p, int status, int events)
{
    wdn_job_t *j = HC_CONTAINER_OF(p, wdn_job_t, pidpoll);
    (void)status;
    (void)events;
    int st = 0;
    pid_t r;
    while ((r = waitpid(j->pid, &st, WNOHANG)) < 0 && errno == EINTR)
        ;
    if (r == 0)
        return; /* not exited yet (spurious wake-up) */
    int sig = r > 0 && WIFSIGNALED(st) ? WTERMSIG(st) : 0;
    status = r > 0 && WIFEXITED(st) ? WEXITSTATUS(st) : 0;
    uv_poll_stop(p);
    uv_close((uv_handle_t *)p, proc_closed);
    if (!j->ctr)
        return;
    if (!job_read_status(j)) {
        /* The helper died before it could record a status. */
        j->done = true;
        j->exit_status = sig ? 128 + sig : (status ? (int)status : 255);
    }
    wdn_job_finished(j);
}

static void on_adopt_poll(uv_timer_t *t)
{
    wdn_job_t *j = HC_CONTAINER_OF(t, wdn_job_t, poll);
    if (!j->ctr || !job_read_status(j)) {
        if (j->ctr && !wdn_ctr_alive(j->ctr)) {
            j->done = true;
            j->exit_status = 255;
        } else {
            return;
        }
    }
    uv_timer_stop(t);
    wdn_job_finished(j);
}

static wdn_job_t *job_new(wdn_ctr_t *c, uint32_t id)
{
    wdn_job_t *j = hc_calloc(1, sizeof(*j));
    j->ctr = c;
    j->id = id;
    j->next = c->jobs;
    c->jobs = j;
    return j;
}

void wdn_job_adopt(wdn_ctr_t *c, uint32_t id)
{
    wdn_job_t *j = job_new(c, id);
    if (job_read_status(j))
        return;
    /* Its __exec helper belonged to the previous warden: wait for the status file. */
    uv_timer_init(c->d->loop, &j->poll);
    j->has_poll = true;
    uv_timer_start(&j->poll, on_adopt_poll, ADOPT_POLL_MS, ADOPT_POLL_MS);
}

void wdn_job_detach_all(wdn_ctr_t *c)
{
    wdn_job_t *j = c->jobs;
    c->jobs = NULL;
    while (j) {
        wdn_job_t *next = j->next;
        j->ctr = NULL;
        bool pending = false;
        if (j->has_poll) {
            uv_timer_stop(&j->poll);
            uv_close((uv_handle_t *)&j->poll, poll_closed);
            pending = true;
        }
        if (j->has_proc) {
            /* While the daemon runs, the exit callback reaps the helper and frees the job;
             * when it stops, the helper outlives us and libuv forgets it. */
            if (c->d->stopping && !uv_is_closing((uv_handle_t *)&j->pidpoll))
                uv_close((uv_handle_t *)&j->pidpoll, proc_closed);
            pending = true;
        }
        if (!pending)
            job_free(j);
        j = next;
    }
}

int wdn_job_signal(wdn_ctr_t *c, wdn_job_t *j, int sig)
{
    if (j->done)
        return -ESRCH;
    char p[PATH_MAX], buf[32];
    job_path(c, j->id, "pid", p, sizeof(p));
    if (wdn_read_str(p, buf, sizeof(buf)) <= 0)
        return -ESRCH;
    pid_t pid = (pid_t)atoi(buf);
    /* Only a process still in the container's cgroup is ours to signal. */
    pid_t pids[4096];
    int n = wdn_cg_pids(&c->d->cg, c->handle, pids, HC_ARRAY_SIZE(pids));
    for (int i = 0; i < n; i++)
        if (pids[i] == pid)
            return kill(pid, sig) < 0 ? -errno : 0;
    return -ESRCH;
}

static json_t *job_env(wdn_ctr_t *c, wdn_req_t *req, bool root)
{
    json_t *env = json_array();
    json_array_append_new(env, json_string("PATH=/usr/local/bin:/usr/bin:/bin"));
    json_array_append_new(env, json_string(root ? "HOME=/root" : "HOME=/home/vcap"));
    json_array_append_new(env, json_string(root ? "USER=root" : "USER=vcap"));
    json_array_append_new(env, json_string("LANG=C.UTF-8"));
    json_array_extend(env, c->env);
    if (req->env)
        json_array_extend(env, req->env);
    return env;
}

int wdn_job_start(wdn_ctr_t *c, wdn_req_t *req, wdn_job_t **ret, hc_err_t *err)
{
    wdn_daemon_t *d = c->d;
    uint32_t id = c->next_job++;
    char jdir[PATH_MAX], p[PATH_MAX];
    (void)wdn_path(jdir, sizeof(jdir), "%s/disk/jobs/%u", c->cdir, (unsigned)id);
    (void)mkdir(jdir, 0700); /* may fail on a full disk: the job then writes to /dev/null */
    (void)wdn_path(jdir, sizeof(jdir), "%s/jobs/%u", c->cdir, (unsigned)id);
    if (mkdir(jdir, 0700) < 0)
        return hc_err_set(err, -errno, "mkdir `%s`", jdir);
    json_t *args = json_array();
    const char *path = req->path;
    if (!path) {
        path = "/bin/sh";
        json_array_append_new(args, json_string("-c"));
        json_array_append_new(args, json_string(req->script));
    } else if (req->args) {
        json_array_extend(args, req->args);
    }
    bool root = req->privileged;
    json_t *spec = json_pack(
        "{s:s, s:o, s:o, s:s, s:i, s:i, s:O?}", "path", path, "args", args, "env",
        job_env(c, req, root), "dir", req->dir ? req->dir : (root ? "/root" : "/home/vcap"), "uid",
        root ? 0 : (int)c->uid, "init_pid", (int)c->init_pid, "rlimits", req->rlimits);
    char *s = json_dumps(spec, JSON_COMPACT);
    json_decref(spec);
    (void)wdn_path(p, sizeof(p), "%s/spec.json", jdir);
    int r = hc_atomic_write_file(AT_FDCWD, p, s, strlen(s), 0600, err);
    free(s);
    if (r < 0)
        return r;
    wdn_ctr_save(c);
    wdn_job_t *j = job_new(c, id);
    char idbuf[16];
    snprintf(idbuf, sizeof(idbuf), "%u", (unsigned)id);
    /* The __exec helper body runs in a fork of the daemon: no exec, no dynamic linking. */
    pid_t pid = wdn_raw_fork();
    if (pid < 0) {
        j->done = true;
        j->exit_status = 255;
        return hc_err_set(err, -errno, "fork job helper");
    }
    if (pid == 0) {
        sigset_t none;
        sigemptyset(&none);
        for (int sig = 1; sig < 32; sig++)
            if (sig != SIGKILL && sig != SIGSTOP)
                signal(sig, SIG_DFL);
        sigprocmask(SIG_SETMASK, &none, NULL);
        int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
        dup2(nul, 0);
        dup2(nul, 1);
        closefrom(3);
        syscall(SYS_exit_group, wdn_helper_exec_job(c->cdir, idbuf));
    }
    j->pid = pid;
    j->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (j->pidfd < 0 || uv_poll_init(d->loop, &j->pidpoll, j->pidfd) < 0) {
        /* Cannot watch it: kill it, so nothing runs that warden does not track. */
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        if (j->pidfd >= 0)
            close(j->pidfd);
        j->done = true;
        j->exit_status = 255;
        return hc_err_set(err, -EIO, "watch job helper");
    }
    uv_poll_start(&j->pidpoll, UV_READABLE, on_exec_exit);
    j->has_proc = true;
    *ret = j;
    return 0;
}
