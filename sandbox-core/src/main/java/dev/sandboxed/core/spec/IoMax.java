package dev.sandboxed.core.spec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.regex.Pattern;

/**
 * IO bandwidth limits for one block device (v2 {@code io.max}, v1 {@code blkio.throttle.*_device}): bytes and
 * operations per second, read and write. An absent value means unlimited.
 *
 * @param device     the block device as {@code MAJOR:MINOR}, for example {@code 8:0}; see {@link #forDevice(Path)}
 * @param readBps    read bytes per second
 * @param writeBps   write bytes per second
 * @param readIops   read operations per second
 * @param writeIops  write operations per second
 */
public record IoMax(String device, OptionalLong readBps, OptionalLong writeBps, OptionalLong readIops,
        OptionalLong writeIops) {
    private static final Pattern MAJOR_MINOR = Pattern.compile("\\d{1,10}:\\d{1,10}");

    public IoMax {
        if (device == null || !MAJOR_MINOR.matcher(device).matches()) {
            throw new SpecException("limits.ioMax.device", "must be a block device as MAJOR:MINOR such as 8:0 (see "
                    + "lsblk or /sys/dev/block), got '" + device + "'");
        }
        positive("readBps", readBps);
        positive("writeBps", writeBps);
        positive("readIops", readIops);
        positive("writeIops", writeIops);
        if (readBps.isEmpty() && writeBps.isEmpty() && readIops.isEmpty() && writeIops.isEmpty()) {
            throw new SpecException("limits.ioMax", "device " + device + " has no limit; set at least one of readBps, "
                    + "writeBps, readIops, writeIops");
        }
    }

    private static void positive(String field, OptionalLong value) {
        if (value.isPresent() && value.getAsLong() < 1) {
            throw new SpecException("limits.ioMax." + field, "must be >= 1 per second, got " + value.getAsLong());
        }
    }

    /** No limit yet for {@code device} (MAJOR:MINOR); add them with the {@code with} methods. */
    public static Builder of(String device) {
        return new Builder(device);
    }

    /** The MAJOR:MINOR of a block device node such as {@code /dev/sda}. */
    public static String deviceNumbers(Path blockDevice) {
        return deviceNumbers("limits.ioMax.device", blockDevice);
    }

    /** The MAJOR:MINOR of a block device node; a SpecException for {@code field} says why it is none. */
    public static String deviceNumbers(String field, Path blockDevice) {
        try {
            if (!"block".equals(deviceType(blockDevice))) {
                throw new SpecException(field, blockDevice + " is not a block device; expected e.g. /dev/sda or 8:0");
            }
            long rdev = ((Number) Files.getAttribute(blockDevice, "unix:rdev")).longValue();
            // Linux dev_t: major in bits 8-19 and 32-43, minor in bits 0-7 and 20-39 (gnu_dev_major/minor).
            long major = ((rdev >>> 8) & 0xfff) | ((rdev >>> 32) & ~0xfffL);
            long minor = (rdev & 0xff) | ((rdev >>> 12) & ~0xffL);
            return major + ":" + minor;
        } catch (NoSuchFileException e) {
            throw new SpecException(field, "no such device: " + blockDevice + " does not exist (ENOENT)");
        } catch (IOException e) {
            throw new SpecException(field, "cannot read " + blockDevice + ": " + e);
        }
    }

    /** Limits for the block device node {@code blockDevice}, such as {@code /dev/sda}. */
    public static Builder forDevice(Path blockDevice) {
        return of(deviceNumbers(blockDevice));
    }

    private static String deviceType(Path p) throws IOException {
        int mode = (Integer) Files.getAttribute(p, "unix:mode");
        return (mode & 0170000) == 0060000 ? "block" : "other";
    }

    /** The kernel's io.max line: {@code 8:0 rbps=1048576 wiops=100} (only the limits that are set). */
    public String ioMaxLine() {
        List<String> parts = new ArrayList<>();
        parts.add(device);
        readBps.ifPresent(v -> parts.add("rbps=" + v));
        writeBps.ifPresent(v -> parts.add("wbps=" + v));
        readIops.ifPresent(v -> parts.add("riops=" + v));
        writeIops.ifPresent(v -> parts.add("wiops=" + v));
        return String.join(" ", parts);
    }

    /** Builds an {@link IoMax} one limit at a time. */
    public static final class Builder {
        private final String device;
        private OptionalLong readBps = OptionalLong.empty();
        private OptionalLong writeBps = OptionalLong.empty();
        private OptionalLong readIops = OptionalLong.empty();
        private OptionalLong writeIops = OptionalLong.empty();

        private Builder(String device) {
            this.device = device;
        }

        public Builder readBps(long v) {
            readBps = OptionalLong.of(v);
            return this;
        }

        public Builder writeBps(long v) {
            writeBps = OptionalLong.of(v);
            return this;
        }

        public Builder readIops(long v) {
            readIops = OptionalLong.of(v);
            return this;
        }

        public Builder writeIops(long v) {
            writeIops = OptionalLong.of(v);
            return this;
        }

        public IoMax build() {
            return new IoMax(device, readBps, writeBps, readIops, writeIops);
        }
    }
}
