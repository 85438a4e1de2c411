/* The in-memory tables of instances and bindings (loop thread), mirrored in broker.db. */
#include <string.h>

#include "broker.h"

static const char *const state_names[] = {
    [BRK_ST_PROVISIONING] = "provisioning",
    [BRK_ST_READY] = "ready",
    [BRK_ST_FAILED] = "failed",
    [BRK_ST_DEPROVISIONING] = "deprovisioning",
};

const char *brk_state_name(brk_state_t st)
{
    return state_names[st];
}

int brk_state_parse(const char *s)
{
    for (size_t i = 0; i < HC_ARRAY_SIZE(state_names); i++)
        if (s && strcmp(s, state_names[i]) == 0)
            return (int)i;
    return -EINVAL;
}

brk_inst_t *brk_inst_find(brk_t *b, const char *id)
{
    for (brk_inst_t *i = b->insts; i; i = i->next)
        if (strcmp(i->id, id) == 0)
            return i;
    return NULL;
}

brk_binding_t *brk_binding_find(brk_t *b, const char *id)
{
    for (brk_binding_t *x = b->bindings; x; x = x->next)
        if (strcmp(x->id, id) == 0)
            return x;
    return NULL;
}

void brk_inst_add(brk_t *b, brk_inst_t *inst)
{
    inst->next = b->insts;
    b->insts = inst;
    b->num_insts++;
}

void brk_binding_add(brk_t *b, brk_binding_t *bd)
{
    bd->next = b->bindings;
    b->bindings = bd;
    b->num_bindings++;
}

void brk_inst_free(brk_inst_t *inst)
{
    if (!inst)
        return;
    free(inst->id);
    free(inst->org);
    free(inst->space);
    free(inst->params);
    free(inst->descr);
    free(inst);
}

void brk_binding_free(brk_binding_t *bd)
{
    if (!bd)
        return;
    free(bd->id);
    free(bd->inst_id);
    free(bd->app_guid);
    free(bd->params);
    free(bd->creds);
    free(bd);
}

void brk_inst_remove(brk_t *b, brk_inst_t *inst)
{
    for (brk_inst_t **pp = &b->insts; *pp; pp = &(*pp)->next) {
        if (*pp == inst) {
            *pp = inst->next;
            b->num_insts--;
            brk_inst_free(inst);
            return;
        }
    }
}

void brk_binding_remove(brk_t *b, brk_binding_t *bd)
{
    for (brk_binding_t **pp = &b->bindings; *pp; pp = &(*pp)->next) {
        if (*pp == bd) {
            *pp = bd->next;
            b->num_bindings--;
            brk_binding_free(bd);
            return;
        }
    }
}

static char *dup_or_null(const char *s)
{
    return s ? hc_strdup(s) : NULL;
}

brk_inst_t *brk_inst_dup(const brk_inst_t *inst)
{
    brk_inst_t *c = hc_malloc(sizeof(*c));
    *c = *inst;
    c->next = NULL;
    c->id = hc_strdup(inst->id);
    c->org = dup_or_null(inst->org);
    c->space = dup_or_null(inst->space);
    c->params = dup_or_null(inst->params);
    c->descr = dup_or_null(inst->descr);
    return c;
}

brk_binding_t *brk_binding_dup(const brk_binding_t *bd)
{
    brk_binding_t *c = hc_malloc(sizeof(*c));
    *c = *bd;
    c->next = NULL;
    c->id = hc_strdup(bd->id);
    c->inst_id = hc_strdup(bd->inst_id);
    c->app_guid = dup_or_null(bd->app_guid);
    c->params = dup_or_null(bd->params);
    c->creds = dup_or_null(bd->creds);
    return c;
}
