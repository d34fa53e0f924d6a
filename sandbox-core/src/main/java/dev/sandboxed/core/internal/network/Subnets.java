package dev.sandboxed.core.internal.network;

import java.util.BitSet;

import dev.sandboxed.core.result.SandboxException;

/**
 * The /24s of this JVM's live networks, each 10.89.N.0/24: networks are separate namespaces with no route between
 * them, but distinct subnets keep an address unambiguous (in messages, and for a sandbox on two networks later).
 */
public final class Subnets {
    /** The third octet of the subnets handed out: 1 to 254. */
    private static final BitSet TAKEN = new BitSet(256);
    public static final int PREFIX = 24;

    private Subnets() {
    }

    /** A free subnet's third octet, taken until {@link #release}. */
    public static synchronized int take() {
        int n = TAKEN.nextClearBit(1);
        if (n > 254) {
            throw new SandboxException("create network: this JVM has 254 networks open already, the most it can"
                    + " address (10.89.1.0/24 to 10.89.254.0/24); close one first", 0);
        }
        TAKEN.set(n);
        return n;
    }

    public static synchronized void release(int n) {
        TAKEN.clear(n);
    }

    /** The address of host {@code host} (2 to 254) in subnet {@code n}. */
    public static String address(int n, int host) {
        return "10.89." + n + "." + host;
    }
}
