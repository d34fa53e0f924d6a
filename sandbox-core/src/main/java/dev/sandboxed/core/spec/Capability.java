package dev.sandboxed.core.spec;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/** Linux capabilities with their kernel numbers (include/uapi/linux/capability.h). */
public enum Capability {
    CHOWN(0), DAC_OVERRIDE(1), DAC_READ_SEARCH(2), FOWNER(3), FSETID(4), KILL(5), SETGID(6), SETUID(7),
    SETPCAP(8), LINUX_IMMUTABLE(9), NET_BIND_SERVICE(10), NET_BROADCAST(11), NET_ADMIN(12), NET_RAW(13),
    IPC_LOCK(14), IPC_OWNER(15), SYS_MODULE(16), SYS_RAWIO(17), SYS_CHROOT(18), SYS_PTRACE(19), SYS_PACCT(20),
    SYS_ADMIN(21), SYS_BOOT(22), SYS_NICE(23), SYS_RESOURCE(24), SYS_TIME(25), SYS_TTY_CONFIG(26), MKNOD(27),
    LEASE(28), AUDIT_WRITE(29), AUDIT_CONTROL(30), SETFCAP(31), MAC_OVERRIDE(32), MAC_ADMIN(33), SYSLOG(34),
    WAKE_ALARM(35), BLOCK_SUSPEND(36), AUDIT_READ(37), PERFMON(38), BPF(39), CHECKPOINT_RESTORE(40);

    /** Docker's default capability set (moby oci/caps/defaults.go), granted inside the user namespace. */
    public static final Set<Capability> DOCKER_DEFAULT = Collections.unmodifiableSet(EnumSet.of(
            CHOWN, DAC_OVERRIDE, FSETID, FOWNER, MKNOD, NET_RAW, SETGID, SETUID, SETFCAP, SETPCAP,
            NET_BIND_SERVICE, SYS_CHROOT, KILL, AUDIT_WRITE));

    private final int number;

    Capability(int number) {
        this.number = number;
    }

    /** The kernel's number for this capability. */
    public int number() {
        return number;
    }

    /** The name as Docker and OCI profiles spell it, for example {@code CAP_SYS_ADMIN}. */
    public String capName() {
        return "CAP_" + name();
    }

    /** Parses {@code CAP_SYS_ADMIN}, {@code SYS_ADMIN} or {@code sys_admin}. */
    public static Capability parse(String text) {
        String name = text.trim().toUpperCase(Locale.ROOT);
        if (name.startsWith("CAP_")) {
            name = name.substring(4);
        }
        try {
            return valueOf(name);
        } catch (IllegalArgumentException e) {
            throw new SpecException("capability", "unknown capability '" + text + "'; allowed: CAP_CHOWN ... CAP_CHECKPOINT_RESTORE (see capabilities(7))");
        }
    }

    /** Bit mask of a set, as capset(2) and the bounding set use it (64 bits: two 32-bit words). */
    public static long mask(Set<Capability> caps) {
        long mask = 0;
        for (Capability c : caps) {
            mask |= 1L << c.number;
        }
        return mask;
    }
}
