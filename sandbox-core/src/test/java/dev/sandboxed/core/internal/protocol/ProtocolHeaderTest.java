package dev.sandboxed.core.internal.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/**
 * protocol.h is the single source of the wire protocol: every message kind, field tag, limit, layout offset and
 * mount operation it defines must have a constant of the same name and value in {@link Protocol}, and Protocol must
 * define nothing of the protocol's own that the header lacks.
 */
class ProtocolHeaderTest {
    private static final Path HEADER = Path.of("..", "native-init", "src", "main", "c", "protocol.h");
    /** Kernel numbers Java needs besides the protocol's own; they are not in the header. */
    private static final Pattern KERNEL = Pattern.compile("(CLONE|MS)_\\w+");
    private static final Pattern DEFINE = Pattern.compile("^#define\\s+([A-Z][A-Z0-9_]+)\\s+([0-9*()\\s]+)$", Pattern.MULTILINE);
    private static final Pattern ENUMERATOR = Pattern.compile("^\\s*([A-Z][A-Z0-9_]+)\\s*=\\s*([0-9]+)\\s*,", Pattern.MULTILINE);

    @Test
    void everyHeaderConstantHasItsTwinInJava() throws Exception {
        Map<String, Long> header = headerConstants();
        assertThat(header).as("constants parsed from " + HEADER).hasSizeGreaterThan(70)
                .containsEntry("K_NAMESPACES_FAILED", 17L).containsEntry("MAX_MESSAGE", 256L * 1024);
        Map<String, Long> java = javaConstants();
        header.forEach((name, value) -> assertThat(java).as("Protocol." + name).containsEntry(name, value));
    }

    @Test
    void javaDefinesNothingOfTheProtocolThatTheHeaderLacks() throws Exception {
        Map<String, Long> header = headerConstants();
        javaConstants().keySet().stream().filter(name -> !KERNEL.matcher(name).matches())
                .forEach(name -> assertThat(header).as("protocol.h defines " + name).containsKey(name));
    }

    private static Map<String, Long> headerConstants() throws IOException {
        String text = Files.readString(HEADER);
        Map<String, Long> constants = new TreeMap<>();
        Matcher define = DEFINE.matcher(text);
        while (define.find()) {
            constants.put(define.group(1), product(define.group(2)));
        }
        Matcher enumerator = ENUMERATOR.matcher(text);
        while (enumerator.find()) {
            constants.put(enumerator.group(1), Long.parseLong(enumerator.group(2)));
        }
        return constants;
    }

    /** The header's limits are numbers or products such as {@code (256 * 1024)}. */
    private static long product(String expression) {
        long value = 1;
        for (String factor : expression.replaceAll("[()\\s]", "").split("\\*")) {
            value *= Long.parseLong(factor);
        }
        return value;
    }

    private static Map<String, Long> javaConstants() throws IllegalAccessException {
        Map<String, Long> constants = new TreeMap<>();
        for (Field f : Protocol.class.getDeclaredFields()) {
            int mod = f.getModifiers();
            if (Modifier.isStatic(mod) && Modifier.isFinal(mod) && Modifier.isPublic(mod)) {
                constants.put(f.getName(), ((Number) f.get(null)).longValue());
            }
        }
        return constants;
    }
}
