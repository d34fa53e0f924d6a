package dev.sandboxed.cli;

/** The command line was wrong; the message says what and how to fix it. Exit code 125, like docker. */
final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
        super(message);
    }
}
