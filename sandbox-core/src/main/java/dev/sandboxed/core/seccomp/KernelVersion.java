package dev.sandboxed.core.seccomp;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A kernel release as {@code includes.minKernel} compares it: major.minor.patch, flavour ignored. */
public record KernelVersion(int major, int minor, int patch) implements Comparable<KernelVersion> {
    private static final Pattern RELEASE = Pattern.compile("^(\\d+)\\.(\\d+)(?:\\.(\\d+))?");

    /** Parses "4.8", "5.10.0" or "6.1.0-27-amd64"; empty for text that is not a release. */
    public static java.util.Optional<KernelVersion> parse(String text) {
        Matcher m = RELEASE.matcher(text.trim());
        if (!m.find()) {
            return java.util.Optional.empty();
        }
        try {
            int patch = m.group(3) == null ? 0 : Integer.parseInt(m.group(3));
            return java.util.Optional.of(new KernelVersion(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), patch));
        } catch (NumberFormatException e) {
            return java.util.Optional.empty();
        }
    }

    /** The running kernel, from /proc/sys/kernel/osrelease or else {@code os.version}. */
    public static KernelVersion host() {
        String release = System.getProperty("os.version", "");
        try {
            release = Files.readString(Path.of("/proc/sys/kernel/osrelease"));
        } catch (IOException | SecurityException e) {
            // not Linux or /proc is hidden: os.version carries the same release on Linux JVMs
        }
        return parse(release).orElseThrow(() -> new IllegalStateException("cannot tell the kernel version"));
    }

    @Override
    public int compareTo(KernelVersion o) {
        int c = Integer.compare(major, o.major);
        if (c == 0) {
            c = Integer.compare(minor, o.minor);
        }
        return c != 0 ? c : Integer.compare(patch, o.patch);
    }

    @Override
    public String toString() {
        return major + "." + minor + "." + patch;
    }
}
