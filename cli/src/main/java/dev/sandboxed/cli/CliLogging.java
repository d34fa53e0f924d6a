package dev.sandboxed.cli;

import java.util.Locale;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * The runtime logs through System.Logger, whose default backend is java.util.logging, to stderr: the stderr the
 * sandboxed command shares. So the CLI shows only warnings and errors, one line each, unless {@code --verbose}.
 */
final class CliLogging {
    private CliLogging() {
    }

    static void configure(boolean verbose) {
        Level level = verbose ? Level.FINE : Level.WARNING;
        Logger root = Logger.getLogger("");
        for (Handler handler : root.getHandlers()) {
            root.removeHandler(handler);
        }
        Handler stderr = new ConsoleHandler();
        stderr.setLevel(level);
        stderr.setFormatter(new OneLine());
        root.addHandler(stderr);
        root.setLevel(level);
    }

    /** {@code sandboxed: warning: message}, like the CLI's own messages; a stack trace only when verbose. */
    private static final class OneLine extends Formatter {
        @Override
        public String format(LogRecord record) {
            String line = "sandboxed: " + record.getLevel().getName().toLowerCase(Locale.ROOT) + ": "
                    + formatMessage(record);
            Throwable thrown = record.getThrown();
            if (thrown != null) {
                line += ": " + thrown;
            }
            return line + System.lineSeparator();
        }
    }
}
