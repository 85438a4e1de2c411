/*
 * The floor of any HTTP proxy on this machine: a relay that pairs each client connection with
 * its own backend connection and copies bytes both ways, with no HTTP at all. Whatever an HTTP
 * router adds (parsing, routing, headers) comes on top of what these spend, so their
 * requests/s bound what any router with the same socket pattern can reach here.
 *   epoll: one read and one write per segment, like hearth-router, nginx and HAProxy.
 *   uring: io_uring with registered files, multishot receives from a provided buffer ring and
 *          sends batched into one io_uring_enter per loop turn.
 * WORKERS processes share the port through SO_REUSEPORT and die with the parent.
 */
#pragma once

/* A blocking listener on 127.0.0.1:port (SO_REUSEPORT when asked); -1 with a message on error. */
int bench_listen(int port, int reuseport);
int relay_epoll(int port, int backend_port, int workers);
int relay_uring(int port, int backend_port, int workers);
