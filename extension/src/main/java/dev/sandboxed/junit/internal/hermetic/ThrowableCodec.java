package dev.sandboxed.junit.internal.hermetic;

import java.lang.reflect.Constructor;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.MultipleFailuresError;
import org.opentest4j.ValueWrapper;

import dev.sandboxed.junit.StandInAssertionFailedError;
import dev.sandboxed.junit.StandInException;

/**
 * A throwable as JSON and back: class name, message, stack trace, cause, suppressed exceptions and, for opentest4j's
 * {@link AssertionFailedError} and its subclasses, expected and actual (values of simple types exactly, others by their
 * string form, which is what an IDE's diff shows). A class the receiving JVM cannot load or make becomes a
 * {@link StandInException}, or a {@link StandInAssertionFailedError} for an {@code AssertionFailedError}: a subclass that
 * cannot be made with its expected and actual values too, so they are not lost.
 */
public final class ThrowableCodec {
    /** Deeper cause chains are cut: a cycle or a runaway chain must not stall the report. */
    private static final int MAX_DEPTH = 32;
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private ThrowableCodec() {
    }

    public static ObjectNode encode(Throwable t) {
        return encode(t, new IdentityHashMap<>(), 0);
    }

    private static ObjectNode encode(Throwable t, Map<Throwable, Boolean> seen, int depth) {
        seen.put(t, Boolean.TRUE);
        ObjectNode n = JSON.objectNode();
        n.put("class", t instanceof StandInException s ? s.originalClassName()
                : t instanceof StandInAssertionFailedError s ? s.originalClassName() : t.getClass().getName());
        if (t.getMessage() != null) {
            n.put("message", t.getMessage());
        }
        ArrayNode frames = n.putArray("frames");
        for (StackTraceElement e : t.getStackTrace()) {
            ObjectNode f = frames.addObject();
            f.put("class", e.getClassName());
            f.put("method", e.getMethodName());
            if (e.getFileName() != null) {
                f.put("file", e.getFileName());
            }
            f.put("line", e.getLineNumber());
            if (e.getModuleName() != null) {
                f.put("module", e.getModuleName());
            }
            if (e.getModuleVersion() != null) {
                f.put("moduleVersion", e.getModuleVersion());
            }
            if (e.getClassLoaderName() != null) {
                f.put("loader", e.getClassLoaderName());
            }
        }
        if (t instanceof MultipleFailuresError m && depth < MAX_DEPTH) {
            // assertAll and AssertJ's soft assertions: made again from the heading and the failures, not the message.
            n.put("heading", heading(m));
            ArrayNode failures = n.putArray("failures");
            for (Throwable f : m.getFailures()) {
                failures.add(encode(f, new IdentityHashMap<>(seen), depth + 1));
            }
        }
        if (t instanceof AssertionFailedError a) {
            n.put("assertionFailed", true);
            if (a.isExpectedDefined()) {
                n.set("expected", value(a.getExpected()));
            }
            if (a.isActualDefined()) {
                n.set("actual", value(a.getActual()));
            }
        }
        if (depth < MAX_DEPTH && t.getCause() != null && !seen.containsKey(t.getCause())) {
            n.set("cause", encode(t.getCause(), seen, depth + 1));
        }
        ArrayNode suppressed = n.putArray("suppressed");
        for (Throwable s : t.getSuppressed()) {
            if (depth < MAX_DEPTH && !seen.containsKey(s)) {
                suppressed.add(encode(s, seen, depth + 1));
            }
        }
        return n;
    }

    private static ObjectNode value(ValueWrapper w) {
        ObjectNode v = JSON.objectNode();
        Object value = w.getValue();
        v.put("string", w.getStringRepresentation());
        if (value == null) {
            v.putNull("value");
        } else if (value instanceof String s) {
            v.put("type", "string").put("value", s);
        } else if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte) {
            v.put("type", value.getClass().getSimpleName().toLowerCase(Locale.ROOT)).put("value", ((Number) value).longValue());
        } else if (value instanceof Double || value instanceof Float) {
            v.put("type", value.getClass().getSimpleName().toLowerCase(Locale.ROOT)).put("value", ((Number) value).doubleValue());
        } else if (value instanceof Boolean b) {
            v.put("type", "boolean").put("value", b);
        } else if (value instanceof Character c) {
            v.put("type", "char").put("value", c.toString());
        }
        return v;
    }

    /** The throwable {@code n} describes, made with {@code loader}'s classes where it can be. */
    public static Throwable decode(JsonNode n, ClassLoader loader) {
        String className = n.path("class").asText("java.lang.Throwable");
        String message = n.hasNonNull("message") ? n.get("message").asText() : null;
        Throwable cause = n.hasNonNull("cause") ? decode(n.get("cause"), loader) : null;
        Throwable t = make(className, message, cause, n, loader);
        ArrayNode frames = (ArrayNode) n.path("frames");
        StackTraceElement[] trace = new StackTraceElement[frames.size()];
        for (int i = 0; i < trace.length; i++) {
            JsonNode f = frames.get(i);
            trace[i] = new StackTraceElement(text(f, "loader"), text(f, "module"), text(f, "moduleVersion"),
                    f.path("class").asText("?"), f.path("method").asText("?"), text(f, "file"), f.path("line").asInt(-1));
        }
        t.setStackTrace(trace);
        if (cause != null && t.getCause() == null) {
            try {
                t.initCause(cause);
            } catch (IllegalStateException | IllegalArgumentException e) {
                // the constructor fixed the cause (to null): keep what the class decided
            }
        }
        for (JsonNode s : n.path("suppressed")) {
            t.addSuppressed(decode(s, loader));
        }
        return t;
    }

    private static Throwable make(String className, String message, Throwable cause, JsonNode n, ClassLoader loader) {
        Class<?> type;
        try {
            type = Class.forName(className, false, loader);
        } catch (ClassNotFoundException | LinkageError e) {
            return standIn(className, message, cause, n);
        }
        if (!Throwable.class.isAssignableFrom(type)) {
            return standIn(className, message, cause, n);
        }
        // Both are defined whenever the failure was made with them; undefined ones stay undefined below.
        if (AssertionFailedError.class.isAssignableFrom(type) && n.has("expected") && n.has("actual")) {
            ValueWrapper expected = wrapper(n.get("expected"));
            ValueWrapper actual = wrapper(n.get("actual"));
            if (type == AssertionFailedError.class) {
                return new AssertionFailedError(message, expected, actual, cause);
            }
            Throwable made = withValues(type, message, expected, actual, cause);
            return made != null ? made : new StandInAssertionFailedError(className, message, expected, actual, cause);
        }
        if (MultipleFailuresError.class.isAssignableFrom(type) && n.hasNonNull("heading")) {
            Throwable multiple = multiple(type, n, loader);
            if (multiple != null) {
                return multiple;
            }
        }
        Throwable made = construct(type, message, cause);
        return made != null ? made : standIn(className, message, cause, n);
    }

    /** What stands in for {@code className}: still an AssertionFailedError, with its values, if it was one. */
    private static Throwable standIn(String className, String message, Throwable cause, JsonNode n) {
        if (!n.path("assertionFailed").asBoolean(false)) {
            return new StandInException(className, message);
        }
        if (n.has("expected") && n.has("actual")) {
            return new StandInAssertionFailedError(className, message, wrapper(n.get("expected")), wrapper(n.get("actual")),
                    cause);
        }
        return new StandInAssertionFailedError(className, message, cause);
    }

    /**
     * A subclass of AssertionFailedError made with a public (String, Object, Object[, Throwable]) constructor that
     * passes the message and values on as they are (it gets the values wrapped, which AssertionFailedError keeps);
     * else null.
     */
    private static Throwable withValues(Class<?> type, String message, ValueWrapper expected, ValueWrapper actual,
                                        Throwable cause) {
        Object[][] attempts = {{message, expected, actual, cause}, {message, expected, actual}};
        Class<?>[][] signatures = {{String.class, Object.class, Object.class, Throwable.class},
                {String.class, Object.class, Object.class}};
        for (int i = 0; i < attempts.length; i++) {
            try {
                Object made = type.getConstructor(signatures[i]).newInstance(attempts[i]);
                if (made instanceof AssertionFailedError a && Objects.equals(a.getMessage(), message)
                        && a.isExpectedDefined() && a.isActualDefined()
                        && Objects.equals(a.getExpected().getStringRepresentation(), expected.getStringRepresentation())
                        && Objects.equals(a.getActual().getStringRepresentation(), actual.getStringRepresentation())) {
                    return a;
                }
            } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
                // try the next constructor
            }
        }
        return null;
    }

    /**
     * The heading a MultipleFailuresError was made with: its message's first line without the "(N failures)" it adds
     * (getHeading() is newer than the opentest4j of JUnit 5.10).
     */
    static String heading(MultipleFailuresError m) {
        String first = m.getMessage() == null ? "" : m.getMessage().strip().lines().findFirst().orElse("");
        return first.replaceFirst(" ?\\(\\d+ failures?\\)$", "");
    }

    /** A MultipleFailuresError (or subclass) made with its (String heading, List failures) constructor; else null. */
    private static Throwable multiple(Class<?> type, JsonNode n, ClassLoader loader) {
        List<Throwable> failures = new ArrayList<>();
        for (JsonNode f : n.path("failures")) {
            failures.add(decode(f, loader));
        }
        try {
            return (Throwable) type.getConstructor(String.class, List.class).newInstance(n.get("heading").asText(), failures);
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            return null;
        }
    }

    /** The throwable made with a public (String, Throwable), (String) or () constructor that keeps the message. */
    private static Throwable construct(Class<?> type, String message, Throwable cause) {
        Object[][] attempts = {{message, cause}, {message}, {}};
        Class<?>[][] signatures = {{String.class, Throwable.class}, {String.class}, {}};
        for (int i = 0; i < attempts.length; i++) {
            if (i == 2 && message != null) {
                break;
            }
            try {
                Constructor<?> c = type.getConstructor(signatures[i]);
                Throwable t = (Throwable) c.newInstance(attempts[i]);
                if (Objects.equals(t.getMessage(), message)) {
                    return t;
                }
            } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
                // try the next constructor
            }
        }
        return null;
    }

    private static ValueWrapper wrapper(JsonNode v) {
        String string = v.path("string").asText();
        JsonNode value = v.get("value");
        Object object;
        switch (v.path("type").asText("")) {
            case "string" -> object = value.asText();
            case "long" -> object = value.asLong();
            case "integer" -> object = value.asInt();
            case "short" -> object = (short) value.asInt();
            case "byte" -> object = (byte) value.asInt();
            case "double" -> object = value.asDouble();
            case "float" -> object = (float) value.asDouble();
            case "boolean" -> object = value.asBoolean();
            case "char" -> object = value.asText().isEmpty() ? '\0' : value.asText().charAt(0);
            default -> object = value != null && value.isNull() ? null : string; // other types: their string form
        }
        return ValueWrapper.create(object, string);
    }

    private static String text(JsonNode n, String field) {
        return n.hasNonNull(field) ? n.get(field).asText() : null;
    }
}
