/*
 * fuzz_bus_proto - the NATS client protocol parser (src/bus/proto.c) on arbitrary bytes, fed in
 * pieces whose sizes come from the input, so split operations are explored as well. Each piece
 * is an exact-size heap copy: ASan catches any read outside it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hc_base.h"
#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bus_parser_t p;
    bus_op_t op;

    if (size < 2)
        return 0;
    /* first byte: flags and limits; second: piece size seed */
    uint8_t flags = data[0];
    size_t piece = (size_t)data[1] % 64 + 1;
    data += 2;
    size -= 2;
    bus_parser_init(&p, (flags & 1) ? 64 : 4096, (flags & 2) ? 16 : 1024 * 1024);
    p.headers = (flags & 4) != 0;
    p.need_connect = (flags & 8) != 0;
    size_t off = 0;
    while (off < size) {
        size_t n = (flags & 16) ? size - off : HC_MIN(piece, size - off);
        char *buf = malloc(n ? n : 1);
        memcpy(buf, data + off, n);
        size_t pos = 0;
        int r = 0;
        while (pos < n) {
            r = bus_parse(&p, buf, n, &pos, &op);
            if (r <= 0)
                break;
            /* every slice must be readable; touch them so ASan checks */
            volatile char sink = 0;
            for (size_t i = 0; i < op.subject.len; i++)
                sink ^= op.subject.p[i];
            for (size_t i = 0; i < op.reply.len; i++)
                sink ^= op.reply.p[i];
            for (size_t i = 0; i < op.sid.len; i++)
                sink ^= op.sid.p[i];
            for (size_t i = 0; i < op.queue.len; i++)
                sink ^= op.queue.p[i];
            for (size_t i = 0; i < op.arg.len; i++)
                sink ^= op.arg.p[i];
            if (op.kind == BUS_OP_PUB || op.kind == BUS_OP_HPUB) {
                hc_assert(op.hdr_len <= op.size);
                for (size_t i = 0; i < op.size; i++)
                    sink ^= op.payload[i];
            }
            (void)sink;
            if (op.kind == BUS_OP_CONNECT)
                p.need_connect = false;
        }
        free(buf);
        if (r < 0)
            break;
        hc_assert(pos == n);
        off += n;
        piece = piece * 7 % 61 + 1;
    }
    bus_parser_release(&p);
    return 0;
}
