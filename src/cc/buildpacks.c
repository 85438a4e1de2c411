/* The built-in buildpacks in detection order, read from the buildpacks directory. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buildpacks.h"
#include "hc_json.h"

#define CC_MAX_STAGE_SCRIPT ((size_t)64 * 1024)

static bool valid_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > CC_MAX_BUILDPACK_NAME || s[0] == '.')
        return false;
    for (; *s; s++)
        if (!(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z') && !(*s >= '0' && *s <= '9') &&
            *s != '_' && *s != '-' && *s != '.')
            return false;
    return true;
}

/* The words of the ORDER="..." line of dir/stage into order (a new array of strings). */
static json_t *read_order(int dfd)
{
    json_t *order = hc_json_arr();
    char buf[CC_MAX_STAGE_SCRIPT + 1];
    int fd = openat(dfd, "stage", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return order;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return order;
    buf[n] = '\0';
    for (char *line = buf; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        while (*line == ' ' || *line == '\t')
            line++;
        if (strncmp(line, "ORDER=\"", 7) == 0) {
            char *end = strchr(line + 7, '"'), *save = NULL;
            if (end)
                *end = '\0';
            for (char *w = strtok_r(line + 7, " \t", &save); w; w = strtok_r(NULL, " \t", &save))
                if (valid_name(w) && json_array_size(order) < CC_MAX_BUILDPACKS)
                    hc_json_append_str(order, w);
            break;
        }
        line = nl ? nl + 1 : NULL;
    }
    return order;
}

static bool has_detect(int dfd, const char *name)
{
    char path[300];
    struct stat st;
    int n = snprintf(path, sizeof(path), "%s/bin/detect", name);
    if (n < 0 || (size_t)n >= sizeof(path))
        return false;
    return fstatat(dfd, path, &st, 0) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int cc_buildpacks_load(const char *dir, json_t **ret, hc_err_t *err)
{
    char *names[CC_MAX_BUILDPACKS];
    size_t n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return hc_err_set(err, -errno, "open buildpacks dir `%s`", dir);
    int dfd = dirfd(d);
    struct dirent *e;
    while ((e = readdir(d)) && n < CC_MAX_BUILDPACKS)
        if (valid_name(e->d_name) && has_detect(dfd, e->d_name))
            names[n++] = hc_strdup(e->d_name);
    qsort(names, n, sizeof(names[0]), cmp_str);

    json_t *order = read_order(dfd), *out = hc_json_arr(), *w;
    size_t i;
    closedir(d);
    /* First the ones the staging driver names, in its order; then the rest by name. */
    json_array_foreach(order, i, w)
    {
        for (size_t k = 0; k < n; k++)
            if (names[k] && strcmp(names[k], json_string_value(w)) == 0) {
                json_t *o = hc_json_obj();
                hc_json_set_str(o, "name", names[k]);
                hc_json_set_int(o, "position", (int64_t)json_array_size(out) + 1);
                hc_json_append_new(out, o);
                free(names[k]);
                names[k] = NULL;
            }
    }
    for (size_t k = 0; k < n; k++) {
        if (!names[k])
            continue;
        json_t *o = hc_json_obj();
        hc_json_set_str(o, "name", names[k]);
        hc_json_set_int(o, "position", (int64_t)json_array_size(out) + 1);
        hc_json_append_new(out, o);
        free(names[k]);
    }
    json_decref(order);
    *ret = out;
    return 0;
}
