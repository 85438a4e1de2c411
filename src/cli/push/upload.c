/* Resource matching and the package upload (see upload.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hc_json.h"
#include "push/upload.h"
#include "push/walk.h"
#include "push/zip.h"

#define CLI_MATCH_BATCH 4000

static json_t *descriptor(const cli_file_t *f)
{
    json_t *o = hc_json_obj();
    hc_json_set_str(o, "fn", f->rel);
    hc_json_set_str(o, "sha1", f->sha1);
    hc_json_set_int(o, "size", (int64_t)f->size);
    hc_json_set_int(o, "mode", f->mode & 0777);
    return o;
}

/* Marks in have[] the files the cloud answered it has (same sha1 and size). */
static void mark_matched(const cli_files_t *fs, json_t *answer, bool *have)
{
    json_t *o;
    size_t k;
    json_array_foreach(answer, k, o)
    {
        const char *sha1 = json_string_value(json_object_get(o, "sha1"));
        json_int_t size = json_integer_value(json_object_get(o, "size"));
        if (!sha1)
            continue;
        for (size_t i = 0; i < fs->n; i++)
            if (!fs->v[i].link && !have[i] && strcmp(fs->v[i].sha1, sha1) == 0 &&
                (json_int_t)fs->v[i].size == size)
                have[i] = true;
    }
}

int cli_upload(cli_t *cli, const char *name, const char *dir, cli_upload_stats_t *ret)
{
    cli_ignore_t ig;
    cli_files_t fs = {0};
    json_t *list = hc_json_arr(), *answer = NULL, *known = hc_json_arr();
    bool *have = NULL, *want = NULL;
    char zip_path[] = "/tmp/hearth-push-XXXXXX";
    int zfd = -1, r = -1;
    hc_err_t err;
    cli_upload_stats_t st = {0};
    hc_autofree char *esc = NULL;
    hc_autofree char *path = NULL;

    cli_ignore_init(&ig);
    if (cli_ignore_load(&ig, dir, &err) < 0 || cli_walk(dir, &ig, &fs, &err) < 0) {
        cli_fail(cli, "reading the app folder `%s` failed: %s", dir, err.msg);
        cli_hint("Check --path (or `path:` in manifest.yml) and the folder's permissions.");
        goto out;
    }
    for (size_t i = 0; i < fs.n; i++)
        if (!fs.v[i].link)
            hc_json_append_new(list, descriptor(&fs.v[i]));
    have = hc_calloc(fs.n + 1, sizeof(bool));
    want = hc_calloc(fs.n + 1, sizeof(bool));
    /* Batches keep each request well under the CC's body and descriptor limits. */
    for (size_t from = 0; from < json_array_size(list); from += CLI_MATCH_BATCH) {
        json_t *batch = hc_json_arr();
        for (size_t i = from; i < json_array_size(list) && i < from + CLI_MATCH_BATCH; i++)
            json_array_append(batch, json_array_get(list, i));
        int mr = cli_api(cli, "resource matching", "PUT", "/resources", batch, &answer);
        json_decref(batch);
        if (mr < 0)
            goto out;
        mark_matched(&fs, answer, have);
        json_decref(answer);
        answer = NULL;
    }
    for (size_t i = 0; i < fs.n; i++) {
        st.files++;
        st.bytes += fs.v[i].size;
        if (have[i]) {
            st.matched++;
            hc_json_append_new(known, descriptor(&fs.v[i]));
        } else {
            want[i] = true;
            st.sent++;
            st.sent_bytes += fs.v[i].size;
        }
    }
    char total[16], sent[16];
    cli_human_size(st.bytes, total, sizeof(total));
    cli_human_size(st.sent_bytes, sent, sizeof(sent));
    printf("Uploading %s: %zu files (%s), %zu already on the cloud, %zu new (%s)\n", name, st.files,
           total, st.matched, st.sent, sent);
    fflush(stdout);

    hc_buf_t kb;
    hc_buf_init(&kb, CLI_MAX_BODY);
    hc_json_dump(known, JSON_COMPACT, &kb);
    cli_part_t parts[2] = {
        {.name = "resources", .data = kb.data, .len = kb.len, .type = "application/json"}};
    size_t nparts = 1;
    if (st.sent > 0) {
        zfd = mkstemp(zip_path);
        if (zfd < 0 || cli_zip_write(dir, &fs, want, zip_path, &err) < 0) {
            if (zfd < 0)
                hc_err_set(&err, -errno, "create a temporary file in /tmp");
            cli_fail(cli, "packing the app failed: %s", err.msg);
            hc_buf_release(&kb);
            goto out;
        }
        parts[1] = (cli_part_t){.name = "application", .file = zip_path, .type = "application/zip"};
        nparts = 2;
    }
    esc = cli_escape(name);
    path = hc_asprintf("/apps/%s/application", esc);
    cli_resp_t resp;
    int hr = cli_http(cli, "PUT", path, NULL, parts, nparts, NULL, cli->tty_err && st.sent > 0,
                      &resp, &err);
    hc_buf_release(&kb);
    if (hr < 0) {
        cli_fail(cli, "uploading %s failed: %s", name, err.msg);
        cli_hint("Check that the cloud is running and `hearth target` points at it.");
        goto out;
    }
    if (resp.status >= 400) {
        const char *d = json_string_value(json_object_get(resp.json, "description"));
        cli_fail(cli, "uploading %s failed: %s", name, d ? d : "the cloud refused the upload");
        if (resp.status == 413)
            cli_hint("The app is over the cloud's upload limit: list big files in .hearthignore.");
        cli_resp_release(&resp);
        goto out;
    }
    cli_resp_release(&resp);
    if (ret)
        *ret = st;
    r = 0;
out:
    if (zfd >= 0) {
        close(zfd);
        unlink(zip_path);
    }
    free(have);
    free(want);
    json_decref(list);
    json_decref(answer);
    json_decref(known);
    cli_files_release(&fs);
    cli_ignore_release(&ig);
    return r;
}
