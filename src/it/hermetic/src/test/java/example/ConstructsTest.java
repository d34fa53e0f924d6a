package example;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.sandboxed.junit.Sandboxed;

/**
 * Parameterized, nested and dynamic tests with {@code jvm = true} under Surefire: each invocation, nested test and
 * dynamic test runs in its own sandboxed JVM, which says so on stdout.
 */
@Sandboxed(jvm = true)
class ConstructsTest {
    String outer;

    @BeforeEach
    void setUp() {
        outer = "set up in " + ProcessHandle.current().pid();
    }

    @ParameterizedTest
    @ValueSource(strings = {"alpha", "beta"})
    void parameterized(String value) throws IOException {
        System.out.println("hermetic-it: parameter " + value + " under " + comm(1));
    }

    @TestFactory
    Stream<DynamicTest> factory() {
        return Stream.of("one", "two").map(name -> dynamicTest(name, () ->
                System.out.println("hermetic-it: dynamic " + name + " under " + comm(1))));
    }

    @Nested
    class Inner {
        @Test
        void nested() throws IOException {
            assertThat(outer).isEqualTo("set up in " + ProcessHandle.current().pid());
            System.out.println("hermetic-it: nested under " + comm(1));
        }
    }

    private static String comm(long pid) throws IOException {
        return Files.readString(Path.of("/proc/" + pid + "/comm")).trim();
    }
}
