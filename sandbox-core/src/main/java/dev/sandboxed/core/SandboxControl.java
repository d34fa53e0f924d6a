package dev.sandboxed.core;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import dev.sandboxed.core.internal.cgroup.CgroupFigures;
import dev.sandboxed.core.internal.control.ControlTarget;
import dev.sandboxed.core.internal.runtime.ProcessState;
import dev.sandboxed.core.internal.runtime.RunningSandbox;

/** A sandbox of this JVM as {@code sandboxed ps/inspect/exec/kill/rm} reach it (see {@code internal.control}). */
final class SandboxControl implements ControlTarget {
    private final Sandbox sandbox;
    private final Instant startedAt = Instant.now();

    SandboxControl(Sandbox sandbox) {
        this.sandbox = sandbox;
    }

    @Override
    public String id() {
        return sandbox.id();
    }

    @Override
    public Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", sandbox.id());
        m.put("ownerPid", ProcessHandle.current().pid());
        m.put("initPid", sandbox.pid());
        m.put("state", sandbox.isKept() && sandbox.state() == Sandbox.State.RUNNING ? "kept"
                : sandbox.state().name().toLowerCase(Locale.ROOT));
        m.put("startedAt", startedAt.toString());
        m.put("command", sandbox.mainProcess().map(p -> p.command()).orElse(null));
        List<Map<String, Object>> processes = new ArrayList<>();
        for (ProcessState p : sandbox.running().connection().processes()) {
            Map<String, Object> process = new LinkedHashMap<>();
            process.put("pid", p.pidNow());
            process.put("command", p.command());
            processes.add(process);
        }
        m.put("processes", processes);
        m.put("hostname", sandbox.spec().hostname());
        m.put("limits", CgroupFigures.limits(sandbox.spec().limits()));
        if (sandbox.state() == Sandbox.State.RUNNING) {
            m.put("usage", CgroupFigures.usage(sandbox.usage()));
        }
        m.put("seccompDenials", sandbox.seccompDenials());
        m.put("spec", sandbox.spec().toString());
        return m;
    }

    @Override
    public RunningSandbox running() {
        return sandbox.running();
    }

    @Override
    public void signalAll(int signal) {
        sandbox.signalAll(signal);
    }

    @Override
    public boolean isKept() {
        return sandbox.isKept();
    }

    @Override
    public void remove() {
        sandbox.stop(Duration.ZERO);
    }
}
