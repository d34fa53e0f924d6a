package dev.sandboxed.core.internal.host;

import java.nio.file.Path;
import java.util.Comparator;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Linux kernel release such as {@code 6.8.0-45-generic}, compared by major, minor and patch only
 * (distribution suffixes say nothing about which syscalls exist).
 *
 * @param major   for example 6
 * @param minor   for example 8
 * @param patch   for example 0; 0 when the release has no patch number
 * @param release the full release string as the kernel reports it
 */
public record KernelVersion(int major, int minor, int patch, String release) implements Comparable<KernelVersion> {
    private static final Pattern RELEASE = Pattern.compile("^(\\d+)\\.(\\d+)(?:\\.(\\d+))?");
    private static final Comparator<KernelVersion> ORDER = Comparator.comparingInt(KernelVersion::major)
            .thenComparingInt(KernelVersion::minor)
            .thenComparingInt(KernelVersion::patch);

    /** A release given by its numbers only, e.g. a profile's {@code minKernel}. */
    public KernelVersion(int major, int minor, int patch) {
        this(major, minor, patch, major + "." + minor + "." + patch);
    }

    /** Parses a release string; empty when it does not start with {@code major.minor}. */
    public static Optional<KernelVersion> parse(String release) {
        if (release == null) {
            return Optional.empty();
        }
        String trimmed = release.strip();
        Matcher m = RELEASE.matcher(trimmed);
        if (!m.find()) {
            return Optional.empty();
        }
        try {
            int patch = m.group(3) == null ? 0 : Integer.parseInt(m.group(3));
            return Optional.of(new KernelVersion(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), patch, trimmed));
        } catch (NumberFormatException e) {
            return Optional.empty(); // digits too long for an int: not a real kernel release
        }
    }

    /** The running kernel, from {@code /proc/sys/kernel/osrelease}. */
    public static Optional<KernelVersion> read(HostEnvironment host) {
        return HostFiles.readTrimmed(host.proc("sys/kernel/osrelease")).flatMap(KernelVersion::parse);
    }

    /**
     * The running kernel for code without a {@link HostEnvironment}: /proc/sys/kernel/osrelease, else the
     * {@code os.version} property (the same release on Linux JVMs).
     */
    public static KernelVersion host() {
        String release = HostFiles.readTrimmed(Path.of("/proc/sys/kernel/osrelease"))
                .orElseGet(() -> System.getProperty("os.version", "").strip()); // /proc hidden
        return parse(release).orElseThrow(() -> new IllegalStateException("cannot tell the kernel version from '"
                + release + "'"));
    }

    public boolean atLeast(int wantedMajor, int wantedMinor) {
        return major > wantedMajor || (major == wantedMajor && minor >= wantedMinor);
    }

    @Override
    public int compareTo(KernelVersion other) {
        return ORDER.compare(this, other);
    }

    /** Equal when the numbers are: the distribution's suffix does not change what the kernel offers. */
    @Override
    public boolean equals(Object o) {
        return o instanceof KernelVersion k && compareTo(k) == 0;
    }

    @Override
    public int hashCode() {
        return (major * 1000 + minor) * 1000 + patch;
    }

    @Override
    public String toString() {
        return release;
    }
}
