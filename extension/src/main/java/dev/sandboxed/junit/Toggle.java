package dev.sandboxed.junit;

/** An on/off setting that can also be left to outer levels ({@code DEFAULT}). */
public enum Toggle {
    /** Not set here: an outer level or the default decides. */
    DEFAULT,
    ON,
    OFF
}
