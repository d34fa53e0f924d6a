package dev.sandboxed.core.internal.runtime;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;

/**
 * A process's output as kept in memory: at most {@code limit} bytes, the first half and the last half of what was
 * written, with the count of the bytes dropped between them. Synchronized: the thread collecting a process may be
 * another than the one that takes what was collected (a spawned process's streams, a keeper's relay).
 */
final class BoundedOutput extends OutputStream {
    /** What was kept, head then tail, and how many bytes were dropped between them. */
    record Captured(byte[] bytes, long droppedBytes) {
    }

    private final int headLimit;
    private final int tailLimit;
    private final ByteArrayOutputStream head = new ByteArrayOutputStream();
    /** A ring of the last bytes, made once the head is full. */
    private byte[] tail;
    private int tailStart;
    private int tailSize;
    private long dropped;

    BoundedOutput(int limit) {
        this.headLimit = limit - limit / 2;
        this.tailLimit = limit / 2;
    }

    @Override
    public void write(int b) {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) {
        int toHead = Math.min(len, headLimit - head.size());
        head.write(b, off, toHead);
        if (toHead < len) {
            writeTail(b, off + toHead, len - toHead);
        }
    }

    private void writeTail(byte[] b, int off, int len) {
        if (tailLimit == 0) {
            dropped += len;
            return;
        }
        if (tail == null) {
            tail = new byte[tailLimit];
        }
        if (len > tailLimit) {
            dropped += len - tailLimit;
            off += len - tailLimit;
            len = tailLimit;
        }
        int overwritten = Math.max(0, tailSize + len - tailLimit);
        int pos = (tailStart + tailSize) % tailLimit;
        int first = Math.min(len, tailLimit - pos);
        System.arraycopy(b, off, tail, pos, first);
        System.arraycopy(b, off + first, tail, 0, len - first);
        dropped += overwritten;
        tailSize = Math.min(tailLimit, tailSize + len);
        tailStart = (tailStart + overwritten) % tailLimit;
    }

    synchronized Captured captured() {
        byte[] all = new byte[head.size() + tailSize];
        System.arraycopy(head.toByteArray(), 0, all, 0, head.size());
        int first = Math.min(tailSize, tailLimit - tailStart);
        if (tailSize > 0) {
            System.arraycopy(tail, tailStart, all, head.size(), first);
            System.arraycopy(tail, 0, all, head.size() + first, tailSize - first);
        }
        return new Captured(all, dropped);
    }
}
