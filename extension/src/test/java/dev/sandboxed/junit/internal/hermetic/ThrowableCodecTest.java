package dev.sandboxed.junit.internal.hermetic;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;

import dev.sandboxed.junit.StandInAssertionFailedError;
import dev.sandboxed.junit.StandInException;

/** Throwables through the codec as a sandboxed JVM's failures come back: type, message and expected/actual kept. */
class ThrowableCodecTest {
    /** A user's own subclass, made the way opentest4j's is. */
    public static class DiffError extends AssertionFailedError {
        private static final long serialVersionUID = 1L;

        public DiffError(String message, Object expected, Object actual) {
            super(message, expected, actual);
        }
    }

    /** A subclass that cannot be made with its values from outside: only its message is taken. */
    public static class FixedValuesError extends AssertionFailedError {
        private static final long serialVersionUID = 1L;

        public FixedValuesError(String message) {
            super(message, "fixed", "values");
        }
    }

    private static Throwable roundTrip(Throwable t) {
        return ThrowableCodec.decode(ThrowableCodec.encode(t), ThrowableCodecTest.class.getClassLoader());
    }

    @Test
    void subclassKeepsItsTypeAndValues() {
        Throwable back = roundTrip(new DiffError("differs", "expected text", 42));
        assertThat(back).isExactlyInstanceOf(DiffError.class).hasMessage("differs");
        AssertionFailedError a = (AssertionFailedError) back;
        assertThat(a.getExpected().getValue()).isEqualTo("expected text");
        assertThat(a.getActual().getValue()).isEqualTo(42);
    }

    @Test
    void subclassThatCannotTakeTheValuesBecomesAStandInWithThem() {
        // Made with its only constructor, it would have "fixed" and "values": not what the child's had.
        FixedValuesError original = new FixedValuesError("differs");
        ObjectNode json = ThrowableCodec.encode(original);
        ((ObjectNode) json.get("expected")).put("value", "other").put("string", "other");
        Throwable back = ThrowableCodec.decode(json, ThrowableCodecTest.class.getClassLoader());
        assertThat(back).isExactlyInstanceOf(StandInAssertionFailedError.class).hasMessage("differs");
        StandInAssertionFailedError s = (StandInAssertionFailedError) back;
        assertThat(s.originalClassName()).isEqualTo(FixedValuesError.class.getName());
        assertThat(s.getExpected().getValue()).isEqualTo("other");
        assertThat(s.getActual().getValue()).isEqualTo("values");
        assertThat(s).hasToString(FixedValuesError.class.getName() + ": differs");
    }

    @Test
    void unloadableSubclassBecomesAStandInAssertionFailedErrorAndTravelsAgainUnderItsName() {
        ObjectNode json = ThrowableCodec.encode(new AssertionFailedError("differs", 1L, 2L, new IllegalStateException("why")));
        json.put("class", "com.example.GoneError");
        Throwable back = ThrowableCodec.decode(json, ThrowableCodecTest.class.getClassLoader());
        assertThat(back).isExactlyInstanceOf(StandInAssertionFailedError.class).hasMessage("differs")
                .hasCauseExactlyInstanceOf(IllegalStateException.class);
        AssertionFailedError a = (AssertionFailedError) back;
        assertThat(a.getExpected().getValue()).isEqualTo(1L);
        assertThat(a.getActual().getValue()).isEqualTo(2L);
        assertThat(ThrowableCodec.encode(back).get("class").asText()).isEqualTo("com.example.GoneError");
    }

    @Test
    void unloadableSubclassWithoutValuesIsStillAnAssertionFailedError() {
        ObjectNode json = ThrowableCodec.encode(new AssertionFailedError("plain"));
        json.put("class", "com.example.GoneError");
        Throwable back = ThrowableCodec.decode(json, ThrowableCodecTest.class.getClassLoader());
        assertThat(back).isExactlyInstanceOf(StandInAssertionFailedError.class).hasMessage("plain");
        assertThat(((AssertionFailedError) back).isExpectedDefined()).isFalse();
    }

    @Test
    void otherUnloadableExceptionsStayStandInExceptions() {
        ObjectNode json = ThrowableCodec.encode(new IllegalStateException("gone"));
        json.put("class", "com.example.GoneException");
        assertThat(ThrowableCodec.decode(json, ThrowableCodecTest.class.getClassLoader()))
                .isExactlyInstanceOf(StandInException.class).hasMessage("gone");
    }

    @Test
    void hugeMessagesAndValuesAreCutWithAMarkerAndKeepTheirType() throws Exception {
        String big = "m".repeat(5 << 20);
        List<String> list = List.of("x".repeat(5 << 20));
        ObjectNode json = ThrowableCodec.encode(new AssertionFailedError(big, big + "e", list, null));
        byte[] line = Json.line(json);
        assertThat(line.length).as("event bytes").isLessThan(4 << 20);

        Throwable back = ThrowableCodec.decode(Json.readTree(line), ThrowableCodecTest.class.getClassLoader());
        String cut = "... [truncated: " + (5 << 20) + " characters in all]";
        assertThat(back).isExactlyInstanceOf(AssertionFailedError.class);
        assertThat(back.getMessage()).startsWith("mmm").endsWith(cut).hasSize(ThrowableCodec.MAX_TEXT + cut.length());
        AssertionFailedError a = (AssertionFailedError) back;
        assertThat(a.getExpected().getValue()).isInstanceOf(String.class);
        assertThat((String) a.getExpected().getValue()).startsWith("mmm")
                .endsWith("... [truncated: " + ((5 << 20) + 1) + " characters in all]");
        // not a string: its string form, cut the same way
        assertThat(a.getActual().getStringRepresentation()).startsWith("[xxx")
                .endsWith("... [truncated: " + ((5 << 20) + 2) + " characters in all]");
    }

    @Test
    void smallValuesAndMessagesAreNotCut() {
        AssertionFailedError a = (AssertionFailedError) roundTrip(new AssertionFailedError("short", "a".repeat(1000), null));
        assertThat(a).hasMessage("short");
        assertThat(a.getExpected().getValue()).isEqualTo("a".repeat(1000));
        assertThat(a.getExpected().getStringRepresentation()).isEqualTo("a".repeat(1000));
        assertThat(a.getActual().getValue()).isNull();
    }

    @Test
    void deepCauseChainsWideSuppressionAndLongTracesAreBounded() throws Exception {
        Throwable chain = new IllegalStateException("root");
        for (int i = 0; i < 10_000; i++) {
            chain = new IllegalStateException("level " + i, chain);
        }
        Throwable wide = new IllegalStateException("wide", chain);
        for (int i = 0; i < 1000; i++) {
            wide.addSuppressed(new IllegalArgumentException("suppressed " + i, chain));
        }
        StackTraceElement[] trace = new StackTraceElement[5000];
        Arrays.setAll(trace, i -> new StackTraceElement("C" + i, "m", "C.java", i));
        wide.setStackTrace(trace);

        byte[] line = Json.line(ThrowableCodec.encode(wide));
        assertThat(line.length).as("event bytes").isLessThan(8 << 20);

        Throwable back = ThrowableCodec.decode(Json.readTree(line), ThrowableCodecTest.class.getClassLoader());
        assertThat(back.getStackTrace()).hasSize(ThrowableCodec.MAX_FRAMES + 1);
        assertThat(back.getStackTrace()[ThrowableCodec.MAX_FRAMES].getMethodName()).isEqualTo("[truncated: 5000 frames in all]");
        int depth = 0;
        Throwable last = back;
        for (Throwable c = back; c != null; c = c.getCause()) {
            depth++;
            last = c;
        }
        assertThat(depth).isLessThanOrEqualTo(34);
        assertThat(last).isExactlyInstanceOf(StandInException.class);
        assertThat(((StandInException) last).originalClassName()).isEqualTo(ThrowableCodec.CUT);
        assertThat(last.getMessage()).startsWith("[truncated: cause chain cut after");
        Throwable[] suppressed = back.getSuppressed();
        assertThat(suppressed).hasSizeLessThanOrEqualTo(ThrowableCodec.MAX_CHILDREN + 1);
        assertThat(suppressed[suppressed.length - 1]).hasMessageEndingWith("more suppressed exceptions not shown]");
    }

    @Test
    void forgedEventsWithFieldsMissingDecodeToSomethingSensible() throws Exception {
        ClassLoader loader = ThrowableCodecTest.class.getClassLoader();
        Throwable bare = ThrowableCodec.decode(Json.readTree("{}"), loader);
        assertThat(bare.getStackTrace()).isEmpty();
        assertThat(ThrowableCodec.decode(Json.readTree("{\"class\":\"java.lang.IllegalStateException\",\"frames\":7,"
                + "\"suppressed\":{},\"cause\":3}"), loader)).isExactlyInstanceOf(IllegalStateException.class);
        Throwable values = ThrowableCodec.decode(Json.readTree("{\"class\":\"org.opentest4j.AssertionFailedError\","
                + "\"message\":\"m\",\"assertionFailed\":true,\"expected\":{\"type\":\"string\"},\"actual\":{}}"), loader);
        AssertionFailedError a = (AssertionFailedError) values;
        assertThat(a).hasMessage("m");
        assertThat(a.getExpected().getValue()).isEqualTo("");
        assertThat(a.getActual().getStringRepresentation()).isEqualTo("null");
        assertThat(a.getActual().getValue()).isNull();
    }
}
