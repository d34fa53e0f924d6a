package dev.sandboxed.core.image;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What the image's configuration asks of a container: the default process ({@code entrypoint} then
 * {@code cmd}), its environment ({@code NAME=VALUE}), working directory and user, and what later features use:
 * exposed ports ({@code 8080/tcp}), the health check, the stop signal and labels.
 */
public record ImageConfig(List<String> entrypoint, List<String> cmd, List<String> env, String workingDir, String user,
        Set<String> exposedPorts, Optional<Healthcheck> healthcheck, String stopSignal, Map<String, String> labels) {

    public ImageConfig {
        entrypoint = List.copyOf(entrypoint);
        cmd = List.copyOf(cmd);
        env = List.copyOf(env);
        exposedPorts = Set.copyOf(exposedPorts);
        labels = Map.copyOf(labels);
    }

    /**
     * The command of a container, as {@code docker run} builds it: the entrypoint (or {@code entrypoint} when
     * given), then {@code cmd} when given, else the image's Cmd. When an entrypoint override is given, the image's
     * Cmd is dropped as Docker does.
     */
    public List<String> command(Optional<List<String>> entrypointOverride, List<String> cmdOverride) {
        List<String> argv = new ArrayList<>(entrypointOverride.orElse(entrypoint));
        argv.addAll(!cmdOverride.isEmpty() || entrypointOverride.isPresent() ? cmdOverride : cmd);
        return List.copyOf(argv);
    }
}
