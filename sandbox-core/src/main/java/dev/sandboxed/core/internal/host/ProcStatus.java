package dev.sandboxed.core.internal.host;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/** The fields of {@code /proc/self/status} ({@code Key:\tvalue} lines) that host probing needs. */
public final class ProcStatus {
    private final Map<String, String> fields;

    private ProcStatus(Map<String, String> fields) {
        this.fields = fields;
    }

    static ProcStatus parse(List<String> lines) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (String line : lines) {
            int colon = line.indexOf(':');
            if (colon > 0) {
                fields.putIfAbsent(line.substring(0, colon).strip(), line.substring(colon + 1).strip());
            }
        }
        return new ProcStatus(fields);
    }

    /** This process's status; empty fields when {@code /proc} is not mounted. */
    public static ProcStatus read(HostEnvironment host) {
        return parse(HostFiles.readLines(host.proc("self/status")));
    }

    boolean isEmpty() {
        return fields.isEmpty();
    }

    public Optional<String> field(String name) {
        return Optional.ofNullable(fields.get(name));
    }

    /**
     * One column of a whitespace-separated numeric field, for example column 1 (effective) of {@code Uid:}.
     * The {@code Uid:} and {@code Gid:} columns are real, effective, saved and file-system ids.
     */
    OptionalLong column(String name, int index) {
        Optional<String> value = field(name);
        if (value.isEmpty()) {
            return OptionalLong.empty();
        }
        String[] columns = value.get().split("\\s+");
        if (index >= columns.length) {
            return OptionalLong.empty();
        }
        try {
            return OptionalLong.of(Long.parseLong(columns[index]));
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }
}
