/* OCI lifecycle hooks the init runs itself, as its children in the sandbox's namespaces. */
#ifndef SANDBOX_HOOKS_H
#define SANDBOX_HOOKS_H

#include <stdint.h>

#include "msg.h"
#include "util.h"

/*
 * Before pivot_root, with F_HOOK_PAUSE: reports K_HOOKS_PAUSED on `control` and waits for K_HOOKS_GO (Java runs the
 * runtime's prestart and createRuntime hooks meanwhile), keeps its state JSON, then runs the createContainer hooks:
 * in every namespace of the sandbox, with the host's root still the root. Nothing to do without F_HOOK_PAUSE.
 */
int hooks_before_pivot(int control, const struct msg *create, struct failure *f);

/* Runs the create message's hooks of `stage` in order; the first that fails fails with its stage, path and output. */
int hooks_run(const struct msg *create, uint32_t stage, struct failure *f);

/* Whether the create message has hooks of `stage`. */
int hooks_any(const struct msg *create, uint32_t stage);

#endif
