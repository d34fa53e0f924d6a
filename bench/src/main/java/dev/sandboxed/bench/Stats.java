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

    /** How far the slow tail reaches: p90 / median. */
    public double spread() {
        return p90Ms / medianMs;
    }

    /**
     * The median of the per-round differences {@code with[i] - without[i]}, in ms. Both cases ran in the same
     * round, moments apart, so the machine's slow drift (which moves every median by up to a quarter between
     * runs here) cancels out; the difference of two medians keeps it.
     */
    public static double pairedMedianDifferenceMs(long[] with, long[] without) {
        int n = Math.min(with.length, without.length);
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
            d[i] = with[i] - without[i];
        }
        return median(d) / 1e6;
    }

    /** The median of the per-round ratios {@code a[i] / b[i]}: like the paired difference, free of slow drift. */
    public static double pairedMedianRatio(long[] a, long[] b) {
        int n = Math.min(a.length, b.length);
        double[] r = new double[n];
        for (int i = 0; i < n; i++) {
            r[i] = (double) a[i] / b[i];
        }
        return median(r);
    }

    /** The median (mean of the middle two for an even count). */
    public static double median(double[] values) {
        if (values.length == 0) {
            throw new IllegalArgumentException("no values");
        }
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /** Nearest rank, as for samples: the p90 of 5 values is the largest. */
    public static double percentile(double[] values, double p) {
        if (values.length == 0) {
            throw new IllegalArgumentException("no values");
        }
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
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
