package dev.sandboxed.core.internal.seccomp;

import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * A system call ABI as seccomp sees it: the {@code seccomp_data.arch} token plus the table that
 * numbers its system calls. x32 shares {@code AUDIT_ARCH_X86_64} with x86_64 and is told apart by
 * bit 30 of the syscall number.
 */
public enum SyscallArch {
    X86_64(0xC000003E, "SCMP_ARCH_X86_64", "amd64", false),
    X86(0x40000003, "SCMP_ARCH_X86", "x86", true),
    X32(0xC000003E, "SCMP_ARCH_X32", "x32", true),
    AARCH64(0xC00000B7, "SCMP_ARCH_AARCH64", "arm64", false),
    /** 32-bit ARM under an arm64 kernel. No table is shipped, so filters treat it as unsupported. */
    ARM(0x40000028, "SCMP_ARCH_ARM", "arm", true);

    /** x32 syscall numbers carry this bit (__X32_SYSCALL_BIT). */
    public static final int X32_SYSCALL_BIT = 0x40000000;

    private final int auditArch;
    private final String scmpName;
    private final String goArch;
    private final boolean args32Bit;

    SyscallArch(int auditArch, String scmpName, String goArch, boolean args32Bit) {
        this.auditArch = auditArch;
        this.scmpName = scmpName;
        this.goArch = goArch;
        this.args32Bit = args32Bit;
    }

    /** The AUDIT_ARCH_* value the kernel puts in {@code seccomp_data.arch}. */
    public int auditArch() {
        return auditArch;
    }

    /** The libseccomp name used in OCI profiles, for example {@code SCMP_ARCH_X86_64}. */
    public String scmpName() {
        return scmpName;
    }

    /** The name used by {@code includes.arches} in Docker profiles (Go's GOARCH spelling). */
    public String goArch() {
        return goArch;
    }

    /**
     * True for 32-bit ABIs: registers are 32 bits wide, so like libseccomp only the low half of an
     * argument is compared.
     */
    public boolean args32Bit() {
        return args32Bit;
    }

    /** True for the ABIs a filter can be built for (the kernel's own, 64-bit ABI). */
    public boolean isNative() {
        return this == X86_64 || this == AARCH64;
    }

    /** The ABIs a process on this native architecture can use besides the native one. */
    public Set<SyscallArch> secondaryAbis() {
        switch (this) {
            case X86_64: return Set.of(X86, X32);
            case AARCH64: return Set.of(ARM);
            default: return Set.of();
        }
    }

    /** Looks up an OCI name such as {@code SCMP_ARCH_X86}. */
    public static Optional<SyscallArch> fromScmpName(String name) {
        for (SyscallArch arch : values()) {
            if (arch.scmpName.equals(name)) {
                return Optional.of(arch);
            }
        }
        return Optional.empty();
    }

    /** The native architecture of this JVM, from {@code os.arch}. */
    public static SyscallArch nativeArch() {
        return fromOsArch(System.getProperty("os.arch", ""));
    }

    static SyscallArch fromOsArch(String osArch) {
        switch (osArch.toLowerCase(Locale.ROOT)) {
            case "amd64":
            case "x86_64":
                return X86_64;
            case "aarch64":
            case "arm64":
                return AARCH64;
            default:
                throw new UnsupportedOperationException("seccomp filters are not supported on os.arch=" + osArch
                        + "; supported: amd64/x86_64, aarch64");
        }
    }
}
