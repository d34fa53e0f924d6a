package dev.sandboxed.core.spec;

/**
 * How host ids map into the sandbox's user namespace.
 * {@code AUTO}: a full range (0 = caller, 1..65535 = the caller's subordinate ids) when newuidmap and an
 * /etc/subuid range exist, else a single mapping. {@code SINGLE}: only the caller, as 0 (fastest; every
 * process runs as uid 0 inside).
 */
public enum IdMappingMode {
    AUTO, SINGLE
}
