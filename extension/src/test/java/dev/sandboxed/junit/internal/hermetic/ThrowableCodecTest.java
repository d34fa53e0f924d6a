package dev.sandboxed.junit.internal.hermetic;

import static org.assertj.core.api.Assertions.assertThat;

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
}
