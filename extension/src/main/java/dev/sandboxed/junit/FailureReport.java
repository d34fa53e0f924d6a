package dev.sandboxed.junit;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import dev.sandboxed.core.result.ExecResult;
import dev.sandboxed.core.result.ResourceUsage;
import dev.sandboxed.core.spec.PortMapping;

/** The diagnostics text for a failed test: each container's spec, usage, denials and its processes' last output. */
final class FailureReport {
    private FailureReport() {
    }

    static String render(List<Container> containers) {
        StringBuilder out = new StringBuilder("Sandboxed diagnostics (").append(containers.size())
                .append(containers.size() == 1 ? " container)" : " containers)");
        for (Container c : containers) {
            out.append("\n\n== container '").append(c.name()).append("': sandbox ").append(c.id())
                    .append(", init pid ").append(c.pid()).append(", ").append(c.sandbox().state().name().toLowerCase(Locale.ROOT));
            if (c.isKeptOnFailure() && c.isRunning()) {
                out.append("\nkept after this failure; ").append(c.keptHint());
            }
            out.append("\nspec: ").append(c.spec());
            for (PortMapping m : c.spec().publishedPorts()) {
                out.append("\npublished ").append(published(c, m));
            }
            out.append("\nusage: ").append(safeUsage(c));
            out.append("\nseccomp denials: ").append(c.seccompDenials().isEmpty() ? "none" : c.seccompDenials());
            List<ExecResult> history = c.history();
            List<ContainerProcess> background = c.backgroundProcesses();
            Optional<ContainerProcess> main = c.main();
            if (main.isPresent()) {
                ExecResult r = main.get().snapshot();
                String how = main.get().isAlive() ? "`" + String.join(" ", r.command()) + "` still running after "
                        + r.duration().toMillis() + " ms"
                        : describe(r) + "; the sandbox ended with it";
                out.append("\nmain process ").append(how).append('\n').append(indent(r.tail(c.tailLines())));
            }
            if (history.isEmpty() && background.isEmpty() && main.isEmpty()) {
                out.append("\nprocesses: none run");
            }
            for (ExecResult r : history) {
                out.append("\nexec ").append(describe(r)).append('\n').append(indent(r.tail(c.tailLines())));
            }
            for (ContainerProcess p : background) {
                ExecResult r = p.snapshot();
                String how = p.isAlive() ? "`" + String.join(" ", r.command()) + "` still running after "
                        + r.duration().toMillis() + " ms" : describe(r);
                out.append("\nbackground ").append(how).append('\n').append(indent(r.tail(c.tailLines())));
            }
        }
        return out.toString();
    }

    /** {@code 127.0.0.1:41234 -> 8080/tcp}, as the test reaches it. */
    private static String published(Container c, PortMapping m) {
        String host = m.hostAddress().contains(":") ? "[" + m.hostAddress() + "]" : m.hostAddress();
        String port;
        try {
            port = Integer.toString(c.mappedPort(m.containerPort(), m.transport()));
        } catch (RuntimeException e) {
            port = m.hostPort() == 0 ? "?" : Integer.toString(m.hostPort()); // the sandbox is gone
        }
        return host + ":" + port + " -> " + m.containerPort() + "/" + m.transport();
    }

    private static String safeUsage(Container c) {
        try {
            return usage(c.usage());
        } catch (RuntimeException e) {
            return "not readable (" + e.getMessage() + ")";
        }
    }

    static String describe(ExecResult r) {
        return "`" + String.join(" ", r.command()) + "` " + r.status() + " [" + r.exitReason() + "] after "
                + r.duration().toMillis() + " ms";
    }

    static String usage(ResourceUsage u) {
        if (u.equals(ResourceUsage.NOT_AVAILABLE)) {
            return "not available (no cgroup for this sandbox)";
        }
        return "memory now " + bytes(u.memoryCurrentBytes()) + ", peak " + bytes(u.memoryPeakBytes())
                + "; cpu user " + millis(u.cpuUser()) + ", system " + millis(u.cpuSystem())
                + ", throttled " + millis(u.cpuThrottled()) + "; processes now " + count(u.pidsCurrent())
                + ", peak " + count(u.pidsPeak()) + "; OOM kills " + count(u.oomKills())
                + "; pids-limit hits " + count(u.pidsLimitHits());
    }

    static String bytes(long b) {
        if (b < 0) {
            return "n/a";
        }
        if (b < 1024) {
            return b + " B";
        }
        if (b < 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1f KiB", b / 1024.0);
        }
        if (b < 1024L * 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1f MiB", b / (1024.0 * 1024));
        }
        return String.format(Locale.ROOT, "%.2f GiB", b / (1024.0 * 1024 * 1024));
    }

    private static String millis(Duration d) {
        return d.toMillis() + " ms";
    }

    private static String count(long n) {
        return n < 0 ? "n/a" : Long.toString(n);
    }

    private static String indent(String text) {
        return "  " + text.replace("\n", "\n  ");
    }
}
