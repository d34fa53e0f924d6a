package dev.sandboxed.core.internal.cgroup;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Reading, writing and parsing cgroup interface files. Formats follow the kernel's cgroup-v2.rst
 * ("Interface Files: Conventions") and the v1 controller documentation.
 */
final class CgroupFiles {
    private final CgroupFs fs;

    CgroupFiles(CgroupFs fs) {
        this.fs = fs;
    }

    CgroupFs fs() {
        return fs;
    }

    /** Writes a limit; {@code step} names what was being done for the error message. */
    void write(Path file, String value, String step) {
        try {
            fs.write(file, value);
        } catch (IOException e) {
            throw CgroupException.of(step + " (write '" + value.strip() + "')", file, e);
        }
    }

    String read(Path file, String step) {
        try {
            return fs.read(file);
        } catch (IOException e) {
            throw CgroupException.of(step, file, e);
        }
    }

    /** The file's content, or empty when it does not exist or cannot be read (stats are best effort). */
    Optional<String> readIfPresent(Path file) {
        try {
            return Optional.of(fs.read(file));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** A single-value file ("N" or "max"); "max" maps to Long.MAX_VALUE. */
    OptionalLong readLong(Path file) {
        return readIfPresent(file).map(CgroupFiles::parseSingle).orElse(OptionalLong.empty());
    }

    /** Flat-keyed file ("key value" lines, e.g. memory.events, cpu.stat), empty map when absent. */
    Map<String, Long> readFlatKeyed(Path file) {
        return readIfPresent(file).map(CgroupFiles::parseFlatKeyed).orElse(Map.of());
    }

    static OptionalLong parseSingle(String content) {
        String s = content.strip();
        if (s.isEmpty()) {
            return OptionalLong.empty();
        }
        if (s.equals("max")) {
            return OptionalLong.of(Long.MAX_VALUE);
        }
        try {
            return OptionalLong.of(Long.parseLong(s));
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    /**
     * Parses "key value" lines; lines whose value is not a number (or "max"), or that are not two words, are ignored.
     * Split by hand: a regex split compiles its pattern on every call, and every sandbox's usage reads memory.stat.
     */
    static Map<String, Long> parseFlatKeyed(String content) {
        Map<String, Long> out = new LinkedHashMap<>();
        for (String line : content.split("\n")) {
            String words = line.strip();
            int gap = firstSpace(words, 0);
            int value = gap;
            while (value < words.length() && isSpace(words.charAt(value))) {
                value++;
            }
            if (gap == words.length() || firstSpace(words, value) != words.length()) {
                continue; // one word, or more than two
            }
            OptionalLong v = parseSingle(words.substring(value));
            if (v.isPresent()) {
                out.put(words.substring(0, gap), v.getAsLong());
            }
        }
        return out;
    }

    private static int firstSpace(String s, int from) {
        int i = from;
        while (i < s.length() && !isSpace(s.charAt(i))) {
            i++;
        }
        return i;
    }

    /** Regex's \s: what separates a key from its value. */
    private static boolean isSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == 0x0B || c == '\f' || c == '\r';
    }

    /** Pids listed in a cgroup.procs file; empty when the cgroup is gone. */
    List<Long> pids(Path procsFile) {
        List<Long> out = new ArrayList<>();
        readIfPresent(procsFile).ifPresent(s -> {
            for (String line : s.split("\n")) {
                String t = line.strip();
                if (!t.isEmpty()) {
                    out.add(Long.parseLong(t));
                }
            }
        });
        return out;
    }
}
