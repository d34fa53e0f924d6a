package dev.sandboxed.core.internal.egress;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import dev.sandboxed.core.internal.os.Native;
import dev.sandboxed.core.result.SandboxException;

/**
 * An egress tool attached to one sandbox's network namespace. It runs under {@code sandbox-init --guard}, whose fd 3
 * is the read end of a pipe only this JVM can write to: closing it here, or this JVM dying (even by kill -9), makes
 * the guard kill the tool and exit, so a tool never outlives its sandbox's JVM (it would keep the namespace alive).
 */
public final class EgressLink implements AutoCloseable {
    /** How long the tool may take to bring {@code tap0} up and route through it. */
    private static final long UP_TIMEOUT_MILLIS = 10_000;

    private final EgressTool tool;
    private final int initPid;
    private final int guardPid;
    private final int output;
    private int lifeline; // guarded by this; -1 once closed
    private boolean reaped; // guarded by this

    private EgressLink(EgressTool tool, int initPid, int guardPid, int output, int lifeline) {
        this.tool = tool;
        this.initPid = initPid;
        this.guardPid = guardPid;
        this.output = output;
        this.lifeline = lifeline;
    }

    /**
     * Starts the tool for the sandbox whose init is {@code initPid}, given the init's user and network namespaces
     * (which this does not close; the tool gets copies); {@link #awaitUp()} waits for it.
     */
    public static EgressLink start(Path guardBinary, EgressTools.Located located, int initPid, int userNs, int netNs,
            boolean hostLoopback, boolean root) {
        int output = Native.memfd("egress " + located.tool().command());
        int[] pipe;
        try {
            pipe = Native.pipe("the lifeline of " + located.tool().command());
        } catch (RuntimeException e) {
            Native.close(output);
            throw e;
        }
        try {
            List<String> argv = new ArrayList<>(List.of("sandbox-init", "--guard"));
            // The guard keeps fds 4 and 5 open for the tool: the init is not dumpable, so /proc/PID/ns is closed to it.
            argv.addAll(located.tool().argv(located.executable(), "/proc/self/fd/4", "/proc/self/fd/5", hostLoopback,
                    root));
            List<String> env = new ArrayList<>();
            for (String name : List.of("PATH", "HOME", "XDG_RUNTIME_DIR", "TMPDIR")) {
                String value = System.getenv(name);
                if (value != null) {
                    env.add(name + "=" + value);
                }
            }
            int pid = Native.spawn(guardBinary.toString(), argv, env, new int[] {pipe[0], userNs, netNs}, output);
            return new EgressLink(located.tool(), initPid, pid, output, pipe[1]);
        } catch (RuntimeException e) {
            Native.close(pipe[1]);
            Native.close(output);
            throw e;
        } finally {
            Native.close(pipe[0]);
        }
    }

    public EgressTool tool() {
        return tool;
    }

    /** The guard's pid (the tool is its only child). */
    public int guardPid() {
        return guardPid;
    }

    /**
     * Waits until the sandbox has a default route through {@code tap0} (the tool sets the address and brings the link
     * up before the route), read from the init's {@code /proc/PID/net/route}; fails with the tool's own words when it
     * exits first or takes longer than 10 s.
     */
    public void awaitUp() {
        long deadline = System.nanoTime() + UP_TIMEOUT_MILLIS * 1_000_000;
        Path routes = Path.of("/proc/" + initPid + "/net/route");
        while (true) {
            if (hasDefaultRoute(routes)) {
                return;
            }
            if (exited()) {
                throw new SandboxException("network egress: " + tool.command() + " exited before " + EgressTool.INTERFACE
                        + " was up: " + output(), 0);
            }
            if (System.nanoTime() > deadline) {
                throw new SandboxException("network egress: " + tool.command() + " did not bring " + EgressTool.INTERFACE
                        + " up within " + UP_TIMEOUT_MILLIS / 1000 + " s: " + output(), 0);
            }
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SandboxException("network egress: interrupted while waiting for " + tool.command(), 0);
            }
        }
    }

    private synchronized boolean exited() {
        if (!reaped && lifeline >= 0 && Native.reap(guardPid, false)) {
            reaped = true;
        }
        return reaped;
    }

    private static boolean hasDefaultRoute(Path routes) {
        try {
            for (String line : Files.readAllLines(routes, StandardCharsets.US_ASCII)) {
                String[] f = line.split("\\s+");
                if (f.length > 2 && f[0].equals(EgressTool.INTERFACE) && f[1].equals("00000000")) {
                    return true;
                }
            }
        } catch (IOException e) {
            // the init is gone: the tool's exit (or the timeout) says why
        }
        return false;
    }

    /** The tool's output so far (its last 2,000 characters, on one line). */
    String output() {
        try {
            String text = Files.readString(Path.of("/proc/self/fd/" + output), StandardCharsets.UTF_8);
            text = text.replace("Failed to send", "").replaceAll("\\s*\\d+ bytes to syslog\\s*", " ").trim();
            text = text.replaceAll("\\s+", " ");
            return text.isEmpty() ? "(no output)" : text.length() > 2000 ? "..." + text.substring(text.length() - 2000) : text;
        } catch (IOException | RuntimeException e) {
            return "(its output is unreadable: " + e.getMessage() + ")";
        }
    }

    /** Kills the tool (through its guard) and reaps the guard, which reaps the tool first. Idempotent. */
    @Override
    public synchronized void close() {
        if (lifeline < 0) {
            return;
        }
        Native.close(lifeline);
        lifeline = -1;
        if (!reaped) {
            Native.reap(guardPid, true);
            reaped = true;
        }
        Native.close(output);
    }
}
