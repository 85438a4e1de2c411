/*
 * cli.c - `hearth-warden client [--socket PATH] COMMAND ...`
 *
 *   create [--handle H] [--memory B] [--disk B] [--pids N] [--cpu SHARES] [--grace S]
 *          [--bind SRC:DST[:rw]] [--env K=V] [--prop K=V] [--network none]   prints the handle
 *   run HANDLE [--user root] [--dir D] [--env K=V] -- CMD [ARG...]   exits with CMD's status
 *   spawn HANDLE [same options] -- CMD [ARG...]                      prints the job id
 *   link|stream HANDLE JOB     signal HANDLE JOB SIG     stop HANDLE [--kill]
 *   info|destroy HANDLE        list [--prop K=V]         ping      capacity
 *   net-in HANDLE [--host-port P] [--container-port P]   net-out HANDLE [--network CIDR] [--port P]
 *   copy-in HANDLE HOST_TAR DST      copy-out HANDLE SRC HOST_TAR
 *                              (HOST_TAR "-": the tar streams over the socket from stdin / to
 *                              stdout, for a client that shares no filesystem with warden)
 *   limit-memory|limit-disk|limit-cpu HANDLE [VALUE]
 *   request JSON               sends one raw request line and prints the response(s)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hc_warden.h"
#include "wdn_cli.h"

typedef struct cli_s {
    int code;
    bool done;
    const char *cmd;
    json_t *req;
    bool stream_in, stream_out; /* copy-in from stdin, copy-out to stdout */
    bool connected, in_eof;
} cli_t;

static void on_resp(hc_warden_t *w, json_t *resp, bool more, const char *error, void *data)
{
    (void)w;
    cli_t *c = data;
    if (error) {
        fprintf(stderr, "hearth-warden: %s\n", error);
        c->code = 1;
        c->done = true;
        return;
    }
    const char *cmd = c->cmd;
    if (c->stream_out) {
        size_t len = 0;
        void *bytes = hc_warden_chunk_decode(resp, &len);
        if (bytes && fwrite(bytes, 1, len, stdout) != len) {
            fprintf(stderr, "hearth-warden: write stdout: %s\n", strerror(errno));
            c->code = 1;
        }
        free(bytes);
    } else if (c->stream_in) {
        /* the copy_in's one answer: nothing to print */
    } else if (strcmp(cmd, "stream") == 0) {
        const char *name = json_string_value(json_object_get(resp, "name"));
        const char *d = json_string_value(json_object_get(resp, "data"));
        if (d)
            fputs(d, name && strcmp(name, "stderr") == 0 ? stderr : stdout);
        if (!more)
            c->code = (int)json_integer_value(json_object_get(resp, "exit_status"));
    } else if (strcmp(cmd, "run") == 0 || strcmp(cmd, "link") == 0) {
        fputs(json_string_value(json_object_get(resp, "stdout")) ?: "", stdout);
        fputs(json_string_value(json_object_get(resp, "stderr")) ?: "", stderr);
        c->code = (int)json_integer_value(json_object_get(resp, "exit_status"));
    } else if (strcmp(cmd, "create") == 0) {
        printf("%s\n", json_string_value(json_object_get(resp, "handle")));
    } else if (strcmp(cmd, "spawn") == 0) {
        printf("%lld\n", (long long)json_integer_value(json_object_get(resp, "job_id")));
    } else if (strcmp(cmd, "net-in") == 0) {
        printf("%lld\n", (long long)json_integer_value(json_object_get(resp, "host_port")));
    } else if (strcmp(cmd, "list") == 0) {
        size_t i;
        json_t *h;
        json_array_foreach(json_object_get(resp, "handles"), i, h)
            printf("%s\n", json_string_value(h));
    } else {
        char *s = json_dumps(resp, JSON_INDENT(2) | JSON_SORT_KEYS);
        printf("%s\n", s);
        free(s);
    }
    if (!more)
        c->done = true;
}

static void on_connect(hc_warden_t *w, int status, void *data)
{
    (void)w;
    cli_t *c = data;
    if (status < 0) {
        fprintf(stderr, "hearth-warden: connect: %s\n", uv_strerror(status));
        c->code = 1;
        c->done = true;
        return;
    }
    json_t *req = c->req;
    c->req = NULL;
    int r = hc_warden_request(w, req, on_resp, c);
    if (r < 0) {
        fprintf(stderr, "hearth-warden client: %s\n", strerror(-r));
        c->code = 1;
        c->done = true;
    }
    c->connected = true;
}

/* copy-in from stdin: feeds the data lines while fewer than 4 MiB wait for the socket. */
static void pump_stdin(cli_t *c, hc_warden_t *w)
{
    static char buf[HC_WARDEN_MAX_CHUNK / 2];
    while (!c->in_eof && hc_warden_connected(w) && hc_warden_pending(w) < 4 * 1024 * 1024) {
        size_t n = fread(buf, 1, sizeof(buf), stdin);
        if (n > 0 && hc_warden_copy_in_chunk(w, buf, n) < 0)
            break;
        if (n < sizeof(buf)) {
            c->in_eof = true;
            if (ferror(stdin)) {
                fprintf(stderr, "hearth-warden: read stdin: %s\n", strerror(errno));
                c->code = 1;
            }
            (void)hc_warden_copy_in_end(w);
        }
    }
}

static int u64_arg(const char *s, json_int_t *ret)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || end == s)
        return -EINVAL;
    *ret = (json_int_t)v;
    return 0;
}

static int kv_prop(json_t *obj, const char *kv)
{
    const char *eq = strchr(kv, '=');
    if (!eq)
        return -EINVAL;
    char *k = strndup(kv, (size_t)(eq - kv));
    json_object_set_new(obj, k, json_string(eq + 1));
    free(k);
    return 0;
}

/* Parses the options shared by run and spawn, then "--" and the command. */
static json_t *process_req(const char *type, const char *handle, int argc, char **argv)
{
    json_t *req = json_pack("{s:s, s:s}", "type", type, "handle", handle);
    json_t *env = json_array();
    int i = 0;
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        } else if (strcmp(argv[i], "--user") == 0 && i + 1 < argc) {
            json_object_set_new(req, "user", json_string(argv[++i]));
        } else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc) {
            json_object_set_new(req, "dir", json_string(argv[++i]));
        } else if (strcmp(argv[i], "--env") == 0 && i + 1 < argc) {
            json_array_append_new(env, json_string(argv[++i]));
        } else {
            break;
        }
    }
    if (i >= argc) {
        json_decref(env);
        json_decref(req);
        return NULL;
    }
    json_object_set_new(req, "path", json_string(argv[i]));
    json_t *args = json_array();
    for (int k = i + 1; k < argc; k++)
        json_array_append_new(args, json_string(argv[k]));
    json_object_set_new(req, "args", args);
    json_object_set_new(req, "env", env);
    return req;
}

static json_t *create_req(int argc, char **argv)
{
    json_t *req = json_pack("{s:s}", "type", "create");
    json_t *limits = json_object(), *env = json_array(), *props = json_object(),
           *binds = json_array();
    static const char *const lim[][2] = {{"--memory", "memory_in_bytes"},
                                         {"--disk", "disk_in_bytes"},
                                         {"--pids", "pids"},
                                         {"--cpu", "cpu_shares"}};
    for (int i = 0; i < argc; i += 2) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        bool done = false;
        json_int_t n;
        for (size_t k = 0; k < 4 && v; k++) {
            if (strcmp(a, lim[k][0]) == 0 && u64_arg(v, &n) == 0) {
                json_object_set_new(limits, lim[k][1], json_integer(n));
                done = true;
            }
        }
        if (!v)
            goto bad;
        if (done) {
        } else if (strcmp(a, "--handle") == 0) {
            json_object_set_new(req, "handle", json_string(v));
        } else if (strcmp(a, "--grace") == 0 && u64_arg(v, &n) == 0) {
            json_object_set_new(req, "grace_time", json_integer(n));
        } else if (strcmp(a, "--env") == 0) {
            json_array_append_new(env, json_string(v));
        } else if (strcmp(a, "--prop") == 0 && kv_prop(props, v) == 0) {
        } else if (strcmp(a, "--network") == 0) {
            json_object_set_new(req, "network", json_string(v));
        } else if (strcmp(a, "--bind") == 0) {
            char *copy = strdup(v), *dst = strchr(copy, ':');
            if (!dst) {
                free(copy);
                goto bad;
            }
            *dst++ = '\0';
            char *mode = strchr(dst, ':');
            if (mode)
                *mode++ = '\0';
            json_array_append_new(binds, json_pack("{s:s, s:s, s:s}", "src_path", copy, "dst_path",
                                                   dst, "mode", mode ? mode : "ro"));
            free(copy);
        } else {
            goto bad;
        }
    }
    json_object_set_new(req, "limits", limits);
    json_object_set_new(req, "env", env);
    json_object_set_new(req, "properties", props);
    json_object_set_new(req, "bind_mounts", binds);
    return req;
bad:
    json_decref(limits);
    json_decref(env);
    json_decref(props);
    json_decref(binds);
    json_decref(req);
    return NULL;
}

static json_t *build(const char *cmd, int argc, char **argv)
{
    const char *h = argc > 0 ? argv[0] : NULL;
    json_int_t n;
    if (strcmp(cmd, "ping") == 0 || strcmp(cmd, "capacity") == 0)
        return json_pack("{s:s}", "type", cmd);
    if (strcmp(cmd, "create") == 0)
        return create_req(argc, argv);
    if (strcmp(cmd, "request") == 0)
        return argc == 1 ? json_loads(argv[0], 0, NULL) : NULL;
    if (strcmp(cmd, "list") == 0) {
        json_t *props = json_object();
        for (int i = 0; i + 1 < argc; i += 2)
            if (strcmp(argv[i], "--prop") == 0)
                kv_prop(props, argv[i + 1]);
        return json_pack("{s:s, s:o}", "type", "list", "properties", props);
    }
    if (!h)
        return NULL;
    if (strcmp(cmd, "info") == 0 || strcmp(cmd, "destroy") == 0)
        return json_pack("{s:s, s:s}", "type", cmd, "handle", h);
    if (strcmp(cmd, "stop") == 0)
        return json_pack("{s:s, s:s, s:b}", "type", "stop", "handle", h, "kill",
                         argc > 1 && strcmp(argv[1], "--kill") == 0);
    if (strcmp(cmd, "run") == 0 || strcmp(cmd, "spawn") == 0)
        return process_req(cmd, h, argc - 1, argv + 1);
    if ((strcmp(cmd, "link") == 0 || strcmp(cmd, "stream") == 0) && argc == 2 &&
        u64_arg(argv[1], &n) == 0)
        return json_pack("{s:s, s:s, s:I}", "type", cmd, "handle", h, "job_id", n);
    if (strcmp(cmd, "signal") == 0 && argc == 3 && u64_arg(argv[1], &n) == 0)
        return json_pack("{s:s, s:s, s:I, s:s}", "type", cmd, "handle", h, "job_id", n, "signal",
                         argv[2]);
    if (strcmp(cmd, "copy-in") == 0 && argc == 3 && strcmp(argv[1], "-") == 0)
        return json_pack("{s:s, s:s, s:s}", "type", "copy_in", "handle", h, "dst_path", argv[2]);
    if (strcmp(cmd, "copy-out") == 0 && argc == 3 && strcmp(argv[2], "-") == 0)
        return json_pack("{s:s, s:s, s:s}", "type", "copy_out", "handle", h, "src_path", argv[1]);
    if (strcmp(cmd, "copy-in") == 0 && argc == 3)
        return json_pack("{s:s, s:s, s:s, s:s}", "type", "copy_in", "handle", h, "src_path",
                         argv[1], "dst_path", argv[2]);
    if (strcmp(cmd, "copy-out") == 0 && argc == 3)
        return json_pack("{s:s, s:s, s:s, s:s}", "type", "copy_out", "handle", h, "src_path",
                         argv[1], "dst_path", argv[2]);
    if (strcmp(cmd, "net-in") == 0 || strcmp(cmd, "net-out") == 0) {
        json_t *req = json_pack("{s:s, s:s}", "type",
                                strcmp(cmd, "net-in") == 0 ? "net_in" : "net_out", "handle", h);
        for (int i = 1; i + 1 < argc; i += 2) {
            const char *k = argv[i] + 2;
            if (strcmp(argv[i], "--network") == 0 || strcmp(argv[i], "--protocol") == 0) {
                json_object_set_new(req, k, json_string(argv[i + 1]));
            } else if (u64_arg(argv[i + 1], &n) == 0 && strncmp(argv[i], "--", 2) == 0) {
                char key[64];
                snprintf(key, sizeof(key), "%s", k);
                for (char *p = key; *p; p++)
                    if (*p == '-')
                        *p = '_';
                json_object_set_new(req, key, json_integer(n));
            }
        }
        return req;
    }
    static const char *const limits[][3] = {{"limit-memory", "limit_memory", "limit_in_bytes"},
                                            {"limit-disk", "limit_disk", "byte_limit"},
                                            {"limit-cpu", "limit_cpu", "limit_in_shares"}};
    for (size_t i = 0; i < 3; i++) {
        if (strcmp(cmd, limits[i][0]) != 0)
            continue;
        json_t *req = json_pack("{s:s, s:s}", "type", limits[i][1], "handle", h);
        if (argc > 1 && u64_arg(argv[1], &n) == 0)
            json_object_set_new(req, limits[i][2], json_integer(n));
        return req;
    }
    return NULL;
}

int wdn_cli_main(int argc, char **argv)
{
    const char *sock = "/run/hearth/warden.sock";
    int i = 1;
    if (i + 1 < argc && strcmp(argv[i], "--socket") == 0) {
        sock = argv[i + 1];
        i += 2;
    }
    if (i >= argc || strcmp(argv[i], "--help") == 0) {
        fprintf(i >= argc ? stderr : stdout,
                "usage: hearth-warden client [--socket PATH] COMMAND ...\n"
                "commands: create run spawn link stream signal stop info destroy list ping\n"
                "          capacity net-in net-out copy-in copy-out limit-memory limit-disk\n"
                "          limit-cpu request\n");
        return i >= argc ? 2 : 0;
    }
    cli_t c = {.cmd = argv[i]};
    c.req = build(argv[i], argc - i - 1, argv + i + 1);
    if (!c.req) {
        fprintf(stderr, "hearth-warden client: bad arguments for `%s` (see --help)\n", argv[i]);
        return 2;
    }
    const char *type = json_string_value(json_object_get(c.req, "type"));
    c.stream_in = strcmp(type, "copy_in") == 0 && !json_object_get(c.req, "src_path");
    c.stream_out = strcmp(type, "copy_out") == 0 && !json_object_get(c.req, "dst_path");
    uv_loop_t *loop = uv_default_loop();
    hc_warden_t *w = hc_warden_new(loop, sock);
    hc_warden_connect(w, on_connect, &c);
    while (!c.done) {
        if (c.stream_in && c.connected)
            pump_stdin(&c, w);
        uv_run(loop, UV_RUN_ONCE);
    }
    json_decref(c.req);
    hc_warden_free(w);
    uv_run(loop, UV_RUN_DEFAULT);
    fflush(stdout);
    return c.code;
}
