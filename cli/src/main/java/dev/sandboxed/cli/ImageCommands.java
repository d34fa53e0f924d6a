package dev.sandboxed.cli;

import java.io.PrintStream;
import java.util.List;

import dev.sandboxed.core.Images;
import dev.sandboxed.core.image.Image;
import dev.sandboxed.core.image.ImageSource;
import dev.sandboxed.core.image.PruneResult;
import dev.sandboxed.core.image.PullListener;
import dev.sandboxed.core.spec.Sizes;

/** {@code sandboxed pull REF} and {@code sandboxed images [--digests] | images rm REF | images prune}. */
final class ImageCommands {
    static final String USAGE = """
            usage: sandboxed pull REF                 REF: [REGISTRY/]NAME[:TAG][@DIGEST], oci:PATH[:TAG], docker-archive:PATH
                   sandboxed images [--digests]       list the pulled images
                   sandboxed images rm REF            forget REF and delete the layers no other image uses
                   sandboxed images prune [--max-size SIZE]
                                                      remove the images no running sandbox uses, least recently
                                                      used first, until the cache takes at most SIZE (default 0:
                                                      every unused image), and every layer no image uses""";
    private final PrintStream out;
    private final PrintStream err;

    ImageCommands(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    /** Pull progress on stderr: one line per layer, or a redrawn line on a terminal (see {@link PullProgress}). */
    static PullListener progress(PrintStream err) {
        return PullProgress.forStderr(err);
    }

    int pull(List<String> args) {
        if (args.size() != 1 || args.get(0).startsWith("-")) {
            throw new UsageException("pull takes one image reference\n" + USAGE);
        }
        // Like docker pull: ask the source again, so a moved tag is followed (unchanged layers stay cached).
        Image image = Images.defaults().pull(ImageSource.parse(args.get(0)), progress(err), true);
        out.println(image.source() + "@" + image.digest());
        return 0;
    }

    int images(List<String> args) {
        if (!args.isEmpty() && args.get(0).equals("prune")) {
            return prune(args.subList(1, args.size()));
        }
        if (args.size() == 2 && args.get(0).equals("rm")) {
            if (!Images.defaults().remove(args.get(1))) {
                err.println("sandboxed: " + args.get(1) + " is not pulled");
                return 1;
            }
            return 0;
        }
        boolean digests = args.equals(List.of("--digests"));
        if (!args.isEmpty() && !digests) {
            throw new UsageException("unknown arguments " + args + "\n" + USAGE);
        }
        out.println(String.format("%-50s %-14s %-16s %10s", "SOURCE", "IMAGE ID", "PLATFORM", "SIZE")
                + (digests ? " DIGEST" : ""));
        for (Image image : Images.defaults().list()) {
            out.println(String.format("%-50s %-14s %-16s %10s", image.source(), image.id().substring(7, 19),
                    image.platform(), human(image.size())) + (digests ? " " + image.digest() : ""));
        }
        return 0;
    }

    private int prune(List<String> args) {
        long max = 0;
        if (args.size() == 2 && args.get(0).equals("--max-size")) {
            max = Sizes.parseBytes("--max-size", args.get(1));
        } else if (args.size() == 1 && args.get(0).startsWith("--max-size=")) {
            max = Sizes.parseBytes("--max-size", args.get(0).substring("--max-size=".length()));
        } else if (!args.isEmpty()) {
            throw new UsageException("images prune takes only --max-size SIZE (e.g. 10g, 500m), not " + args + "\n" + USAGE);
        }
        PruneResult r = Images.defaults().prune(max);
        for (String source : r.removedImages()) {
            out.println("removed " + source);
        }
        for (String layer : r.removedLayers()) {
            out.println("deleted layer " + layer);
        }
        out.println("Total reclaimed space: " + human(r.reclaimedBytes()) + " (the cache now takes "
                + human(r.remainingBytes()) + ")");
        return 0;
    }

    private static String human(long bytes) {
        if (bytes < 1024 * 1024) {
            return String.format("%.1fkB", bytes / 1024.0);
        }
        return String.format("%.1fMB", bytes / (1024.0 * 1024));
    }
}
