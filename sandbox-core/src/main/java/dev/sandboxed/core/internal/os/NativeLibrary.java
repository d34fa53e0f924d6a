package dev.sandboxed.core.internal.os;

import java.lang.reflect.InvocationTargetException;

/**
 * Picks the {@link LibC} implementation once, when {@link Native} loads: the JDK's foreign function API on Java 22
 * and newer when the jar holds it ({@code FfmLibC} is compiled only by a JDK 22+ build), jnr-ffi otherwise. Both are
 * loaded by name, so that the one not chosen is never loaded: on 22+ no jnr-ffi or jffi class (and no JNI library,
 * no {@code sun.misc.Unsafe}) is touched.
 */
final class NativeLibrary {
    /** {@code auto} (the default), {@code ffm} or {@code jnr}: for comparing the two, and a way back if FFM fails. */
    static final String PROPERTY = "sandboxed.ffi";
    private static final String FFM = "dev.sandboxed.core.internal.os.FfmLibC";
    private static final String JNR = "dev.sandboxed.core.internal.os.JnrLibC";
    private static final int FFM_FEATURE = 22;

    private NativeLibrary() {
    }

    static LibC load() {
        String choice = System.getProperty(PROPERTY, "auto").trim();
        String implementation = switch (choice) {
            case "auto", "" -> ffmAvailable() ? FFM : JNR;
            case "jnr" -> JNR;
            case "ffm" -> {
                if (!ffmAvailable()) {
                    throw new IllegalStateException(PROPERTY + "=ffm needs Java " + FFM_FEATURE + " or newer and a "
                            + "sandboxed-core jar built by JDK " + FFM_FEATURE + "+; this is Java "
                            + Runtime.version().feature() + (Runtime.version().feature() >= FFM_FEATURE
                                    ? " and the jar has no FFM implementation" : ""));
                }
                yield FFM;
            }
            default -> throw new IllegalArgumentException(PROPERTY + " is '" + choice + "'; allowed: auto, ffm, jnr");
        };
        try {
            return (LibC) Class.forName(implementation, true, NativeLibrary.class.getClassLoader())
                    .getDeclaredConstructor().newInstance();
        } catch (InvocationTargetException e) {
            throw new IllegalStateException("cannot load libc through " + implementation + ": " + e.getCause(),
                    e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot load libc through " + implementation + ": " + e, e);
        }
    }

    /** Java 22 or newer, and FfmLibC present (a multi-release jar's versions/22 entry, or a 22+ build's classes). */
    static boolean ffmAvailable() {
        if (Runtime.version().feature() < FFM_FEATURE) {
            return false;
        }
        try {
            Class.forName(FFM, false, NativeLibrary.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }
}
