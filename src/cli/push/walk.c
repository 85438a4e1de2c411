/* Walking and fingerprinting an app folder (see walk.h). */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "push/walk.h"

int cli_sha1_file(const char *path, char out[41], uint64_t *ret_size, hc_err_t *err)
{
    hc_autoclose int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return hc_err_set(err, -errno, "open `%s`", path);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char md[EVP_MAX_MD_SIZE], buf[65536];
    unsigned int mdlen = 0;
    uint64_t size = 0;
    int r = 0;
    if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) != 1) {
        r = hc_err_set(err, -ENOMEM, "SHA-1 unavailable");
        goto out;
    }
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            r = hc_err_set(err, -errno, "read `%s`", path);
            goto out;
        }
        if (n == 0)
            break;
        EVP_DigestUpdate(ctx, buf, (size_t)n);
        size += (uint64_t)n;
    }
    EVP_DigestFinal_ex(ctx, md, &mdlen);
    for (unsigned i = 0; i < mdlen && i < 20; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    if (ret_size)
        *ret_size = size;
out:
    EVP_MD_CTX_free(ctx);
    return r;
}

static int add(cli_files_t *fs, const char *rel, hc_err_t *err)
{
    if (fs->n >= CLI_MAX_FILES)
        return hc_err_set(err, HC_ETOOBIG, "more than %d files", CLI_MAX_FILES);
    if (fs->n == fs->cap) {
        fs->cap = fs->cap ? fs->cap * 2 : 64;
        fs->v = hc_reallocarray(fs->v, fs->cap, sizeof(*fs->v));
    }
    memset(&fs->v[fs->n], 0, sizeof(fs->v[0]));
    fs->v[fs->n].rel = hc_strdup(rel);
    return (int)fs->n++;
}

static int walk(const char *root, const char *rel, int depth, const cli_ignore_t *ig,
                cli_files_t *fs, hc_err_t *err)
{
    if (depth > CLI_MAX_DEPTH)
        return hc_err_set(err, -ELOOP, "`%s` is nested too deep", rel);
    hc_autofree char *dir = rel[0] ? hc_asprintf("%s/%s", root, rel) : hc_strdup(root);
    DIR *d = opendir(dir);
    if (!d)
        return hc_err_set(err, -errno, "open folder `%s`", dir);
    struct dirent *de;
    int r = 0;
    while (r >= 0 && (de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        hc_autofree char *sub =
            rel[0] ? hc_asprintf("%s/%s", rel, de->d_name) : hc_strdup(de->d_name);
        hc_autofree char *full = hc_asprintf("%s/%s", root, sub);
        struct stat st;
        if (lstat(full, &st) < 0) {
            r = hc_err_set(err, -errno, "stat `%s`", full);
            break;
        }
        bool is_dir = S_ISDIR(st.st_mode);
        if (cli_ignore_match(ig, sub, is_dir))
            continue;
        if (is_dir) {
            r = walk(root, sub, depth + 1, ig, fs, err);
        } else if (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)) {
            int i = add(fs, sub, err);
            if (i < 0) {
                r = i;
                break;
            }
            cli_file_t *f = &fs->v[i];
            f->mode = (int)(st.st_mode & 07777);
            f->link = S_ISLNK(st.st_mode);
            if (!f->link) {
                r = cli_sha1_file(full, f->sha1, &f->size, err);
                fs->bytes += f->size;
            }
        }
        /* Sockets, fifos and devices are not part of an app. */
    }
    closedir(d);
    return r < 0 ? r : 0;
}

static int by_rel(const void *a, const void *b)
{
    return strcmp(((const cli_file_t *)a)->rel, ((const cli_file_t *)b)->rel);
}

int cli_walk(const char *root, const cli_ignore_t *ig, cli_files_t *ret, hc_err_t *err)
{
    cli_files_t fs = {0};
    int r = walk(root, "", 0, ig, &fs, err);
    if (r < 0) {
        cli_files_release(&fs);
        return r;
    }
    if (fs.n)
        qsort(fs.v, fs.n, sizeof(*fs.v), by_rel);
    *ret = fs;
    return 0;
}

void cli_files_release(cli_files_t *fs)
{
    for (size_t i = 0; i < fs->n; i++)
        free(fs->v[i].rel);
    free(fs->v);
    memset(fs, 0, sizeof(*fs));
}
