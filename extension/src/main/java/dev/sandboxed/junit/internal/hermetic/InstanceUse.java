package dev.sandboxed.junit.internal.hermetic;

import java.lang.annotation.Annotation;
import java.lang.annotation.Repeatable;
import java.lang.reflect.AnnotatedElement;
import java.lang.reflect.Field;
import java.lang.reflect.Member;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import org.junit.platform.commons.support.AnnotationSupport;
import org.junit.platform.commons.support.HierarchyTraversalMode;
import org.junit.platform.commons.support.ReflectionSupport;

/**
 * Whether JUnit itself reads a test instance's state in the test JVM, around tests that run in a sandboxed one: then
 * that instance must be real, not {@link Hollow}. JUnit calls a non-static {@code @EnabledIf}/{@code @DisabledIf}
 * condition method on it, a non-static {@code @MethodSource}/{@code @FieldSource} factory (per-class lifecycle) and
 * closes its {@code @AutoClose} fields (a hollow one's are null: a warning per test). The optional ones (params, JUnit
 * 5.11+'s AutoClose) are matched by name so that neither is needed at run time.
 */
public final class InstanceUse {
    private static final List<Class<? extends Annotation>> CONDITIONS = annotations(
            "org.junit.jupiter.api.condition.EnabledIf", "org.junit.jupiter.api.condition.DisabledIf");
    private static final List<Class<? extends Annotation>> METHOD_SOURCES = annotations(
            "org.junit.jupiter.params.provider.MethodSource");
    private static final List<Class<? extends Annotation>> FIELD_SOURCES = annotations(
            "org.junit.jupiter.params.provider.FieldSource");
    private static final List<Class<? extends Annotation>> AUTO_CLOSE = annotations("org.junit.jupiter.api.AutoClose");

    /** Per outermost test class: the annotations do not change. */
    private static final ClassValue<Boolean> READ_HERE = new ClassValue<>() {
        @Override
        protected Boolean computeValue(Class<?> type) {
            return tree(type);
        }
    };

    private InstanceUse() {
    }

    /**
     * Whether JUnit reads the state of an instance of {@code outermost} (a top-level or static test class), of a
     * superclass, or of one of its {@code @Nested} classes, deeply, here: a condition, argument source or
     * {@code @AutoClose} field among them.
     */
    public static boolean readHere(Class<?> outermost) {
        return READ_HERE.get(outermost);
    }

    private static boolean tree(Class<?> type) {
        if (readByJUnit(type)) {
            return true;
        }
        for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
            for (Class<?> member : c.getDeclaredClasses()) {
                if (member.getEnclosingClass() != null && !Modifier.isStatic(member.getModifiers()) && tree(member)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean readByJUnit(Class<?> type) {
        for (Class<? extends Annotation> a : AUTO_CLOSE) {
            if (!AnnotationSupport.findAnnotatedFields(type, a, f -> !Modifier.isStatic(f.getModifiers()),
                    HierarchyTraversalMode.TOP_DOWN).isEmpty()) {
                return true;
            }
        }
        List<AnnotatedElement> elements = new ArrayList<>(hierarchy(type));
        elements.addAll(ReflectionSupport.findMethods(type, m -> true, HierarchyTraversalMode.TOP_DOWN));
        for (AnnotatedElement e : elements) {
            String fallback = e instanceof Method m ? m.getName() : null; // a source's default: the test's name
            if (names(e, CONDITIONS, null).stream().anyMatch(n -> member(type, n, InstanceUse::methods))
                    || names(e, METHOD_SOURCES, fallback).stream().anyMatch(n -> member(type, n, InstanceUse::methods))
                    || names(e, FIELD_SOURCES, fallback).stream().anyMatch(n -> member(type, n, InstanceUse::fields))) {
                return true;
            }
        }
        return false;
    }

    /** The member names the annotations on {@code e} give, {@code fallback} for an empty source. */
    private static List<String> names(AnnotatedElement e, List<Class<? extends Annotation>> types, String fallback) {
        List<String> names = new ArrayList<>();
        for (Class<? extends Annotation> t : types) {
            List<? extends Annotation> found = t.isAnnotationPresent(Repeatable.class)
                    ? AnnotationSupport.findRepeatableAnnotations(e, t)
                    : AnnotationSupport.findAnnotation(e, t).stream().toList();
            for (Annotation a : found) {
                Object value = value(a);
                String[] given = value instanceof String[] array ? array : new String[] {String.valueOf(value)};
                if (given.length == 0 && fallback != null) {
                    names.add(fallback);
                }
                names.addAll(List.of(given));
            }
        }
        return names;
    }

    private static Object value(Annotation a) {
        try {
            return a.annotationType().getMethod("value").invoke(a);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return ""; // unreadable: no name, so a member that is certainly not there (see member)
        }
    }

    /**
     * Whether {@code name} ({@code "member"}, {@code "member(params)"} or {@code "pkg.Type#member"}) may name a
     * non-static member of {@code type}: an instance one found, or none found at all (unsure). A fully qualified name
     * of another class names a static member: JUnit requires it.
     */
    private static boolean member(Class<?> type, String name, Function<Class<?>, List<? extends Member>> members) {
        String local = name.strip();
        int hash = local.indexOf('#');
        if (hash >= 0) {
            String owner = local.substring(0, hash);
            if (hierarchy(type).stream().noneMatch(c -> c.getName().equals(owner) || owner.equals(c.getCanonicalName()))) {
                return false;
            }
            local = local.substring(hash + 1);
        }
        int paren = local.indexOf('(');
        String simple = (paren >= 0 ? local.substring(0, paren) : local).strip();
        boolean found = false;
        for (Class<?> c : hierarchy(type)) {
            for (Member m : members.apply(c)) {
                if (m.getName().equals(simple)) {
                    if (!Modifier.isStatic(m.getModifiers())) {
                        return true;
                    }
                    found = true;
                }
            }
        }
        return !found;
    }

    private static List<Method> methods(Class<?> c) {
        return List.of(c.getDeclaredMethods());
    }

    private static List<Field> fields(Class<?> c) {
        return List.of(c.getDeclaredFields());
    }

    /** The class and its superclasses. */
    private static List<Class<?>> hierarchy(Class<?> type) {
        List<Class<?>> found = new ArrayList<>();
        for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
            found.add(c);
        }
        return found;
    }

    private static List<Class<? extends Annotation>> annotations(String... names) {
        List<Class<? extends Annotation>> found = new ArrayList<>();
        for (String name : names) {
            try {
                found.add(Class.forName(name, false, InstanceUse.class.getClassLoader()).asSubclass(Annotation.class));
            } catch (ClassNotFoundException | LinkageError | ClassCastException e) {
                // not on this class path (junit-jupiter-params absent, or a JUnit older than the annotation)
            }
        }
        return List.copyOf(found);
    }
}
