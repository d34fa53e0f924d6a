package dev.sandboxed.core.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.Random;

import org.junit.jupiter.api.Test;

class BoundedOutputTest {

    @Test
    void keepsEverythingWithinTheLimit() {
        BoundedOutput out = new BoundedOutput(10);
        out.write(bytes(0, 10), 0, 10);
        assertThat(out.captured().bytes()).isEqualTo(bytes(0, 10));
        assertThat(out.captured().droppedBytes()).isZero();
    }

    @Test
    void keepsHeadAndTailAndCountsTheMiddle() {
        BoundedOutput out = new BoundedOutput(10);
        out.write(bytes(0, 100), 0, 100);
        BoundedOutput.Captured c = out.captured();
        assertThat(c.bytes()).isEqualTo(concat(bytes(0, 5), bytes(95, 5)));
        assertThat(c.droppedBytes()).isEqualTo(90);
    }

    @Test
    void anySplitIntoWritesKeepsTheSameHeadAndTail() {
        Random random = new Random(42);
        for (int round = 0; round < 200; round++) {
            int limit = random.nextInt(40);
            byte[] all = new byte[random.nextInt(300)];
            random.nextBytes(all);
            BoundedOutput out = new BoundedOutput(limit);
            for (int pos = 0; pos < all.length;) {
                int n = Math.min(all.length - pos, random.nextInt(50));
                out.write(all, pos, n);
                pos += n;
            }
            int head = limit - limit / 2;
            int tail = limit / 2;
            byte[] expected = all.length <= limit ? all
                    : concat(Arrays.copyOf(all, head), Arrays.copyOfRange(all, all.length - tail, all.length));
            assertThat(out.captured().bytes()).isEqualTo(expected);
            assertThat(out.captured().droppedBytes()).isEqualTo(Math.max(0, all.length - limit));
        }
    }

    @Test
    void aZeroLimitKeepsNothingAndCountsAll() {
        BoundedOutput out = new BoundedOutput(0);
        out.write(bytes(0, 7), 0, 7);
        assertThat(out.captured().bytes()).isEmpty();
        assertThat(out.captured().droppedBytes()).isEqualTo(7);
    }

    private static byte[] bytes(int from, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (from + i);
        }
        return b;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(a);
        out.writeBytes(b);
        return out.toByteArray();
    }
}
