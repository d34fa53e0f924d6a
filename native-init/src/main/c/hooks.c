#define _GNU_SOURCE
#include "hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "parse.h"

/* The tail of a failed hook's output that its failure quotes (the step holds 512 bytes in all). */
#define OUTPUT_TAIL 200

/* The state JSON each stage's hooks get: createContainer's ("creating"), then startContainer's ("created"). */
static char states[2][HOOK_STATE_MAX];
static size_t state_lens[2];

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *stage_name(uint32_t stage) {
    return stage == HOOK_STAGE_CREATE_CONTAINER ? "createContainer" : "startContainer";
}

/* The child: its own process group (killed as one on timeout), the pipes as stdio, nothing else inherited. */
static _Noreturn void exec_hook(const struct hook *h, int in, int out) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL); /* an ignored signal would stay ignored across execve */
    setpgid(0, 0);
    if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0) {
        _exit(126);
    }
    sys_close_range(3, ~0U, 0);
    execve(h->path, (char *const *)h->argv, (char *const *)h->envp);
    dprintf(2, "execute %s: %s", h->path, strerror(errno));
    _exit(errno == ENOENT ? 127 : 126);
}

/* Keeps the last OUTPUT_TAIL bytes read from `fd`. */
static void read_tail(int fd, char *tail, size_t *len) {
    char buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) {
        size_t take = (size_t)n > OUTPUT_TAIL ? OUTPUT_TAIL : (size_t)n;
        size_t keep = *len + take > OUTPUT_TAIL ? OUTPUT_TAIL - take : *len;
        memmove(tail, tail + *len - keep, keep);
        memcpy(tail + keep, buf + n - take, take);
        *len = keep + take;
    }
}

/* Printable output for the failure line: control characters (newlines too) become spaces. */
static void printable(char *text, size_t len) {
    text[len] = '\0';
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f) text[i] = ' ';
    }
}

static int run_hook(const struct hook *h, struct failure *f) {
    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC) < 0) {
        return fail(f, errno, "%s hook %s: pipe", stage_name(h->stage), h->path);
    }
    if (pipe2(out, O_CLOEXEC | O_NONBLOCK) < 0) {
        close(in[0]);
        close(in[1]);
        return fail(f, errno, "%s hook %s: pipe", stage_name(h->stage), h->path);
    }
    pid_t pid = fork();
    if (pid == 0) {
        fcntl(out[1], F_SETFL, 0);
        exec_hook(h, in[0], out[1]);
    }
    int fork_errno = errno;
    close(in[0]);
    close(out[1]);
    if (pid < 0) {
        close(in[1]);
        close(out[0]);
        return fail(f, fork_errno, "%s hook %s: fork", stage_name(h->stage), h->path);
    }
    /* The state fits the pipe's buffer; a hook that exits without reading it must not kill us with SIGPIPE. */
    void (*old)(int) = signal(SIGPIPE, SIG_IGN);
    int which = h->stage == HOOK_STAGE_CREATE_CONTAINER ? 0 : 1;
    ssize_t ignored = write(in[1], states[which], state_lens[which]);
    (void)ignored;
    signal(SIGPIPE, old);
    close(in[1]);
    char tail[OUTPUT_TAIL + 1];
    size_t tail_len = 0;
    long long deadline = now_ms() + h->timeout_ms;
    int status = 0, timed_out = 0, open_out = 1;
    /* Its pidfd turns readable when it exits, so the exit wakes us at once; without one, look every 10 ms. */
    int pidfd AUTO_CLOSE = sys_pidfd_open(pid);
    for (;;) {
        pid_t done = waitpid(pid, &status, WNOHANG);
        if (done == pid) break;
        long long left = deadline - now_ms();
        if (left <= 0) {
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            timed_out = 1;
            break;
        }
        struct pollfd p[2] = { { .fd = open_out ? out[0] : -1, .events = POLLIN }, { .fd = pidfd, .events = POLLIN } };
        long long wait_ms = pidfd >= 0 ? (left < 60000 ? left : 60000) : (left < 10 ? left : 10);
        poll(p, 2, (int)wait_ms);
        if (p[0].revents & (POLLIN | POLLHUP)) {
            read_tail(out[0], tail, &tail_len);
            if (!(p[0].revents & POLLIN)) open_out = 0;
        }
    }
    read_tail(out[0], tail, &tail_len);
    close(out[0]);
    /* What it left running is not killed by group here: once the leader is reaped, its pid (and group id) may be
     * another's. It is the sandbox's: it dies with the sandbox (its pid namespace, else its cgroup). */
    if (!timed_out && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        return 0;
    }
    printable(tail, tail_len);
    const char *output = tail_len > 0 ? "; output: " : "; no output";
    if (timed_out) {
        return fail(f, ETIMEDOUT, "%s hook %s: timed out after %u ms (killed)%s%s", stage_name(h->stage), h->path,
                    h->timeout_ms, output, tail);
    }
    if (WIFSIGNALED(status)) {
        return fail(f, 0, "%s hook %s: killed by signal %d%s%s", stage_name(h->stage), h->path, WTERMSIG(status),
                    output, tail);
    }
    return fail(f, 0, "%s hook %s: exit status %d%s%s", stage_name(h->stage), h->path, WEXITSTATUS(status), output,
                tail);
}

int hooks_any(const struct msg *create, uint32_t stage) {
    size_t pos = 0;
    struct field fl;
    while (msg_next(create, &pos, &fl)) {
        if (fl.tag == F_HOOK && fl.len >= HOOK_STRINGS && wire_get_u32(fl.data + HOOK_STAGE) == stage) return 1;
    }
    return 0;
}

int hooks_run(const struct msg *create, uint32_t stage, struct failure *f) {
    static struct hook h;
    size_t pos = 0;
    struct field fl;
    while (msg_next(create, &pos, &fl)) {
        if (fl.tag != F_HOOK) continue;
        if (parse_hook(&fl, &h, f) < 0) return -1;
        if (h.stage == stage && run_hook(&h, f) < 0) return -1;
    }
    return 0;
}

int hooks_before_pivot(int control, const struct msg *create, struct failure *f) {
    struct field fl;
    if (!(msg_find(create, F_HOOK_PAUSE, &fl) && field_u32(&fl))) {
        return 0;
    }
    static struct msg m;
    msg_init(&m, K_HOOKS_PAUSED);
    if (msg_send(control, &m, NULL, 0) < 0) {
        return fail(f, errno, "report the pause for hooks");
    }
    int rc = msg_recv(control, &m);
    if (rc <= 0) {
        _exit(125); /* Java is gone, or gave up on this sandbox (a prestart or createRuntime hook failed) */
    }
    if (msg_kind(&m) != K_HOOKS_GO) {
        msg_close_fds(&m);
        if (msg_kind(&m) == K_SHUTDOWN) _exit(125);
        return fail(f, EPROTO, "expected the go-ahead after the runtime's hooks, got message kind %u", msg_kind(&m));
    }
    msg_close_fds(&m);
    size_t pos = 0;
    int found = 0;
    while (msg_next(&m, &pos, &fl) && found < 2) {
        if (fl.tag != F_HOOK_STATE) continue;
        if (fl.len > HOOK_STATE_MAX) {
            return fail(f, E2BIG, "hooks: a state longer than %d bytes", HOOK_STATE_MAX);
        }
        memcpy(states[found], fl.data, fl.len);
        state_lens[found++] = fl.len;
    }
    if (found < 2) {
        return fail(f, EINVAL, "hooks: the go-ahead carries %d of the two states", found);
    }
    return hooks_run(create, HOOK_STAGE_CREATE_CONTAINER, f);
}
