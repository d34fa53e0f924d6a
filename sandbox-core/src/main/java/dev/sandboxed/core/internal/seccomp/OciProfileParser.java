package dev.sandboxed.core.internal.seccomp;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.sandboxed.core.internal.host.KernelVersion;
import dev.sandboxed.core.spec.SpecException;

/**
 * Reads Docker/OCI seccomp profile JSON (the format of moby's default.json and of
 * containers/common's seccomp.json). Every rejection is a {@link SpecException} naming the JSON
 * path of the bad field and what is allowed there.
 */
public final class OciProfileParser {
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS);
    private static final String FIELD = "seccomp";
    private static final BigInteger MAX_U64 = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);

    private static final Map<String, SeccompAction.Kind> ACTIONS = new LinkedHashMap<>();
    private static final Map<String, ArgCondition.Op> OPS = new LinkedHashMap<>();

    static {
        ACTIONS.put("SCMP_ACT_ALLOW", SeccompAction.Kind.ALLOW);
        ACTIONS.put("SCMP_ACT_ERRNO", SeccompAction.Kind.ERRNO);
        ACTIONS.put("SCMP_ACT_KILL", SeccompAction.Kind.KILL_THREAD); // libseccomp: SCMP_ACT_KILL is KILL_THREAD
        ACTIONS.put("SCMP_ACT_KILL_THREAD", SeccompAction.Kind.KILL_THREAD);
        ACTIONS.put("SCMP_ACT_KILL_PROCESS", SeccompAction.Kind.KILL_PROCESS);
        ACTIONS.put("SCMP_ACT_TRAP", SeccompAction.Kind.TRAP);
        ACTIONS.put("SCMP_ACT_LOG", SeccompAction.Kind.LOG);
        ACTIONS.put("SCMP_ACT_NOTIFY", SeccompAction.Kind.USER_NOTIF);
        OPS.put("SCMP_CMP_EQ", ArgCondition.Op.EQ);
        OPS.put("SCMP_CMP_NE", ArgCondition.Op.NE);
        OPS.put("SCMP_CMP_LT", ArgCondition.Op.LT);
        OPS.put("SCMP_CMP_LE", ArgCondition.Op.LE);
        OPS.put("SCMP_CMP_GT", ArgCondition.Op.GT);
        OPS.put("SCMP_CMP_GE", ArgCondition.Op.GE);
        OPS.put("SCMP_CMP_MASKED_EQ", ArgCondition.Op.MASKED_EQ);
    }

    private final String source;

    private OciProfileParser(String source) {
        this.source = source;
    }

    /** Parses a profile file. */
    public static OciProfile parse(Path file) {
        byte[] json;
        try {
            json = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new SpecException(FIELD, "profile file " + file + " does not exist; give a path to a Docker/OCI "
                    + "seccomp JSON file or one of the built-in profiles: " + SeccompProfiles.BUILT_IN);
        } catch (IOException e) {
            throw new SpecException(FIELD, "cannot read profile file " + file + ": " + e);
        }
        return parse(file.toString(), json);
    }

    /** Parses a profile from a stream (a class-path resource, for example). */
    public static OciProfile parse(String source, InputStream in) {
        try {
            return parse(source, in.readAllBytes());
        } catch (IOException e) {
            throw new SpecException(FIELD, "cannot read profile " + source + ": " + e);
        }
    }

    static OciProfile parse(String source, byte[] json) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new SpecException(FIELD, "profile " + source + " is not valid JSON: " + e.getOriginalMessage()
                    + " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr());
        } catch (IOException e) {
            throw new SpecException(FIELD, "cannot read profile " + source + ": " + e);
        }
        if (root == null || !root.isObject()) {
            throw new SpecException(FIELD, "profile " + source + " must be a JSON object with defaultAction and syscalls");
        }
        return new OciProfileParser(source).profile(root);
    }

    private OciProfile profile(JsonNode root) {
        JsonNode defaultNode = root.get("defaultAction");
        if (defaultNode == null || defaultNode.isNull()) {
            throw error("defaultAction", "is required; allowed: " + String.join(", ", ACTIONS.keySet()));
        }
        SeccompAction defaultAction = action(defaultNode, root.get("defaultErrnoRet"), "defaultAction", "defaultErrnoRet");
        if (defaultAction.kind() == SeccompAction.Kind.USER_NOTIF) {
            throw error("defaultAction", "SCMP_ACT_NOTIFY cannot be the default action (runc refuses it too); "
                    + "report denials with notifyDenials instead");
        }
        List<String> architectures = strings(root.get("architectures"), "architectures");
        architectures.forEach(a -> checkArchName(a, "architectures"));
        Map<String, List<String>> archMap = archMap(root.get("archMap"));
        if (!architectures.isEmpty() && !archMap.isEmpty()) {
            throw error("architectures", "give either architectures or archMap, not both (as Docker requires)");
        }
        List<OciProfile.Entry> entries = new ArrayList<>();
        JsonNode syscalls = root.get("syscalls");
        if (syscalls != null && !syscalls.isNull()) {
            if (!syscalls.isArray()) {
                throw error("syscalls", "must be an array of {names, action, args, includes, excludes}");
            }
            for (int i = 0; i < syscalls.size(); i++) {
                entries.add(entry(syscalls.get(i), "syscalls[" + i + "]"));
            }
        }
        return new OciProfile(source, defaultAction, architectures, archMap, entries);
    }

    private Map<String, List<String>> archMap(JsonNode node) {
        Map<String, List<String>> map = new LinkedHashMap<>();
        if (node == null || node.isNull()) {
            return map;
        }
        if (!node.isArray()) {
            throw error("archMap", "must be an array of {architecture, subArchitectures}");
        }
        for (int i = 0; i < node.size(); i++) {
            String path = "archMap[" + i + "]";
            JsonNode item = node.get(i);
            String arch = text(item.get("architecture"), path + ".architecture");
            checkArchName(arch, path + ".architecture");
            List<String> subs = strings(item.get("subArchitectures"), path + ".subArchitectures");
            subs.forEach(s -> checkArchName(s, path + ".subArchitectures"));
            map.put(arch, subs);
        }
        return map;
    }

    private OciProfile.Entry entry(JsonNode node, String path) {
        if (!node.isObject()) {
            throw error(path, "must be an object with names and action");
        }
        List<String> names = new ArrayList<>(strings(node.get("names"), path + ".names"));
        JsonNode single = node.get("name"); // the pre-1.13 Docker format
        if (single != null && !single.isNull()) {
            names.add(text(single, path + ".name"));
        }
        if (names.isEmpty()) {
            throw error(path + ".names", "must list at least one syscall name");
        }
        JsonNode actionNode = node.get("action");
        if (actionNode == null || actionNode.isNull()) {
            throw error(path + ".action", "is required; allowed: " + String.join(", ", ACTIONS.keySet()));
        }
        SeccompAction action = action(actionNode, node.get("errnoRet"), path + ".action", path + ".errnoRet");
        List<ArgCondition> args = new ArrayList<>();
        JsonNode argsNode = node.get("args");
        if (argsNode != null && !argsNode.isNull()) {
            if (!argsNode.isArray()) {
                throw error(path + ".args", "must be an array of {index, value, valueTwo, op}");
            }
            for (int i = 0; i < argsNode.size(); i++) {
                args.add(arg(argsNode.get(i), path + ".args[" + i + "]"));
            }
        }
        return new OciProfile.Entry(names, action, args, filter(node.get("includes"), path + ".includes"),
                filter(node.get("excludes"), path + ".excludes"));
    }

    private ArgCondition arg(JsonNode node, String path) {
        if (!node.isObject()) {
            throw error(path, "must be an object {index, value, valueTwo, op}");
        }
        JsonNode indexNode = node.get("index");
        if (indexNode == null || !indexNode.canConvertToInt() || indexNode.asInt() < 0 || indexNode.asInt() > 5) {
            throw error(path + ".index", "must be a syscall argument number 0..5, got " + indexNode);
        }
        String opName = text(node.get("op"), path + ".op");
        ArgCondition.Op op = OPS.get(opName);
        if (op == null) {
            throw error(path + ".op", "unknown operator '" + opName + "'; allowed: " + String.join(", ", OPS.keySet()));
        }
        long value = u64(node.get("value"), path + ".value");
        long valueTwo = u64(node.get("valueTwo"), path + ".valueTwo");
        return new ArgCondition(indexNode.asInt(), op, value, valueTwo, ArgCondition.Width.BITS_64);
    }

    private OciProfile.Filter filter(JsonNode node, String path) {
        if (node == null || node.isNull()) {
            return OciProfile.Filter.NONE;
        }
        if (!node.isObject()) {
            throw error(path, "must be an object {caps, arches, minKernel}");
        }
        Optional<KernelVersion> minKernel = Optional.empty();
        JsonNode kernel = node.get("minKernel");
        if (kernel != null && !kernel.isNull()) {
            String text = text(kernel, path + ".minKernel");
            minKernel = KernelVersion.parse(text);
            if (minKernel.isEmpty()) {
                throw error(path + ".minKernel", "must be a kernel release such as \"4.8\", got '" + text + "'");
            }
        }
        return new OciProfile.Filter(strings(node.get("caps"), path + ".caps"),
                strings(node.get("arches"), path + ".arches"), minKernel);
    }

    private SeccompAction action(JsonNode node, JsonNode errnoNode, String path, String errnoPath) {
        String name = text(node, path);
        SeccompAction.Kind kind = ACTIONS.get(name);
        if (kind == null) {
            throw error(path, "unknown action '" + name + "'; allowed: " + String.join(", ", ACTIONS.keySet()));
        }
        if (kind != SeccompAction.Kind.ERRNO) {
            return SeccompAction.of(kind);
        }
        if (errnoNode == null || errnoNode.isNull()) {
            return SeccompAction.errno(SeccompAction.EPERM); // runc's default for SCMP_ACT_ERRNO
        }
        if (!errnoNode.canConvertToInt() || errnoNode.asInt() < 0 || errnoNode.asInt() > SeccompAction.MAX_ERRNO) {
            throw error(errnoPath, "must be an errno number 0.." + SeccompAction.MAX_ERRNO + ", got " + errnoNode);
        }
        return SeccompAction.errno(errnoNode.asInt());
    }

    private long u64(JsonNode node, String path) {
        if (node == null || node.isNull()) {
            return 0;
        }
        if (!node.isIntegralNumber() || node.bigIntegerValue().signum() < 0 || node.bigIntegerValue().compareTo(MAX_U64) > 0) {
            throw error(path, "must be an unsigned 64-bit integer, got " + node);
        }
        return node.bigIntegerValue().longValue();
    }

    private String text(JsonNode node, String path) {
        if (node == null || !node.isTextual()) {
            throw error(path, "must be a string, got " + node);
        }
        return node.asText();
    }

    private List<String> strings(JsonNode node, String path) {
        List<String> values = new ArrayList<>();
        if (node == null || node.isNull()) {
            return values;
        }
        if (!node.isArray()) {
            throw error(path, "must be an array of strings, got " + node);
        }
        for (int i = 0; i < node.size(); i++) {
            values.add(text(node.get(i), path + "[" + i + "]"));
        }
        return values;
    }

    private void checkArchName(String name, String path) {
        if (!LibseccompArches.NAMES.contains(name)) {
            throw error(path, "unknown architecture '" + name + "'; allowed: " + String.join(", ", LibseccompArches.NAMES));
        }
    }

    private SpecException error(String path, String problem) {
        return new SpecException(FIELD + "." + path, problem + " (in " + source + ")");
    }
}
