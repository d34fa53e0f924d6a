package dev.sandboxed.junit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Repeatable;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A fresh, private tmpfs inside the sandbox. Use it inside {@link Sandboxed#tmpfs()} or directly on a
 * {@code @Sandboxed} class, method, field or parameter (repeatable).
 */
@Target({ElementType.TYPE, ElementType.METHOD, ElementType.FIELD, ElementType.PARAMETER, ElementType.ANNOTATION_TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@Repeatable(Tmpfs.List.class)
public @interface Tmpfs {
    /** Absolute path inside the sandbox. */
    String target();

    /** Maximum size such as {@code 16m}; empty for the kernel default. */
    String size() default "";

    /** Octal permission bits of the mount's root. */
    String mode() default "1777";

    /** Container of repeated {@link Tmpfs} annotations. */
    @Target({ElementType.TYPE, ElementType.METHOD, ElementType.FIELD, ElementType.PARAMETER, ElementType.ANNOTATION_TYPE})
    @Retention(RetentionPolicy.RUNTIME)
    @Documented
    @Inherited
    @interface List {
        Tmpfs[] value();
    }
}
