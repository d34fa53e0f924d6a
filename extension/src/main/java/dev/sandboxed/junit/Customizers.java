package dev.sandboxed.junit;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Modifier;

import org.junit.jupiter.api.extension.ExtensionContext;

import dev.sandboxed.core.spec.SandboxSpec;
import dev.sandboxed.core.spec.SpecException;

/** Makes {@link SandboxCustomizer}s from classes and runs them, reporting every problem for its field. */
final class Customizers {
    static final String FIELD = "customizers";
    static final String EXPECTED = "a class implementing " + SandboxCustomizer.class.getName()
            + " with a constructor without parameters (it need not be public)";

    /** A customizer and where it was declared: a class name, or the extension field that registered it. */
    record Declared(String field, String name, SandboxCustomizer customizer) {
        void apply(SandboxSpec.Builder spec, ExtensionContext context) {
            try {
                customizer.customize(spec, context);
            } catch (SpecException e) {
                throw new SandboxedConfigurationException(field, "'" + name + "' set " + e.getMessage(), e);
            } catch (Exception e) {
                throw new SandboxedConfigurationException(field, "'" + name + "' failed: " + e, e);
            }
        }
    }

    private Customizers() {
    }

    /** A customizer named in configuration, loaded through the context class loader. */
    static Declared load(String field, String className) {
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        try {
            return instantiate(field, Class.forName(className.trim(), false,
                    loader != null ? loader : Customizers.class.getClassLoader()));
        } catch (ClassNotFoundException | LinkageError e) {
            throw new SandboxedConfigurationException(field, "class '" + className.trim() + "' cannot be loaded (" + e
                    + "); expected the binary name of " + EXPECTED, e);
        }
    }

    /** {@code type} instantiated through its no-argument constructor, accessible or not. */
    static Declared instantiate(String field, Class<?> type) {
        String name = type.getName();
        String problem = null;
        if (!SandboxCustomizer.class.isAssignableFrom(type)) {
            problem = "does not implement SandboxCustomizer";
        } else if (type.isInterface() || Modifier.isAbstract(type.getModifiers())) {
            problem = "is abstract";
        } else if (type.getEnclosingClass() != null && !Modifier.isStatic(type.getModifiers())) {
            problem = "is an inner class, which needs an instance of its enclosing class; make it static";
        }
        if (problem == null) {
            try {
                Constructor<?> constructor = type.getDeclaredConstructor();
                constructor.setAccessible(true);
                return new Declared(field, name, (SandboxCustomizer) constructor.newInstance());
            } catch (NoSuchMethodException e) {
                problem = "has no constructor without parameters";
            } catch (InvocationTargetException e) {
                throw new SandboxedConfigurationException(field, "the constructor of '" + name + "' threw "
                        + e.getCause() + "; expected " + EXPECTED, e.getCause());
            } catch (ReflectiveOperationException | RuntimeException e) {
                throw new SandboxedConfigurationException(field, "'" + name + "' cannot be instantiated (" + e
                        + "); expected " + EXPECTED, e);
            }
        }
        throw new SandboxedConfigurationException(field, "'" + name + "' " + problem + "; expected " + EXPECTED);
    }
}
