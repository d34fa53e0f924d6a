package dev.sandboxed.core.internal.host;

import java.util.Objects;

/**
 * One line of the {@code doctor} report: what was checked, whether it is usable, and the exact fix when not.
 *
 * @param name   short name of the capability checked, for example {@code user namespaces}
 * @param status OK, WARN (works with reduced function) or FAIL (sandboxes, or this feature, cannot run)
 * @param detail what was found, for example {@code user.max_user_namespaces = 0}
 * @param fix    the exact command or setting that fixes it; empty when status is OK
 */
public record CheckResult(String name, Status status, String detail, String fix) {
    public enum Status { OK, WARN, FAIL }

    public CheckResult {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(status, "status");
        detail = detail == null ? "" : detail;
        fix = fix == null ? "" : fix;
    }

    public static CheckResult ok(String name, String detail) {
        return new CheckResult(name, Status.OK, detail, "");
    }

    public static CheckResult warn(String name, String detail, String fix) {
        return new CheckResult(name, Status.WARN, detail, fix);
    }

    public static CheckResult fail(String name, String detail, String fix) {
        return new CheckResult(name, Status.FAIL, detail, fix);
    }

    public boolean isOk() {
        return status == Status.OK;
    }

    /** One report line: {@code [ OK ] name: detail} followed by {@code   fix: ...} when there is one. */
    public String render() {
        String line = String.format("[%-4s] %s: %s", status, name, detail);
        return fix.isEmpty() ? line : line + System.lineSeparator() + "       fix: " + fix;
    }
}
