/* Child processes for the services' command-line clients, run from worker threads. */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "broker.h"
#include "hc_time.h"
#include "proc.h"

extern char **environ;

static char **make_env(const char *const extra[])
{
    size_t n = 0, m = 0;
    while (environ[n])
        n++;
    while (extra && extra[m])
        m++;
    char **env = hc_calloc(n + m + 1, sizeof(*env));
    size_t o = 0;
    for (size_t i = 0; i < m; i++)
        env[o++] = (char *)extra[i];
    for (size_t i = 0; i < n; i++) {
        /* An extra setting replaces the inherited one. */
        const char *eq = strchr(environ[i], '=');
        size_t klen = eq ? (size_t)(eq - environ[i]) : strlen(environ[i]);
        bool dup = false;
        for (size_t j = 0; j < m && !dup; j++)
            dup = strncmp(extra[j], environ[i], klen) == 0 && extra[j][klen] == '=';
        if (!dup)
            env[o++] = environ[i];
    }
    return env;
}

/* Trims out to its first non-empty line for an error message. */
static void first_line(const hc_buf_t *out, char *line, size_t size)
{
    size_t i = 0, n = 0;
    while (i < out->len && (out->data[i] == '\n' || out->data[i] == '\r'))
        i++;
    while (i < out->len && out->data[i] != '\n' && n + 1 < size) {
        char c = out->data[i++];
        line[n++] = (c >= 0x20 && c < 0x7f) ? c : '?';
    }
    line[n] = '\0';
}

int brk_run(const char *const argv[], const char *const extra_env[], const char *input,
            uint64_t timeout_ms, hc_buf_t *out, hc_err_t *err)
{
    int in[2] = {-1, -1}, outp[2] = {-1, -1}, r = 0, status = 0;
    pid_t pid = -1;
    hc_buf_t local;
    char **env = NULL;
    posix_spawn_file_actions_t fa;
    bool fa_init = false;

    if (!out) {
        hc_buf_init(&local, BRK_PROC_MAX_OUTPUT);
        out = &local;
    }
    if (pipe2(in, O_CLOEXEC) < 0 || pipe2(outp, O_CLOEXEC) < 0) {
        r = hc_err_set(err, -errno, "pipe");
        goto out;
    }
    posix_spawn_file_actions_init(&fa);
    fa_init = true;
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, outp[1], 1);
    posix_spawn_file_actions_adddup2(&fa, outp[1], 2);
    env = make_env(extra_env);
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, env);
    if (rc != 0) {
        pid = -1;
        r = hc_err_set(err, -rc, "%s", argv[0]);
        goto out;
    }
    close(in[0]);
    close(outp[1]);
    in[0] = outp[1] = -1;
    fcntl(in[1], F_SETFL, O_NONBLOCK);
    fcntl(outp[0], F_SETFL, O_NONBLOCK);

    size_t in_len = input ? strlen(input) : 0, in_off = 0;
    if (in_len == 0) {
        close(in[1]);
        in[1] = -1;
    }
    uint64_t deadline = hc_now_ms() + timeout_ms;
    while (outp[0] >= 0) {
        uint64_t now = hc_now_ms();
        if (now >= deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            pid = -1;
            r = brk_err_set(err, -ETIMEDOUT, "%s: killed after %llu ms", argv[0],
                            (unsigned long long)timeout_ms);
            goto out;
        }
        struct pollfd pfd[2] = {{.fd = outp[0], .events = POLLIN},
                                {.fd = in[1], .events = POLLOUT}};
        if (poll(pfd, in[1] >= 0 ? 2 : 1, (int)HC_MIN(deadline - now, 1000)) < 0 && errno != EINTR)
            break;
        if (in[1] >= 0 && (pfd[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
            ssize_t w = write(in[1], input + in_off, in_len - in_off);
            if (w > 0)
                in_off += (size_t)w;
            if ((w < 0 && errno != EAGAIN) || in_off == in_len) {
                close(in[1]);
                in[1] = -1;
            }
        }
        if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            char buf[4096];
            ssize_t n = read(outp[0], buf, sizeof(buf));
            if (n > 0) {
                hc_buf_append(out, buf, (size_t)HC_MIN((size_t)n, BRK_PROC_MAX_OUTPUT));
            } else if (n == 0 || errno != EAGAIN) {
                close(outp[0]);
                outp[0] = -1;
            }
        }
    }
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    pid = -1;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        char line[200];
        first_line(out, line, sizeof(line));
        r = brk_err_set(err, -EIO, "%s: exit %d: %s", argv[0],
                        WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), line);
    }
out:
    if (pid > 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    for (int i = 0; i < 2; i++) {
        if (in[i] >= 0)
            close(in[i]);
        if (outp[i] >= 0)
            close(outp[i]);
    }
    if (fa_init)
        posix_spawn_file_actions_destroy(&fa);
    free(env);
    if (out == &local)
        hc_buf_release(&local);
    return r;
}
