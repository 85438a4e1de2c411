/* Services not written yet. */
#include "broker.h"

static int nope(const brk_conf_t *c, brk_inst_t *i, hc_err_t *err)
{
    (void)c;
    (void)i;
    return hc_err_set(err, -ENOSYS, "not implemented");
}
static int nope2(const brk_conf_t *c, const brk_inst_t *i, hc_err_t *err)
{
    (void)c;
    (void)i;
    return hc_err_set(err, -ENOSYS, "not implemented");
}
static int nope3(const brk_conf_t *c, const brk_inst_t *i, const brk_binding_t *b, json_t **x,
                 hc_err_t *err)
{
    (void)c;
    (void)i;
    (void)b;
    (void)x;
    return hc_err_set(err, -ENOSYS, "not implemented");
}
static int nope4(const brk_conf_t *c, const brk_inst_t *i, const brk_binding_t *b, hc_err_t *err)
{
    (void)c;
    (void)i;
    (void)b;
    return hc_err_set(err, -ENOSYS, "not implemented");
}
const brk_svc_ops_t brk_rabbitmq_ops = {nope, nope2, nope3, nope4, NULL};
