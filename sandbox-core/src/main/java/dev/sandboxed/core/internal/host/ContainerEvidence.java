package dev.sandboxed.core.internal.host;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Signs that this process runs inside a container, and which runtime, so {@code doctor} can explain a failed
 * user namespace probe in terms of the container's options rather than host sysctls.
 *
 * @param runtime {@code docker}, {@code podman}, {@code kubernetes}, {@code lxc} or the {@code container} variable's
 *                value; empty when no container was detected
 * @param markers what gave it away, for example {@code /.dockerenv exists}
 */
public record ContainerEvidence(Optional<String> runtime, List<String> markers) {

    public ContainerEvidence {
        markers = List.copyOf(markers);
    }

    public boolean inContainer() {
        return runtime.isPresent();
    }

    public static ContainerEvidence detect(HostEnvironment host) {
        List<String> markers = new ArrayList<>();
        String runtime = null;
        // Most specific first: a Kubernetes pod run by containerd or Docker should get Kubernetes advice.
        String fromCgroup = runtimeFromCgroup(HostFiles.readLines(host.proc("1/cgroup")));
        if (fromCgroup != null) {
            markers.add("/proc/1/cgroup mentions " + fromCgroup);
            runtime = fromCgroup;
        }
        if (Files.exists(host.file("/run/.containerenv"))) {
            markers.add("/run/.containerenv exists");
            runtime = runtime == null ? "podman" : runtime;
        }
        if (Files.exists(host.file("/.dockerenv"))) {
            markers.add("/.dockerenv exists");
            runtime = runtime == null ? "docker" : runtime;
        }
        Optional<String> variable = host.variable("container");
        if (variable.isPresent()) {
            markers.add("container=" + variable.get());
            runtime = runtime == null ? variable.get().strip().toLowerCase(Locale.ROOT) : runtime;
        }
        return new ContainerEvidence(Optional.ofNullable(runtime), markers);
    }

    private static String runtimeFromCgroup(List<String> lines) {
        String joined = String.join("\n", lines).toLowerCase(Locale.ROOT);
        if (joined.contains("kubepods")) {
            return "kubernetes";
        }
        if (joined.contains("libpod")) {
            return "podman";
        }
        if (joined.contains("docker")) {
            return "docker";
        }
        if (joined.contains("/lxc")) {
            return "lxc";
        }
        return null;
    }
}
