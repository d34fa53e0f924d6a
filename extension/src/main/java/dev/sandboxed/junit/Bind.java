package dev.sandboxed.junit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Repeatable;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A host file or directory visible inside the sandbox. Use it inside {@link Sandboxed#bind()} or directly on a
 * {@code @Sandboxed} class, method, field or parameter (repeatable).
 */
@Target({ElementType.TYPE, ElementType.METHOD, ElementType.FIELD, ElementType.PARAMETER, ElementType.ANNOTATION_TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@Repeatable(Bind.List.class)
public @interface Bind {
    /** Host path; relative paths are resolved against the JVM's working directory. */
    String source();

    /** Absolute path inside the sandbox. */
    String target();

    /** Read-only unless set to false. */
    boolean readOnly() default true;

    /** Container of repeated {@link Bind} annotations. */
    @Target({ElementType.TYPE, ElementType.METHOD, ElementType.FIELD, ElementType.PARAMETER, ElementType.ANNOTATION_TYPE})
    @Retention(RetentionPolicy.RUNTIME)
    @Documented
    @Inherited
    @interface List {
        Bind[] value();
    }
}
