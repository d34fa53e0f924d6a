package dev.sandboxed.cli;

import java.nio.file.Path;
import java.util.Map;

import dev.sandboxed.core.internal.control.ControlClient;
import dev.sandboxed.core.result.SandboxException;

/** For {@link OpsCommandsTest}: one inspect request straight to a JVM's socket, printing the answer or the refusal. */
public final class RawClient {
    private RawClient() {
    }

    public static void main(String[] args) {
        try (ControlClient client = ControlClient.connect(Path.of(args[0]), Long.parseLong(args[1]))) {
            System.out.println(client.call(Map.of("op", "inspect", "id", args[2])));
        } catch (SandboxException e) {
            System.out.println(e.getMessage());
        }
    }
}
