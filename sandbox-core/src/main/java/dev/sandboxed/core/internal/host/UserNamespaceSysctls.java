package dev.sandboxed.core.internal.host;

import java.util.OptionalLong;

/**
 * The kernel knobs that decide whether user namespaces may be created; each is absent on kernels that lack it.
 *
 * @param maxUserNamespaces        {@code user.max_user_namespaces}; 0 disables user namespaces for everyone, root included
 * @param unprivilegedUsernsClone  {@code kernel.unprivileged_userns_clone} (Debian/Ubuntu patch); 0 blocks non-root
 * @param apparmorRestrictUserns   {@code kernel.apparmor_restrict_unprivileged_userns} (Ubuntu 23.10+); 1 blocks
 *                                 non-root processes without an AppArmor profile that allows {@code userns}
 */
public record UserNamespaceSysctls(OptionalLong maxUserNamespaces, OptionalLong unprivilegedUsernsClone,
                                   OptionalLong apparmorRestrictUserns) {

    public static final String MAX_USER_NAMESPACES = "sys/user/max_user_namespaces";
    static final String UNPRIVILEGED_USERNS_CLONE = "sys/kernel/unprivileged_userns_clone";
    static final String APPARMOR_RESTRICT = "sys/kernel/apparmor_restrict_unprivileged_userns";

    public static UserNamespaceSysctls read(HostEnvironment host) {
        return new UserNamespaceSysctls(
                HostFiles.readLong(host.proc(MAX_USER_NAMESPACES)),
                HostFiles.readLong(host.proc(UNPRIVILEGED_USERNS_CLONE)),
                HostFiles.readLong(host.proc(APPARMOR_RESTRICT)));
    }

    /**
     * Whether the knobs allow creating a user namespace. A missing {@code max_user_namespaces} means the kernel was
     * built without user namespaces; the two restriction knobs do not apply to root.
     */
    public boolean allow(boolean root) {
        if (maxUserNamespaces.isEmpty() || maxUserNamespaces.getAsLong() <= 0) {
            return false;
        }
        if (root) {
            return true;
        }
        boolean cloneBlocked = unprivilegedUsernsClone.isPresent() && unprivilegedUsernsClone.getAsLong() == 0;
        boolean apparmorBlocks = apparmorRestrictUserns.isPresent() && apparmorRestrictUserns.getAsLong() != 0;
        return !cloneBlocked && !apparmorBlocks;
    }
}
