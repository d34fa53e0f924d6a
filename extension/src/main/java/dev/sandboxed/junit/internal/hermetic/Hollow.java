package dev.sandboxed.junit.internal.hermetic;

import java.lang.reflect.Constructor;
import java.lang.reflect.Method;

/**
 * Test instances made without running any of their class's constructors or field initializers: a {@code jvm = true}
 * test's instance is built in the sandboxed JVM, so the test JVM gets one that runs nothing of the test's code.
 */
public final class Hollow {
    /** sun.reflect.ReflectionFactory (module jdk.unsupported), reached reflectively: javac warns of it otherwise. */
    private static final String FACTORY = "sun.reflect.ReflectionFactory";

    private Hollow() {
    }

    /** An instance of {@code type} whose fields all hold their default values; only Object's constructor ran. */
    public static <T> T instance(Class<T> type) {
        try {
            // As deserialization does: a constructor of type that runs only Object's.
            Class<?> factoryType = Class.forName(FACTORY);
            Object factory = factoryType.getMethod("getReflectionFactory").invoke(null);
            Method serialization = factoryType.getMethod("newConstructorForSerialization", Class.class, Constructor.class);
            Constructor<?> constructor = (Constructor<?>) serialization.invoke(factory, type, Object.class.getDeclaredConstructor());
            return type.cast(constructor.newInstance());
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException("cannot make an instance of " + type.getName() + " without running its "
                    + "constructor: " + e, e);
        }
    }
}
