package dev.sandboxed.junit.internal.hermetic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The events FIFO as the parent reads it: in order, the complete lines only, capped. */
class EventPipeTest {
    @TempDir
    Path dir;

    @Test
    void yieldsEveryCompleteEventInOrderAndLeavesOutATornLast() throws IOException {
        EventPipe pipe = EventPipe.create(dir.resolve(Wire.EVENTS));
        AtomicInteger kills = new AtomicInteger();
        pipe.start(kills::incrementAndGet);
        Wire.EventWriter writer = new Wire.EventWriter(dir);
        for (int i = 0; i < 1000; i++) {
            writer.write(Wire.event("entry").put("n", i));
        }
        try (OutputStream out = Files.newOutputStream(dir.resolve(Wire.EVENTS), StandardOpenOption.WRITE)) {
            out.write("{\"type\":\"finished\",\"sta".getBytes(StandardCharsets.UTF_8)); // died writing it
        }

        var events = pipe.end();

        assertThat(events).hasSize(1000);
        assertThat(events.stream().map(e -> e.path("n").asInt())).isSorted();
        assertThat(events.get(999).path("n").asInt()).isEqualTo(999);
        assertThat(kills).hasValue(0);
    }

    @Test
    void theFifoIsTheOwnersAlone() throws IOException {
        EventPipe pipe = EventPipe.create(dir.resolve(Wire.EVENTS));
        pipe.start(() -> { });
        assertThat(Files.isRegularFile(dir.resolve(Wire.EVENTS), LinkOption.NOFOLLOW_LINKS)).isFalse();
        assertThat(Files.getAttribute(dir.resolve(Wire.EVENTS), "unix:mode", LinkOption.NOFOLLOW_LINKS))
                .as("a FIFO, mode 0600").isEqualTo(0010600);
        assertThat(pipe.end()).isEmpty();
    }

    @Test
    void somethingAlreadyInItsPlaceIsNeitherReplacedNorFollowed() throws IOException {
        Path elsewhere = Files.writeString(dir.resolve("elsewhere"), "not events");
        Files.createSymbolicLink(dir.resolve(Wire.EVENTS), elsewhere);
        assertThatThrownBy(() -> EventPipe.create(dir.resolve(Wire.EVENTS))).isInstanceOf(IOException.class)
                .hasMessageContaining("mkfifo " + dir.resolve(Wire.EVENTS)).hasMessageContaining("exists");
        assertThat(Files.isSymbolicLink(dir.resolve(Wire.EVENTS))).isTrue();
        assertThat(Files.readString(elsewhere)).isEqualTo("not events");
    }

    @Test
    void anEventLineOverTheCapKillsTheWriterAndFails() throws IOException {
        EventPipe pipe = EventPipe.create(dir.resolve(Wire.EVENTS));
        AtomicInteger kills = new AtomicInteger();
        pipe.start(kills::incrementAndGet);
        try (OutputStream out = Files.newOutputStream(dir.resolve(Wire.EVENTS), StandardOpenOption.WRITE)) {
            out.write("{\"type\":\"started\"}\n".getBytes(StandardCharsets.UTF_8));
            out.write(new byte[EventPipe.MAX_LINE + 1]);
        }

        assertThatThrownBy(pipe::end).isInstanceOf(IOException.class)
                .hasMessage("the sandboxed JVM wrote an event line longer than 32 MiB (the cap), so it was killed");
        assertThat(kills).hasValue(1);
    }

    @Test
    void moreEventsThanTheCapKillTheWriterAndFail() throws IOException {
        EventPipe pipe = EventPipe.create(dir.resolve(Wire.EVENTS));
        AtomicInteger kills = new AtomicInteger();
        pipe.start(kills::incrementAndGet);
        byte[] line = ("{\"type\":\"entry\",\"x\":\"" + "x".repeat((1 << 20) - 30) + "\"}\n").getBytes(StandardCharsets.UTF_8);
        try (OutputStream out = Files.newOutputStream(dir.resolve(Wire.EVENTS), StandardOpenOption.WRITE)) {
            for (int i = 0; i < 65; i++) {
                out.write(line);
            }
        }

        assertThatThrownBy(pipe::end).isInstanceOf(IOException.class)
                .hasMessage("the sandboxed JVM wrote more than 64 MiB of events (the cap), so it was killed");
        assertThat(kills).hasValue(1);
    }

    @Test
    void anEventHoldingAPublishedFileOfTheCapInBase64IsRead() throws IOException {
        EventPipe pipe = EventPipe.create(dir.resolve(Wire.EVENTS));
        AtomicInteger kills = new AtomicInteger();
        pipe.start(kills::incrementAndGet);
        String data = "A".repeat((PublishedFiles.MAX_FILE_BYTES + 2) / 3 * 4); // more than Jackson's default limit
        Wire.EventWriter writer = new Wire.EventWriter(dir);
        writer.write(Wire.event("file").put("name", "f").put("data", data));
        writer.write(Wire.event("finished"));

        var events = pipe.end();

        assertThat(events).hasSize(2);
        assertThat(events.get(0).path("data").asText()).hasSize(data.length());
        assertThat(kills).hasValue(0);
    }
}
