package dev.sandboxed.core.internal.os;

import java.io.IOException;

/** A file inside a root directory could not be read safely; the message names the file and why, in one line. */
public final class RootFileException extends IOException {
    private static final long serialVersionUID = 1L;

    RootFileException(String message) {
        super(message);
    }
}
