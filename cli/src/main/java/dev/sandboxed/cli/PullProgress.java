package dev.sandboxed.cli;

import java.io.PrintStream;
import java.util.Locale;

import dev.sandboxed.core.image.PullListener;
import dev.sandboxed.core.image.PullListener.PullEvent;

/**
 * Pull progress on stderr: one line per layer when stderr is not a terminal (CI logs), e.g.
 * {@code pull busybox:1.36: layer sha256:abcd12345678 2.1 MiB done (downloaded in 0.4 s)}; on a terminal, one
 * line redrawn in place (at most ten times a second) and a summary line at the end.
 */
final class PullProgress implements PullListener {
    private static final long REDRAW_NANOS = 100_000_000L;
    private final PrintStream err;
    private final boolean terminal;
    private String source = "";
    private int layers;
    private int finished;
    private long layerStart = System.nanoTime();
    private long lastDraw;
    private boolean drawn;

    PullProgress(PrintStream err, boolean terminal) {
        this.err = err;
        this.terminal = terminal;
    }

    /** For this process's stderr: a terminal when the JVM has a console. */
    static PullProgress forStderr(PrintStream err) {
        return new PullProgress(err, System.console() != null);
    }

    @Override
    public synchronized void onEvent(PullEvent e) {
        long now = System.nanoTime();
        switch (e.kind()) {
            case RESOLVED -> {
                source = e.source();
                layers = (int) e.total();
                finished = 0;
                layerStart = now;
                draw(now, "resolved " + shortDigest(e.digest()) + ", " + layers + " layers");
            }
            case CACHED -> {
                if (layers == 0) { // the whole image, answered from the cache
                    draw(now, e.source() + ": in the cache (" + shortDigest(e.digest()) + ")");
                    finishLine();
                    return;
                }
                layerDone(now, e.digest(), e.total(), "cached");
            }
            case PROGRESS -> {
                if (terminal && now - lastDraw >= REDRAW_NANOS) {
                    draw(now, "layer " + (finished + 1) + "/" + layers + " " + shortDigest(e.digest()) + " "
                            + mib(e.done()) + (e.total() > 0 ? " / " + mib(e.total()) : ""));
                }
            }
            case EXTRACTED -> layerDone(now, e.digest(), e.done(), "downloaded in " + seconds(now - layerStart));
            case DONE -> {
                draw(now, "done (" + shortDigest(e.digest()) + ")");
                finishLine();
            }
            default -> {
            }
        }
    }

    private void layerDone(long now, String digest, long size, String how) {
        finished++;
        String line = "layer " + shortDigest(digest) + " " + mib(size) + " done (" + how + ")";
        if (terminal) {
            draw(now, "layer " + finished + "/" + layers + " " + line.substring("layer ".length()));
        } else {
            err.println("pull " + source + ": " + line);
        }
        layerStart = now;
    }

    /** On a terminal, redraws the line; otherwise prints only the steps that are lines of their own. */
    private void draw(long now, String text) {
        if (!terminal) {
            if (text.startsWith("resolved") || text.startsWith("done")) {
                err.println("pull " + source + ": " + text);
            } else if (text.contains(": in the cache")) {
                err.println("pull " + text);
            }
            return;
        }
        lastDraw = now;
        String line = text.contains(": in the cache") ? "pull " + text : "pull " + source + ": " + text;
        err.print("\r" + line + "\033[K");
        err.flush();
        drawn = true;
    }

    private void finishLine() {
        if (terminal && drawn) {
            err.println();
            drawn = false;
        }
    }

    static String shortDigest(String digest) {
        return digest.startsWith("sha256:") && digest.length() > 19 ? digest.substring(0, 19) : digest;
    }

    static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024));
    }

    private static String seconds(long nanos) {
        return String.format(Locale.ROOT, "%.1f s", nanos / 1e9);
    }
}
