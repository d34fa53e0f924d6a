package dev.sandboxed.core.internal.egress;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

import dev.sandboxed.core.internal.host.ExecutableLocator;
import dev.sandboxed.core.internal.host.HostEnvironment;
import dev.sandboxed.core.spec.SpecException;

/**
 * Which egress tool this host has and which one a sandbox gets: pasta when installed, else slirp4netns, unless
 * {@value #TOOL_PROPERTY} names one ({@code auto}, {@code pasta}, {@code slirp4netns}). Both need to open
 * {@code /dev/net/tun}.
 */
public final class EgressTools {
    public static final String TOOL_PROPERTY = "sandboxed.egress.tool";
    static final String TUN = "/dev/net/tun";

    /** A tool and where it is. */
    public record Located(EgressTool tool, Path executable) {
    }

    private final HostEnvironment host;
    private final ExecutableLocator locator;

    public EgressTools(HostEnvironment host) {
        this.host = host;
        this.locator = new ExecutableLocator(host);
    }

    public Optional<Located> find(EgressTool tool) {
        return locator.find(tool.command()).map(path -> new Located(tool, path));
    }

    /** The tool a sandbox would use under {@code preference} (null or blank: auto), if any is installed. */
    public Optional<Located> choose(String preference) {
        String which = preference == null || preference.isBlank() ? "auto" : preference.trim().toLowerCase(Locale.ROOT);
        return switch (which) {
            case "auto" -> find(EgressTool.PASTA).or(() -> find(EgressTool.SLIRP4NETNS));
            case "pasta" -> find(EgressTool.PASTA);
            case "slirp4netns" -> find(EgressTool.SLIRP4NETNS);
            default -> throw new SpecException(TOOL_PROPERTY, "unknown egress tool '" + preference
                    + "'; allowed: auto, pasta, slirp4netns");
        };
    }

    /** Whether this user may open /dev/net/tun (udev makes it 0666; without udev it is often 0600). */
    public boolean tunUsable() {
        Path tun = host.file(TUN);
        return Files.isReadable(tun) && Files.isWritable(tun);
    }

    /**
     * The tool for an egress sandbox, checked before anything is created: one clear line naming the mode when none
     * is installed or /dev/net/tun is closed to this user.
     */
    public Located forSandbox() {
        String preference = System.getProperty(TOOL_PROPERTY);
        Located located = choose(preference).orElseThrow(() -> new SpecException("network", "egress needs "
                + (preference == null || preference.isBlank() || preference.trim().equalsIgnoreCase("auto")
                        ? "pasta (Debian: apt-get install passt) or slirp4netns (apt-get install slirp4netns), and neither"
                        : preference.trim() + " (" + TOOL_PROPERTY + "), which")
                + " is installed (looked on PATH and in /usr/bin, /bin, /usr/sbin, /sbin)"));
        if (!tunUsable()) {
            throw new SpecException("network", "egress needs " + TUN + " readable and writable by this user, and it is"
                    + " not; fix: sudo chmod 0666 " + TUN + " (udev's default mode)");
        }
        return located;
    }
}
