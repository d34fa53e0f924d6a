package dev.sandboxed.core.image;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Deque;
import java.util.List;
import java.util.Optional;

/**
 * Reads a file of an image the way the sandbox sees it (the layers stacked as overlayfs stacks them), without
 * ever leaving the image: every component is looked up with lstat in each layer, symbolic links are followed by
 * reading them and resolving their text inside the image's root (an absolute link or {@code ..} stops at the
 * root, as openat2's RESOLVE_IN_ROOT does), whiteouts and opaque directories hide lower layers.
 */
final class LayerFiles {
    private static final int MAX_LINKS = 40;
    private static final long MAX_SIZE = 16 << 20;
    private final List<Path> layersTopFirst;

    LayerFiles(List<Path> layersBottomFirst) {
        List<Path> copy = new ArrayList<>(layersBottomFirst);
        Collections.reverse(copy);
        this.layersTopFirst = copy;
    }

    /** The content of the regular file at {@code absolutePath}, if there is one. */
    Optional<byte[]> read(String absolutePath) throws IOException {
        Optional<Path> file = resolve(absolutePath);
        if (file.isEmpty()) {
            return Optional.empty();
        }
        BasicFileAttributes attrs = Files.readAttributes(file.get(), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (!attrs.isRegularFile() || attrs.size() > MAX_SIZE) {
            return Optional.empty();
        }
        try (InputStream in = Files.newInputStream(file.get(), LinkOption.NOFOLLOW_LINKS)) {
            return Optional.of(in.readNBytes((int) MAX_SIZE));
        }
    }

    /** The host path of what {@code absolutePath} names inside the image, links followed inside it. */
    Optional<Path> resolve(String absolutePath) throws IOException {
        Deque<String> todo = new ArrayDeque<>(components(absolutePath));
        List<String> resolved = new ArrayList<>();
        Path found = null;
        int links = 0;
        while (!todo.isEmpty()) {
            String name = todo.pollFirst();
            if (name.equals("..")) {
                if (!resolved.isEmpty()) {
                    resolved.remove(resolved.size() - 1);
                }
                found = null;
                continue;
            }
            resolved.add(name);
            Optional<Path> entry = lookup(resolved);
            if (entry.isEmpty()) {
                return Optional.empty();
            }
            found = entry.get();
            if (Files.isSymbolicLink(found)) {
                if (++links > MAX_LINKS) {
                    throw new IOException("too many levels of symbolic links in " + absolutePath);
                }
                String target = Files.readSymbolicLink(found).toString();
                resolved.remove(resolved.size() - 1);
                if (target.startsWith("/")) {
                    resolved.clear();
                }
                List<String> parts = components(target);
                for (int i = parts.size() - 1; i >= 0; i--) {
                    todo.addFirst(parts.get(i));
                }
                found = null;
            } else if (!todo.isEmpty() && !Files.isDirectory(found, LinkOption.NOFOLLOW_LINKS)) {
                return Optional.empty();
            }
        }
        return Optional.ofNullable(found);
    }

    /** The topmost layer's entry at `path` (every parent already a directory of the merged view), if visible. */
    private Optional<Path> lookup(List<String> path) throws IOException {
        String name = path.get(path.size() - 1);
        for (Path layer : layersTopFirst) {
            Path dir = layer;
            boolean parentsAreDirectories = true;
            for (String part : path.subList(0, path.size() - 1)) {
                dir = dir.resolve(part);
                if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                    parentsAreDirectories = false;
                    break;
                }
            }
            if (!parentsAreDirectories) {
                if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS) || whiteout(dir)) {
                    return Optional.empty(); // a file or whiteout in this layer hides the lower directories
                }
                continue;
            }
            Path entry = dir.resolve(name);
            try {
                BasicFileAttributes attrs = Files.readAttributes(entry, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                if (attrs.isOther() && whiteout(entry)) {
                    return Optional.empty();
                }
                return Optional.of(entry);
            } catch (NoSuchFileException e) {
                if (opaque(dir)) {
                    return Optional.empty();
                }
            }
        }
        return Optional.empty();
    }

    /** A character device 0:0 is an overlayfs whiteout; the extraction makes no other device node. */
    private static boolean whiteout(Path p) throws IOException {
        try {
            Object rdev = Files.getAttribute(p, "unix:rdev", LinkOption.NOFOLLOW_LINKS);
            int mode = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            return (mode & 0170000) == 0020000 && ((Long) rdev) == 0L;
        } catch (NoSuchFileException e) {
            return false;
        }
    }

    private static boolean opaque(Path dir) {
        try {
            UserDefinedFileAttributeView view = Files.getFileAttributeView(dir, UserDefinedFileAttributeView.class,
                    LinkOption.NOFOLLOW_LINKS);
            if (view == null || !view.list().contains("overlay.opaque")) {
                return false;
            }
            ByteBuffer value = ByteBuffer.allocate(8);
            view.read("overlay.opaque", value);
            return value.position() == 1 && value.get(0) == 'y';
        } catch (IOException e) {
            return false;
        }
    }

    private static List<String> components(String path) {
        List<String> parts = new ArrayList<>(Arrays.asList(path.split("/")));
        parts.removeIf(p -> p.isEmpty() || p.equals("."));
        return parts;
    }
}
