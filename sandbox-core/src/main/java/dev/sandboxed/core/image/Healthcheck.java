package dev.sandboxed.core.image;

import java.time.Duration;
import java.util.List;

/**
 * The image's HEALTHCHECK, kept for a readiness wait: {@code test} as the image has it ({@code ["CMD", ...]},
 * {@code ["CMD-SHELL", "..."]} or {@code ["NONE"]}); zero durations and retries mean the runtime's default.
 */
public record Healthcheck(List<String> test, Duration interval, Duration timeout, Duration startPeriod, int retries) {
    public Healthcheck {
        test = List.copyOf(test);
    }
}
