package dev.sandboxed.core.spec;

/**
 * How host ids map into the sandbox's user namespace (rootless; real root always maps 0..65535 directly).
 * <ul>
 * <li>{@code AUTO}: the single mapping (the caller as uid 0) when the sandbox's user is root, which costs
 * nothing; a range when it asks for another user, or when its image's files were given owners from the
 * caller's subordinate range. The default.</li>
 * <li>{@code RANGE}: always a full range (0 = the caller, 1..65535 = the caller's /etc/subuid ids), through the
 * setuid newuidmap/newgidmap, so any process may switch to any user. Costs two helper runs per sandbox.</li>
 * <li>{@code SINGLE}: only the caller, as 0.</li>
 * </ul>
 */
public enum IdMappingMode {
    AUTO, RANGE, SINGLE
}
