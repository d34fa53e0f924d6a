package dev.sandboxed.core.internal.seccomp;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Compiles a {@link SeccompPolicy} to a classic-BPF seccomp filter for a native architecture.
 * Results are cached, so every sandbox after the first with the same policy gets its program for
 * the price of a map lookup.
 */
public final class SeccompCompiler {
    private static final Map<Key, SeccompFilter> CACHE = new ConcurrentHashMap<>();

    private record Key(SeccompPolicy policy, SyscallArch arch, boolean notifyDenials, boolean notifyBind) {
    }

    private SeccompCompiler() {
    }

    /** Compiles for the JVM's native architecture. */
    public static SeccompFilter compile(SeccompPolicy policy, boolean notifyDenials) {
        return compile(policy, SyscallArch.nativeArch(), notifyDenials);
    }

    /**
     * @param arch           the native architecture, {@link SyscallArch#X86_64} or {@link SyscallArch#AARCH64}
     * @param notifyDenials  when the default action is ERRNO(n), return SECCOMP_RET_USER_NOTIF instead
     *                       so the init can record the refused syscall and answer with errno n
     */
    public static SeccompFilter compile(SeccompPolicy policy, SyscallArch arch, boolean notifyDenials) {
        return compile(policy, arch, notifyDenials, false);
    }

    /**
     * As {@link #compile(SeccompPolicy, SyscallArch, boolean)}; with {@code notifyBind}, bind(2) is sent to the
     * listener when the policy always allows it (see {@link BindBypass}), else the filter is as without.
     */
    public static SeccompFilter compile(SeccompPolicy policy, SyscallArch arch, boolean notifyDenials, boolean notifyBind) {
        if (!arch.isNative()) {
            throw new IllegalArgumentException("filters are compiled for a native architecture (X86_64, AARCH64), not " + arch);
        }
        return CACHE.computeIfAbsent(new Key(policy, arch, notifyDenials, notifyBind && BindBypass.possible(policy)),
                SeccompCompiler::compileUncached);
    }

    private static SeccompFilter compileUncached(Key key) {
        SeccompPolicy policy = key.notifyBind() ? BindBypass.notifyBind(key.policy()) : key.policy();
        boolean notify = key.notifyDenials() && policy.defaultErrno().isPresent();
        SeccompAction defaultAction = notify ? SeccompAction.USER_NOTIF : policy.defaultAction();
        FilterNode root = new FilterGraph(policy, defaultAction).build(key.arch());
        return new SeccompFilter(BpfEmitter.layOut(root), key.arch(), notify, policy.defaultErrno(), key.notifyBind());
    }
}
