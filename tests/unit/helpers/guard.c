/* Guard-page copies of parser inputs. */
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "guard.h"
#include "hc_base.h"

typedef struct guard_map_s {
    void *base;
    size_t size;
} guard_map_t;

static guard_map_t maps[4096];
static size_t nmaps;

const char *hc_test_guard(const void *p, size_t len)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t data_pages = (len + page - 1) / page;
    if (data_pages == 0)
        data_pages = 1;
    size_t size = (data_pages + 1) * page;
    char *base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    hc_assert(base != MAP_FAILED);
    hc_assert(mprotect(base + data_pages * page, page, PROT_NONE) == 0);
    char *dst = base + data_pages * page - len;
    if (len)
        memcpy(dst, p, len);
    hc_assert(nmaps < HC_ARRAY_SIZE(maps));
    maps[nmaps++] = (guard_map_t){base, size};
    return dst;
}

const char *hc_test_guard_str(const char *s)
{
    return hc_test_guard(s, strlen(s));
}

void hc_test_guard_free_all(void)
{
    for (size_t i = 0; i < nmaps; i++)
        munmap(maps[i].base, maps[i].size);
    nmaps = 0;
}
