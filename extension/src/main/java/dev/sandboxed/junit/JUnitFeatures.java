package dev.sandboxed.junit;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * What the running JUnit Jupiter offers beyond 5.10, the oldest version supported. The extension is compiled against
 * a newer one; code that needs a newer API asks here first, so an older JUnit degrades instead of meeting a
 * NoClassDefFoundError. What is missing is logged once per JVM.
 */
final class JUnitFeatures {
    private static final System.Logger LOG = System.getLogger(JUnitFeatures.class.getName());
    private static final AtomicBoolean REPORTED = new AtomicBoolean();

    /**
     * 5.12+: constructor parameters and the constructor call of per-method test instances see the test method's
     * context (so a method-level {@code jvm = true} test gets a hollow instance here).
     */
    static final boolean INSTANTIATION_SCOPE =
            present("org.junit.jupiter.api.extension.TestInstantiationAwareExtension");
    /** 5.14+: {@code ExtensionContext.publishFile(name, MediaType, ...)}, also for a jvm = true test's files. */
    static final boolean PUBLISH_FILE = present("org.junit.jupiter.api.MediaType");

    private JUnitFeatures() {
    }

    /** Logs, once, which features this JUnit lacks. */
    static void reportMissing() {
        if (!REPORTED.compareAndSet(false, true)) {
            return;
        }
        List<String> missing = missing(INSTANTIATION_SCOPE, PUBLISH_FILE);
        if (!missing.isEmpty()) {
            LOG.log(System.Logger.Level.WARNING, "Sandboxed: JUnit Jupiter " + version() + " " + String.join("; ", missing));
        }
    }

    static List<String> missing(boolean instantiationScope, boolean publishFile) {
        List<String> missing = new ArrayList<>();
        if (!instantiationScope) {
            missing.add("is older than 5.12: a Container constructor parameter is made once per test class, "
                    + "not per test (use a method parameter or a field for one per test), and the instance of a test "
                    + "whose method (not class) says jvm = true is built in this JVM too, constructor and all");
        }
        if (!publishFile) {
            missing.add("is older than 5.14: failure diagnostics are not published as a file (the report entry "
                    + "and the suppressed SandboxDiagnostics still carry them), nor are files a jvm = true test publishes "
                    + "(a sandboxed.jvm.file report entry names each)");
        }
        return missing;
    }

    private static String version() {
        String version = ExtensionContext.class.getPackage().getImplementationVersion();
        return version == null ? "(unknown version)" : version;
    }

    private static boolean present(String className) {
        try {
            Class.forName(className, false, JUnitFeatures.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }
}
