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
 * cannot be made with its expected and actual values too, so they are not lost. Encoding is bounded so that a failure
 * always fits in one event line: a message or value beyond {@link #MAX_TEXT} characters is cut with a marker
 * ({@code ... [truncated: 5242880 characters in all]}), a stack trace after {@link #MAX_FRAMES} frames, and cause
 * chains, suppressed exceptions and failures beyond their caps are replaced by one stand-in named {@value #CUT}
 * saying what was cut.
 */
public final class ThrowableCodec {
    /** Deeper cause chains are cut: a cycle or a runaway chain must not stall the report. */
    private static final int MAX_DEPTH = 32;
    /** A message's or a value's string form beyond this is cut, with a marker saying how long it was. */
    static final int MAX_TEXT = 1 << 20;
    static final int MAX_FRAMES = 1024;
    /** Suppressed exceptions of one throwable, failures of one MultipleFailuresError. */
    static final int MAX_CHILDREN = 64;
    /**
     * Throwables in one encoding (the rest are counted in a stand-in), and characters in all: the event line stays
     * under EventPipe's cap even at 6 bytes a character (a control character's JSON escape).
     */
    static final int MAX_THROWABLES = 256;
    static final long MAX_CHARS = 4L << 20;
    /** The class name of what stands in for the throwables cut. */
    static final String CUT = "...";
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private ThrowableCodec() {
    }

    public static ObjectNode encode(Throwable t) {
        return encode(t, new IdentityHashMap<>(), 0, new Budget());
    }

    /** What is left to spend on one encoding. */
    private static final class Budget {
        int throwables = MAX_THROWABLES;
        long chars = MAX_CHARS;

        /** {@code s}, cut to at most {@code max} characters and what is left, with a marker; null stays null. */
        String text(String s, int max) {
            if (s == null) {
                return null;
            }
            int limit = (int) Math.max(0, Math.min(max, chars));
            if (s.length() <= limit) {
                chars -= s.length();
                return s;
            }
            if (limit > 0 && Character.isHighSurrogate(s.charAt(limit - 1))) {
                limit--;
            }
            chars -= limit;
            return s.substring(0, limit) + "... [truncated: " + s.length() + " characters in all]";
        }

        /** Whether one more throwable fits, counted if so. */
        boolean another() {
            if (throwables <= 0 || chars <= 0) {
                return false;
            }
            throwables--;
            chars -= 256; // its fields, whatever they hold
            return true;
        }
    }

    private static ObjectNode encode(Throwable t, Map<Throwable, Boolean> seen, int depth, Budget budget) {
        seen.put(t, Boolean.TRUE);
        ObjectNode n = JSON.objectNode();
        n.put("class", budget.text(t instanceof StandInException s ? s.originalClassName()
                : t instanceof StandInAssertionFailedError s ? s.originalClassName() : t.getClass().getName(), MAX_TEXT));
        if (t.getMessage() != null) {
            n.put("message", budget.text(t.getMessage(), MAX_TEXT));
        }
        ArrayNode frames = n.putArray("frames");
        StackTraceElement[] trace = t.getStackTrace();
        for (StackTraceElement e : trace) {
            if (frames.size() == MAX_FRAMES || budget.chars <= 0) {
                // a frame that says how many there were, as the JVM's own "... N more" does
                frames.addObject().put("class", CUT).put("method", "[truncated: " + trace.length + " frames in all]")
                        .put("line", -1);
                break;
            }
            ObjectNode f = frames.addObject();
            budget.chars -= 64; // the keys
            f.put("class", budget.text(e.getClassName(), MAX_TEXT));
            f.put("method", budget.text(e.getMethodName(), MAX_TEXT));
            if (e.getFileName() != null) {
                f.put("file", budget.text(e.getFileName(), MAX_TEXT));
            }
            f.put("line", e.getLineNumber());
            if (e.getModuleName() != null) {
                f.put("module", budget.text(e.getModuleName(), MAX_TEXT));
            }
            if (e.getModuleVersion() != null) {
                f.put("moduleVersion", budget.text(e.getModuleVersion(), MAX_TEXT));
            }
            if (e.getClassLoaderName() != null) {
                f.put("loader", budget.text(e.getClassLoaderName(), MAX_TEXT));
            }
        }
        if (t instanceof MultipleFailuresError m && depth < MAX_DEPTH) {
            // assertAll and AssertJ's soft assertions: made again from the heading and the failures, not the message.
            n.put("heading", budget.text(heading(m), MAX_TEXT));
            ArrayNode failures = n.putArray("failures");
            children(m.getFailures(), failures, new IdentityHashMap<>(seen), depth, budget, "failures");
        }
        if (t instanceof AssertionFailedError a) {
            n.put("assertionFailed", true);
            if (a.isExpectedDefined()) {
                n.set("expected", value(a.getExpected(), budget));
            }
            if (a.isActualDefined()) {
                n.set("actual", value(a.getActual(), budget));
            }
        }
        if (t.getCause() != null && !seen.containsKey(t.getCause())) {
            n.set("cause", depth < MAX_DEPTH && budget.another() ? encode(t.getCause(), seen, depth + 1, budget)
                    : cut("cause chain cut after " + (depth + 1) + " throwables"));
        }
        ArrayNode suppressed = n.putArray("suppressed");
        children(List.of(t.getSuppressed()), suppressed, seen, depth, budget, "suppressed exceptions");
        return n;
    }

    /**
     * Encodes those of {@code all} not seen yet into {@code into} while they fit, then one stand-in counting the
     * others.
     */
    private static void children(List<Throwable> all, ArrayNode into, Map<Throwable, Boolean> seen, int depth,
                                 Budget budget, String what) {
        int left = 0;
        for (Throwable c : all) {
            if (c == null || seen.containsKey(c)) {
                continue;
            }
            if (left == 0 && depth < MAX_DEPTH && into.size() < MAX_CHILDREN && budget.another()) {
                into.add(encode(c, seen, depth + 1, budget));
            } else {
                left++;
            }
        }
        if (left > 0) {
            into.add(cut(left + " more " + what + " not shown"));
        }
    }

    /** What stands in for throwables cut: a {@link StandInException} named {@value #CUT} once decoded. */
    private static ObjectNode cut(String message) {
        ObjectNode n = JSON.objectNode().put("class", CUT).put("message", "[truncated: " + message + "]");
        n.putArray("frames");
        n.putArray("suppressed");
        return n;
    }

    /**
     * A value: its type and its string form (a string's is itself, sent once as the value). Both are cut to
     * {@link #MAX_TEXT}; a value cut stays a string, so an IDE's diff shows what there is.
     */
    private static ObjectNode value(ValueWrapper w, Budget budget) {
        ObjectNode v = JSON.objectNode();
        Object value = w.getValue();
        String string = w.getStringRepresentation();
        if (value instanceof String s && s.equals(string)) {
            return v.put("type", "string").put("value", budget.text(s, MAX_TEXT));
        }
        v.put("string", budget.text(string, MAX_TEXT));
        if (value == null) {
            v.putNull("value");
        } else if (value instanceof String s) {
            v.put("type", "string").put("value", budget.text(s, MAX_TEXT));
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
        List<StackTraceElement> trace = new ArrayList<>();
        for (JsonNode f : n.path("frames")) { // none when missing or not an array
            trace.add( new StackTraceElement(text(f, "loader"), text(f, "module"), text(f, "moduleVersion"),
                    f.path("class").asText("?"), f.path("method").asText("?"), text(f, "file"), f.path("line").asInt(-1)));
        }
        t.setStackTrace(trace.toArray(StackTraceElement[]::new));
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

    /** The value {@code v} describes; a field missing reads as empty (a forged event must not fail the decoding). */
    private static ValueWrapper wrapper(JsonNode v) {
        JsonNode value = v.path("value");
        String string = v.has("string") ? v.path("string").asText() : value.isMissingNode() ? "null" : value.asText();
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
            // other types: their string form
            default -> object = value.isNull() || (value.isMissingNode() && !v.has("string")) ? null : string;
        }
        return ValueWrapper.create(object, string);
    }

    private static String text(JsonNode n, String field) {
        return n.hasNonNull(field) ? n.get(field).asText() : null;
    }
}
