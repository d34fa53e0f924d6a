package dev.sandboxed.core.internal.seccomp;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

/** Reads the generated syscall tables straight from the resources, without SyscallTable. */
final class ReferenceTables {
    static final long X32_BIT = 0x40000000L;

    private ReferenceTables() {
    }

    /** Number (unsigned) to name, for "x86_64", "i386", "x32" or "aarch64". */
    static TreeMap<Long, String> load(String abi) {
        TreeMap<Long, String> table = new TreeMap<>();
        String path = "/dev/sandboxed/core/internal/seccomp/syscalls-" + abi + ".txt";
        try (BufferedReader in = new BufferedReader(new InputStreamReader(
                ReferenceTables.class.getResourceAsStream(path), StandardCharsets.US_ASCII))) {
            for (String line; (line = in.readLine()) != null; ) {
                if (!line.startsWith("#") && !line.isBlank()) {
                    String[] f = line.trim().split(" ");
                    table.put(Long.parseLong(f[1]), f[0]);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return table;
    }

    /** Numbers a newer kernel could have assigned (x32: also the gap below its 512+ block). */
    static boolean isNewer(String abi, Map<Long, String> table, long nr) {
        TreeMap<Long, String> sorted = new TreeMap<>(table);
        if (abi.equals("x32")) {
            long x32Only = X32_BIT + 512;
            long highestCommon = sorted.headMap(x32Only).lastKey();
            return (nr > highestCommon && nr < x32Only) || nr > sorted.lastKey();
        }
        return nr > sorted.lastKey();
    }
}
