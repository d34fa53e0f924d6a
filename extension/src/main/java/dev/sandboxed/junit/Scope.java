package dev.sandboxed.junit;

/** How long a container lives. */
public enum Scope {
    /**
     * Not set here: an outer level decides; otherwise a container declared by a static field, a {@code @BeforeAll}
     * parameter or a per-class test instance is class scoped, and any other is per test, reusing a class-scoped
     * container of the same name when one exists and the test method, field or parameter declares no settings of
     * its own.
     */
    DEFAULT,
    /** A fresh container for every test, removed after it. */
    TEST,
    /** One container shared by every test of the class, removed after the class. */
    CLASS
}
