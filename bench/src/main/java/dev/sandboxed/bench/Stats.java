package dev.sandboxed.bench;

import java.util.Arrays;

/**
 * Summary of one case's timings, in milliseconds. Percentiles use the nearest-rank method on the sorted
 * samples (p50 of 200 samples is the 100th smallest, p90 the 180th).
 */
public record Stats(int n, double minMs, double medianMs, double p90Ms, double maxMs, double meanMs) {

    public static Stats of(long[] nanos) {
        if (nanos.length == 0) {
            throw new IllegalArgumentException("no samples");
        }
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        double sum = 0;
        for (long v : sorted) {
            sum += v;
        }
        return new Stats(sorted.length, ms(sorted[0]), ms(percentile(sorted, 50)), ms(percentile(sorted, 90)),
                ms(sorted[sorted.length - 1]), sum / sorted.length / 1e6);
    }

    /**
     * The median of the per-round differences {@code with[i] - without[i]}, in ms. Both cases ran in the same
     * round, moments apart, so the machine's slow drift (which moves every median by up to a quarter between
     * runs here) cancels out; the difference of two medians keeps it.
     */
    public static double pairedMedianDifferenceMs(long[] with, long[] without) {
        int n = Math.min(with.length, without.length);
        long[] d = new long[n];
        for (int i = 0; i < n; i++) {
            d[i] = with[i] - without[i];
        }
        Arrays.sort(d);
        return ms(n % 2 == 1 ? d[n / 2] : (d[n / 2 - 1] + d[n / 2]) / 2);
    }

    /** Nearest rank: the smallest sample with at least p percent of the samples at or below it. */
    static long percentile(long[] sorted, double p) {
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }
}
