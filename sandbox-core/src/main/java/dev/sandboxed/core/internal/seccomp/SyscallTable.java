package dev.sandboxed.core.internal.seccomp;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
import java.util.TreeMap;

/**
 * Syscall names and numbers of one ABI, loaded from the tables that
 * {@code scripts/gen-syscall-tables.py} generates from the kernel's syscall table files
 * ({@code scripts/syscall-tables}).
 */
public final class SyscallTable {
    private static final Map<SyscallArch, SyscallTable> TABLES = Collections.synchronizedMap(new EnumMap<>(SyscallArch.class));
    /** x32 numbers 512..547 are x32-only variants; new common syscalls are added below 512. */
    private static final int X32_SPECIFIC_FIRST = SyscallArch.X32_SYSCALL_BIT + 512;

    private final SyscallArch arch;
    private final Map<String, Integer> numbersByName;
    private final TreeMap<Long, String> namesByNumber;

    private SyscallTable(SyscallArch arch, Map<String, Integer> numbersByName) {
        this.arch = arch;
        this.numbersByName = Collections.unmodifiableMap(numbersByName);
        TreeMap<Long, String> byNumber = new TreeMap<>();
        numbersByName.forEach((name, nr) -> byNumber.put(Integer.toUnsignedLong(nr), name));
        this.namesByNumber = byNumber;
    }

    /** The table for an ABI; empty for ABIs without a shipped table (32-bit ARM). */
    public static SyscallTable of(SyscallArch arch) {
        return TABLES.computeIfAbsent(arch, SyscallTable::load);
    }

    private static SyscallTable load(SyscallArch arch) {
        String resource = "syscalls-" + arch.name().toLowerCase(Locale.ROOT) + ".txt";
        if (arch == SyscallArch.X86) {
            resource = "syscalls-i386.txt";
        }
        Map<String, Integer> numbers = new LinkedHashMap<>();
        try (InputStream in = SyscallTable.class.getResourceAsStream(resource)) {
            if (in == null) {
                return new SyscallTable(arch, numbers);
            }
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
            for (String line; (line = reader.readLine()) != null; ) {
                line = line.trim();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                String[] parts = line.split("\\s+");
                numbers.put(parts[0], Integer.parseInt(parts[1]));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read syscall table " + resource, e);
        }
        return new SyscallTable(arch, numbers);
    }

    public SyscallArch arch() {
        return arch;
    }

    /** True when no table is shipped for this ABI. */
    public boolean isEmpty() {
        return numbersByName.isEmpty();
    }

    public OptionalInt numberOf(String name) {
        Integer nr = numbersByName.get(name);
        return nr == null ? OptionalInt.empty() : OptionalInt.of(nr);
    }

    /** Name for a number (as an unsigned 32-bit value), or null. */
    public String nameOf(long number) {
        return namesByNumber.get(number);
    }

    /** All syscalls, name to number. */
    public Map<String, Integer> entries() {
        return numbersByName;
    }

    /**
     * True for numbers a newer kernel may have assigned after this table was generated. Filters
     * answer those with ENOSYS so that libc falls back to an older syscall instead of failing with EPERM.
     */
    public boolean isNewerThanTable(long number) {
        if (isEmpty()) {
            return false;
        }
        if (arch == SyscallArch.X32) {
            long highestCommon = namesByNumber.headMap((long) X32_SPECIFIC_FIRST).lastKey();
            return (number > highestCommon && number < X32_SPECIFIC_FIRST) || number > namesByNumber.lastKey();
        }
        return number > namesByNumber.lastKey();
    }
}
