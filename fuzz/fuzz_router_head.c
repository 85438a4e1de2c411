/*
 * libFuzzer target: the router's request and response paths. The input is a request head,
 * optionally followed by "\n@@\n" and a response head; each is parsed, looked up in a small
 * table and rewritten as the proxy would.
 */
#include <stdint.h>
#include <string.h>

#include "rtr_head.h"
#include "rtr_lb.h"
#include "rtr_table.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static rtr_table_t *fuzz_table(void)
{
    static rtr_table_t *t;
    if (t)
        return t;
    t = rtr_table_new(120000);
    static const char *uris[] = {"a.example.com", "a.example.com/api", "*.example.com", "b.test/x"};
    for (size_t i = 0; i < 4; i++) {
        rtr_reg_t reg;
        memset(&reg, 0, sizeof(reg));
        strcpy(reg.host, "127.0.0.1");
        reg.port = (uint16_t)(1000 + i);
        char *u[1] = {(char *)uris[i]};
        reg.uris = u;
        reg.nuris = 1;
        strcpy(reg.instance_id, "inst");
        strcpy(reg.app, "app");
        strcpy(reg.index, "0");
        rtr_table_register(t, &reg, 0);
    }
    return t;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    size_t req_len = size, resp_off = size;
    const char *sep = memmem(in, size, "\n@@\n", 4);
    if (sep) {
        req_len = (size_t)(sep - in);
        resp_off = req_len + 4;
    }
    hc_http_header_t hs[HC_HTTP_MAX_HEADERS];
    hc_http_req_t req;
    memset(&req, 0, sizeof(req));
    req.headers = hs;
    req.num_headers = HC_HTTP_MAX_HEADERS;
    bool is_head = false;
    if (hc_http_parse_request(in, req_len, 0, &req) > 0) {
        hc_buf_t out;
        hc_buf_init(&out, 0);
        rtr_head_in_t hin = {"127.0.0.1", "http", 1};
        rtr_head_out_t hout;
        rtr_head_request(&out, &req, &hin, &hout);
        rtr_head_backend(&out, "app", "inst", "0");
        hc_str_t app, index;
        if (hout.app_instance.len)
            rtr_app_instance_split(hout.app_instance, &app, &index);
        rtr_pool_t *p = rtr_table_lookup(fuzz_table(), req.host, req.path);
        if (p) {
            rtr_pick_t pk = {.sticky = hout.vcap_id};
            rtr_backend_t *be;
            rtr_lb_pick(p, &pk, &be);
        }
        is_head = req.method.len == 4 && memcmp(req.method.p, "HEAD", 4) == 0;
        hc_buf_release(&out);
    }
    if (resp_off < size) {
        hc_http_resp_t resp;
        memset(&resp, 0, sizeof(resp));
        resp.headers = hs;
        resp.num_headers = HC_HTTP_MAX_HEADERS;
        if (hc_http_parse_response(in + resp_off, size - resp_off, 0, is_head, &resp) > 0) {
            hc_buf_t out;
            hc_buf_init(&out, 0);
            rtr_resp_in_t rin = {"inst", "id", size & 1, size & 2, size & 4};
            rtr_head_response(&out, &resp, &rin);
            hc_buf_release(&out);
        }
    }
    return 0;
}
