package dev.sandboxed.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import dev.sandboxed.core.RuntimeConfig;
import dev.sandboxed.core.Sandbox;
import dev.sandboxed.core.SandboxProcess;
import dev.sandboxed.core.SandboxRuntime;
import dev.sandboxed.core.result.Errno;
import dev.sandboxed.core.result.ExitReason;
import dev.sandboxed.core.result.ExitStatus;
import dev.sandboxed.core.result.ResourceUsage;
import dev.sandboxed.core.result.SandboxException;
import dev.sandboxed.core.spec.PortMapping;

/** {@code sandboxed run}: CMD in a fresh sandbox with the caller's stdio, exiting with CMD's status. */
final class RunCommand {
    static final int SANDBOX_ERROR = 125;

    private final PrintStream err;

    RunCommand(PrintStream err) {
        this.err = err;
    }

    @SuppressWarnings("try") // the sandbox is closed early on purpose: the stats need its final usage
    int run(RunOptions options) {
        // One sandbox per command: a cgroup made ahead would only be removed again at exit.
        RuntimeConfig config = RuntimeConfig.fromSystemProperties().withCgroupPool(0);
        if (options.cgroupParent.isPresent()) {
            config = config.withCgroupParent(options.cgroupParent.get());
        }
        Instant start = Instant.now();
        SignalForwarding signals = SignalForwarding.install();
        try (SandboxRuntime runtime = SandboxRuntime.create(config);
                Sandbox sandbox = runtime.startWithMain(options.spec, options.process)) {
            reportEphemeralPorts(sandbox);
            SandboxProcess main = sandbox.mainProcess().orElseThrow();
            try {
                main.awaitStarted();
            } catch (SandboxException e) {
                err.println("sandboxed: " + e.getMessage());
                return ExitStatus.notStarted(e.step(), e.errno()).exitCode(); // 127 or 126, as exec gives
            }
            signals.to(main::signal);
            ExitStatus status;
            if (options.timeout.isPresent()) {
                Optional<ExitStatus> done = main.waitFor(options.timeout.get());
                if (done.isEmpty()) {
                    err.println("sandboxed: " + options.process.commandLine() + " ran longer than "
                            + options.timeout.get().toMillis() + " ms; killed");
                    main.kill();
                    status = main.waitFor().withReason(ExitReason.TIMED_OUT);
                } else {
                    status = done.get();
                }
            } else {
                status = main.waitFor();
            }
            if (status.reason() == ExitReason.OOM_KILLED) {
                err.println("sandboxed: " + options.process.commandLine() + " was killed by the OOM killer (memory limit)");
            }
            sandbox.close();
            if (options.statsFile.isPresent()) {
                writeStats(options, sandbox, status, Duration.between(start, Instant.now()));
            }
            return status.exitCode();
        } catch (SandboxException e) {
            err.println("sandboxed: " + e.getMessage());
            return SANDBOX_ERROR;
        } catch (RuntimeException e) {
            err.println("sandboxed: " + e.getMessage());
            return SANDBOX_ERROR;
        }
    }

    /** Where ephemeral mappings ended up: the caller has no other way to learn it. */
    private void reportEphemeralPorts(Sandbox sandbox) {
        for (PortMapping m : sandbox.spec().publishedPorts()) {
            if (m.hostPort() == 0) {
                String host = m.hostAddress().contains(":") ? "[" + m.hostAddress() + "]" : m.hostAddress();
                err.println("published " + host + ":" + sandbox.mappedPort(m.containerPort(), m.transport()) + " -> "
                        + m.containerPort() + "/" + m.transport());
            }
        }
        err.flush();
    }

    private void writeStats(RunOptions options, Sandbox sandbox, ExitStatus status, Duration elapsed) {
        ResourceUsage usage = sandbox.usage();
        Map<String, Object> stats = new LinkedHashMap<>();
        stats.put("command", options.process.command());
        stats.put("exitCode", status.exitCode());
        stats.put("exitReason", status.reason().name());
        stats.put("signal", status.signal().isPresent() ? status.signal().getAsInt() : null);
        stats.put("durationMillis", elapsed.toMillis());
        Map<String, Object> u = new LinkedHashMap<>();
        u.put("available", usage.memoryPeakBytes() >= 0 || usage.pidsPeak() >= 0);
        u.put("memoryPeakBytes", usage.memoryPeakBytes());
        u.put("memoryCurrentBytes", usage.memoryCurrentBytes());
        u.put("cpuUserMillis", usage.cpuUser().toMillis());
        u.put("cpuSystemMillis", usage.cpuSystem().toMillis());
        u.put("cpuThrottledMillis", usage.cpuThrottled().toMillis());
        u.put("pidsPeak", usage.pidsPeak());
        u.put("oomKills", usage.oomKills());
        u.put("pidsLimitHits", usage.pidsLimitHits());
        stats.put("usage", u);
        stats.put("seccompDenials", sandbox.seccompDenials());
        try {
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                    .writeValue(Files.newBufferedWriter(options.statsFile.get()), stats);
        } catch (IOException e) {
            err.println("sandboxed: write stats to " + options.statsFile.get() + ": " + StatsFile.reason(e));
        }
    }

    /**
     * 127 is only for the program itself missing: ENOENT from execve. ENOENT of an earlier step (a missing
     * working directory) means the command could not be executed: 126.
     */

    static String describe(int errno) {
        return Errno.describe(errno);
    }
}
