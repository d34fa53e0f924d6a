package dev.sandboxed.core.internal.seccomp;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The decision a Docker/OCI profile states for one call, computed directly from the JSON with the
 * documented runc/libseccomp semantics. Deliberately shares nothing with the production parser,
 * resolver or compiler, so tests comparing the two prove something.
 */
final class ReferenceProfileEvaluator {
    static final int RET_KILL_PROCESS = 0x80000000;
    static final int RET_ALLOW = 0x7fff0000;
    static final int RET_USER_NOTIF = 0x7fc00000;
    static final int AUDIT_X86_64 = 0xC000003E;
    static final int AUDIT_I386 = 0x40000003;
    static final int AUDIT_AARCH64 = 0xC00000B7;

    /** Extra rules of the built-in default that Docker's profile lacks. */
    record Hardening(boolean refuseTerminalInjection, Set<String> arg0TruncatedTo32Bits) {
        static final Hardening NONE = new Hardening(false, Set.of());
        static final Hardening BUILT_IN_DEFAULT = new Hardening(true, Set.of("socket", "personality"));
    }

    private final JsonNode root;
    private final Set<String> caps;
    private final String nativeArch; // "x86_64" or "aarch64"
    private final int[] kernel;
    private final Hardening hardening;
    private final boolean notify;
    private final Map<String, TreeMap<Long, String>> tables = new HashMap<>();

    ReferenceProfileEvaluator(JsonNode root, Set<String> caps, String nativeArch, int[] kernel,
                              Hardening hardening, boolean notify) {
        this.root = root;
        this.caps = caps;
        this.nativeArch = nativeArch;
        this.kernel = kernel;
        this.hardening = hardening;
        this.notify = notify;
        for (String abi : List.of("x86_64", "i386", "x32", "aarch64")) {
            tables.put(abi, ReferenceTables.load(abi));
        }
    }

    static JsonNode read(Path file) {
        try {
            return new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode readResource(String resource) {
        try {
            return new ObjectMapper().readTree(ReferenceProfileEvaluator.class.getResourceAsStream(resource));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The seccomp return value the profile calls for. */
    int decide(int auditArch, long nrUnsigned, long[] args) {
        String abi = abiOf(auditArch, nrUnsigned);
        if (abi == null) {
            return RET_KILL_PROCESS;
        }
        TreeMap<Long, String> table = tables.get(abi);
        int defaultRet = action(root.get("defaultAction").asText(), root.get("defaultErrnoRet"));
        int denial = notify && (defaultRet & 0xffff0000) == 0x00050000 ? RET_USER_NOTIF : defaultRet;
        String name = table.get(nrUnsigned);
        if (name == null) {
            boolean permissiveDefault = defaultRet == RET_ALLOW || defaultRet == 0x7ffc0000;
            return ReferenceTables.isNewer(abi, table, nrUnsigned) && !permissiveDefault ? 0x00050000 | 38 : denial;
        }
        boolean narrow = abi.equals("i386") || abi.equals("x32");
        long[] a = args.clone();
        if (narrow) {
            for (int i = 0; i < 6; i++) {
                a[i] &= 0xffffffffL;
            }
        }
        if (hardening.refuseTerminalInjection() && name.equals("ioctl")) {
            long request = a[1] & 0xffffffffL;
            if (request == 0x5412 || request == 0x541C) {
                return 0x00050000 | 1;
            }
        }
        if (hardening.arg0TruncatedTo32Bits().contains(name)) {
            a[0] &= 0xffffffffL;
        }
        Integer unconditional = null;
        List<Object[]> conditional = new ArrayList<>(); // {List<JsonNode> args, Integer action}
        for (JsonNode entry : root.get("syscalls")) {
            if (!namesOf(entry).contains(name) || !applies(entry)) {
                continue;
            }
            int act = action(entry.get("action").asText(), entry.get("errnoRet"));
            if (act == defaultRet) {
                continue; // runc skips rules that repeat the default action
            }
            List<JsonNode> conds = new ArrayList<>();
            if (entry.hasNonNull("args")) {
                entry.get("args").forEach(conds::add);
            }
            if (conds.isEmpty()) {
                if (unconditional == null) {
                    unconditional = act;
                }
                continue;
            }
            if (sameIndexTwice(conds)) {
                for (JsonNode c : conds) {
                    conditional.add(new Object[] {List.of(c), act});
                }
            } else {
                conditional.add(new Object[] {conds, act});
            }
        }
        if (unconditional != null) {
            return unconditional;
        }
        for (Object[] rule : conditional) {
            @SuppressWarnings("unchecked")
            List<JsonNode> conds = (List<JsonNode>) rule[0];
            boolean all = true;
            for (JsonNode c : conds) {
                all &= holds(c, a, narrow);
            }
            if (all) {
                return (Integer) rule[1];
            }
        }
        return denial;
    }

    private String abiOf(int auditArch, long nr) {
        if (nativeArch.equals("aarch64")) {
            return auditArch == AUDIT_AARCH64 ? "aarch64" : null;
        }
        if (auditArch == AUDIT_X86_64) {
            if (nr >= ReferenceTables.X32_BIT && nr != 0xffffffffL) {
                return listsArch("SCMP_ARCH_X32") ? "x32" : null;
            }
            return "x86_64";
        }
        if (auditArch == AUDIT_I386) {
            return listsArch("SCMP_ARCH_X86") ? "i386" : null;
        }
        return null;
    }

    private boolean listsArch(String scmp) {
        String nativeScmp = nativeArch.equals("x86_64") ? "SCMP_ARCH_X86_64" : "SCMP_ARCH_AARCH64";
        for (JsonNode a : root.path("architectures")) {
            if (a.asText().equals(scmp)) {
                return true;
            }
        }
        for (JsonNode m : root.path("archMap")) {
            if (m.get("architecture").asText().equals(nativeScmp)) {
                for (JsonNode sub : m.path("subArchitectures")) {
                    if (sub.asText().equals(scmp)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    private static List<String> namesOf(JsonNode entry) {
        List<String> names = new ArrayList<>();
        entry.path("names").forEach(n -> names.add(n.asText()));
        if (entry.hasNonNull("name")) {
            names.add(entry.get("name").asText());
        }
        return names;
    }

    private boolean applies(JsonNode entry) {
        String goArch = nativeArch.equals("x86_64") ? "amd64" : "arm64";
        JsonNode ex = entry.path("excludes");
        for (JsonNode a : ex.path("arches")) {
            if (a.asText().equals(goArch)) {
                return false;
            }
        }
        for (JsonNode c : ex.path("caps")) {
            if (caps.contains(c.asText())) {
                return false;
            }
        }
        if (ex.hasNonNull("minKernel") && kernelAtLeast(ex.get("minKernel").asText())) {
            return false;
        }
        JsonNode in = entry.path("includes");
        if (in.path("arches").size() > 0) {
            boolean found = false;
            for (JsonNode a : in.path("arches")) {
                found |= a.asText().equals(goArch);
            }
            if (!found) {
                return false;
            }
        }
        for (JsonNode c : in.path("caps")) {
            if (!caps.contains(c.asText())) {
                return false;
            }
        }
        return !in.hasNonNull("minKernel") || kernelAtLeast(in.get("minKernel").asText());
    }

    private boolean kernelAtLeast(String release) {
        String[] parts = release.split("\\.");
        int major = Integer.parseInt(parts[0]);
        int minor = parts.length > 1 ? Integer.parseInt(parts[1]) : 0;
        return kernel[0] > major || (kernel[0] == major && kernel[1] >= minor);
    }

    private static boolean sameIndexTwice(List<JsonNode> conds) {
        Set<Integer> seen = new HashSet<>();
        for (JsonNode c : conds) {
            if (!seen.add(c.get("index").asInt())) {
                return true;
            }
        }
        return false;
    }

    private static boolean holds(JsonNode c, long[] args, boolean narrow) {
        BigInteger arg = new BigInteger(Long.toUnsignedString(args[c.get("index").asInt()]));
        BigInteger value = c.get("value").bigIntegerValue();
        BigInteger valueTwo = c.hasNonNull("valueTwo") ? c.get("valueTwo").bigIntegerValue() : BigInteger.ZERO;
        if (narrow) {
            BigInteger low = BigInteger.valueOf(0xffffffffL);
            value = value.and(low);
            valueTwo = valueTwo.and(low);
        }
        int cmp = arg.compareTo(value);
        switch (c.get("op").asText()) {
            case "SCMP_CMP_EQ": return cmp == 0;
            case "SCMP_CMP_NE": return cmp != 0;
            case "SCMP_CMP_LT": return cmp < 0;
            case "SCMP_CMP_LE": return cmp <= 0;
            case "SCMP_CMP_GT": return cmp > 0;
            case "SCMP_CMP_GE": return cmp >= 0;
            case "SCMP_CMP_MASKED_EQ": return arg.and(value).equals(valueTwo);
            default: throw new IllegalArgumentException(c.toString());
        }
    }

    private static int action(String name, JsonNode errnoRet) {
        switch (name) {
            case "SCMP_ACT_ALLOW": return RET_ALLOW;
            case "SCMP_ACT_ERRNO": return 0x00050000 | (errnoRet == null || errnoRet.isNull() ? 1 : errnoRet.asInt());
            case "SCMP_ACT_KILL":
            case "SCMP_ACT_KILL_THREAD": return 0;
            case "SCMP_ACT_KILL_PROCESS": return RET_KILL_PROCESS;
            case "SCMP_ACT_TRAP": return 0x00030000;
            case "SCMP_ACT_LOG": return 0x7ffc0000;
            case "SCMP_ACT_NOTIFY": return RET_USER_NOTIF;
            default: throw new IllegalArgumentException(name);
        }
    }
}
