package dev.sandboxed.junit.internal.hermetic;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The class list a sandboxed JVM wrote is untrusted: only names and whole well-formed lambda lines are kept. */
class CdsListTest {
    private static final String PROXY = "@lambda-proxy java/util/logging/Level$KnownLevel apply ()Ljava/util/function/Function; "
            + "(Ljava/lang/Object;)Ljava/lang/Object; REF_invokeStatic java/util/logging/Level$KnownLevel lambda$add$3 "
            + "(Ljava/lang/String;)Ljava/util/List; (Ljava/lang/String;)Ljava/util/List;";
    private static final String FORM = "@lambda-form-invoker [LF_RESOLVE] java.lang.invoke.DirectMethodHandle$Holder invokeStatic L7_L";

    @Test
    void keepsNamesAndWellFormedLambdaLinesOnly(@TempDir Path dir) throws IOException {
        Files.write(dir.resolve("classes.lst"), List.of("# NOTE: Do not modify this file.", "java/lang/Object id: 0",
                "dev/Foo", PROXY, FORM, "@lambda-form-invoker [SPECIES_RESOLVE] java.lang.invoke.BoundMethodHandle$Species_LL",
                PROXY + " extra", PROXY.replace("REF_invokeStatic", "REF_invokeStatic -XX:Foo=1"), "@cp dev/Foo 1 2",
                "@lambda-form-invoker [LF_RESOLVE] x\ty", "@lambda-proxy ../etc/passwd", "dev/Foo", "-Xshare:off"));
        assertThat(Cds.readList(dir)).containsExactly("java/lang/Object", "dev/Foo", PROXY, FORM,
                "@lambda-form-invoker [SPECIES_RESOLVE] java.lang.invoke.BoundMethodHandle$Species_LL");
    }

    @Test
    void noListIsNothing(@TempDir Path dir) {
        assertThat(Cds.readList(dir)).isEmpty();
    }
}
