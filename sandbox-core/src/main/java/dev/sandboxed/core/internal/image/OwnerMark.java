package dev.sandboxed.core.internal.image;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.sandboxed.core.internal.host.IdRange;

/**
 * What a rootless layer directory records when its files were given owners other than the caller: the subordinate
 * uid and gid starts they were mapped with and the highest id used, in the {@code user.sandboxed.owners} attribute of
 * the layer's own directory (so it goes wherever the layer goes, and is gone with it). A sandbox can show those owners
 * only with the same mapping: {@link #fits} says whether the host's ranges still give it.
 *
 * @param uidStart the host uid that id 1 was mapped to
 * @param gidStart the host gid that id 1 was mapped to
 * @param highest  the highest uid or gid the layer's files have
 */
public record OwnerMark(long uidStart, long gidStart, long highest) {
    static final String ATTRIBUTE = "sandboxed.owners"; // user.sandboxed.owners
    private static final Pattern FORM = Pattern.compile("uid=(\\d{1,10}) gid=(\\d{1,10}) max=(\\d{1,10})");

    /** Records this mark on a layer directory. */
    public void write(Path layer) throws IOException {
        view(layer).write(ATTRIBUTE, ByteBuffer.wrap(text().getBytes(StandardCharsets.US_ASCII)));
    }

    /** The mark of a layer directory; empty when its files are all the caller's (or it was extracted as root). */
    public static Optional<OwnerMark> read(Path layer) {
        try {
            UserDefinedFileAttributeView view = view(layer);
            if (!view.list().contains(ATTRIBUTE)) {
                return Optional.empty();
            }
            ByteBuffer buffer = ByteBuffer.allocate(Math.min(view.size(ATTRIBUTE), 256));
            view.read(ATTRIBUTE, buffer);
            String text = new String(buffer.array(), 0, buffer.position(), StandardCharsets.US_ASCII);
            Matcher m = FORM.matcher(text);
            if (!m.matches()) {
                throw new IllegalStateException("layer " + layer + ": unreadable " + "user." + ATTRIBUTE + " '" + text
                        + "'; remove the image and pull it again");
            }
            return Optional.of(new OwnerMark(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)),
                    Long.parseLong(m.group(3))));
        } catch (FileSystemException e) {
            return Optional.empty(); // no attributes on this file system: nothing was marked either
        } catch (IOException e) {
            throw new IllegalStateException("layer " + layer + ": read user." + ATTRIBUTE + ": " + e.getMessage(), e);
        }
    }

    /** The marks of an image's layers that have one. */
    public static List<OwnerMark> of(List<Path> layers) {
        return layers.stream().map(OwnerMark::read).flatMap(Optional::stream).toList();
    }

    /** Whether a RANGE sandbox with these ranges maps every id the layer uses to the host ids it was given. */
    public boolean fits(Optional<IdRange> uids, Optional<IdRange> gids) {
        return uids.isPresent() && gids.isPresent() && uids.get().start() == uidStart && gids.get().start() == gidStart
                && Math.min(OwnerPolicy.MAX_INSIDE, Math.min(uids.get().count(), gids.get().count())) >= highest;
    }

    /** {@code uid=100000 gid=100000 max=999}: the attribute's text. */
    public String text() {
        return "uid=" + uidStart + " gid=" + gidStart + " max=" + highest;
    }

    private static UserDefinedFileAttributeView view(Path layer) {
        return Files.getFileAttributeView(layer, UserDefinedFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
    }
}
