package dev.sandboxed.core.internal.hooks;

import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * A sandbox's state as the OCI runtime spec's state JSON (runtime.md "State"), which every hook reads on stdin.
 * There is no OCI bundle: {@code bundle} is the sandbox's state directory, the nearest thing it has.
 */
public record OciState(String id, Status status, int pid, String bundle, Map<String, String> annotations) {
    /** The runtime spec version whose state format this follows. */
    public static final String OCI_VERSION = "1.2.0";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The OCI statuses, as each stage sees the sandbox (runc's choices). */
    public enum Status {
        CREATING("creating"), CREATED("created"), RUNNING("running"), STOPPED("stopped");

        private final String text;

        Status(String text) {
            this.text = text;
        }
    }

    public OciState {
        annotations = Map.copyOf(annotations);
    }

    public OciState withStatus(Status value) {
        return new OciState(id, value, pid, bundle, annotations);
    }

    /** {@code pid} is left out once stopped: OCI requires it only while created or running. */
    public String json() {
        Map<String, Object> state = new LinkedHashMap<>();
        state.put("ociVersion", OCI_VERSION);
        state.put("id", id);
        state.put("status", status.text);
        if (status != Status.STOPPED) {
            state.put("pid", pid);
        }
        state.put("bundle", bundle);
        state.put("annotations", new LinkedHashMap<>(annotations));
        try {
            return JSON.writeValueAsString(state);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("write the OCI state of sandbox " + id, e);
        }
    }
}
