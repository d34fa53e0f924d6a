package dev.sandboxed.junit;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.MediaType;
import org.junit.jupiter.api.extension.ExtensionContext;

import dev.sandboxed.junit.internal.hermetic.PublishedFiles;

/**
 * Publishes here the files and directories a {@code jvm = true} test published in its sandboxed JVM, with the same
 * name and media type, so report listeners see them as if the test had run in place. What could not be carried is
 * reported as a {@value #ENTRY} report entry (and logged) instead; the test's result stays its own.
 */
final class ForwardedFiles {
    /** The report entry saying what of the published files was not forwarded and why. */
    static final String ENTRY = "sandboxed.jvm.file";
    private static final System.Logger LOG = System.getLogger(ForwardedFiles.class.getName());

    private ForwardedFiles() {
    }

    /** Publishes the file or directory of one {@code file} event; {@code budget} is the test's. */
    static void publish(ExtensionContext context, JsonNode event, PublishedFiles.Budget budget) {
        PublishedFiles.Published p;
        try {
            p = PublishedFiles.decode(event, budget);
        } catch (IllegalArgumentException e) {
            note(context, e.getMessage());
            return;
        }
        p.problems().forEach(problem -> note(context, problem));
        if (!p.forwarded()) {
            return;
        }
        if (!JUnitFeatures.PUBLISH_FILE) {
            note(context, p.name() + ": not published here: JUnit Jupiter is older than 5.14");
            return;
        }
        try {
            if (p.directory()) {
                context.publishDirectory(p.name(), dir -> write(dir, p.entries()));
            } else {
                MediaType type = MediaType.parse(p.mediaType().orElse(MediaType.APPLICATION_OCTET_STREAM.toString()));
                context.publishFile(p.name(), type, file -> Files.write(file, p.entries().get(0).bytes()));
            }
        } catch (RuntimeException e) {
            note(context, p.name() + ": not published here: " + e.getMessage());
        }
    }

    /** A directory's entries below {@code dir}, which JUnit just made; their paths are checked relative ones. */
    private static void write(Path dir, List<PublishedFiles.Entry> entries) throws java.io.IOException {
        for (PublishedFiles.Entry e : entries) {
            Path target = dir.resolve(e.path());
            if (e.bytes() == null) {
                Files.createDirectories(target);
            } else {
                Files.createDirectories(target.getParent());
                Files.write(target, e.bytes(), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            }
        }
    }

    private static void note(ExtensionContext context, String message) {
        LOG.log(System.Logger.Level.WARNING, "Sandboxed: " + message);
        try {
            context.publishReportEntry(ENTRY, message);
        } catch (RuntimeException e) {
            // reporting must never change the test's result
        }
    }
}
