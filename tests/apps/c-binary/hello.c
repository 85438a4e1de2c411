/* A C binary app (built by the test before pushing): answers "hello from C" on $PORT. */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void)
{
    const char *p = getenv("PORT");
    int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(p ? atoi(p) : 8080)};
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(s, 64) < 0)
        return 1;
    for (;;) {
        int c = accept(s, NULL, NULL);
        char buf[4096];
        if (c < 0)
            continue;
        (void)read(c, buf, sizeof(buf));
        const char *r = "HTTP/1.1 200 OK\r\nContent-Length: 13\r\nConnection: close\r\n\r\n"
                        "hello from C\n";
        (void)write(c, r, strlen(r));
        close(c);
    }
}
