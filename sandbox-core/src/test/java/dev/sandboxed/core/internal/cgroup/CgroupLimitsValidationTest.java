package dev.sandboxed.core.internal.cgroup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;

import org.assertj.core.api.ThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.sandboxed.core.spec.IoMax;
import dev.sandboxed.core.spec.ResourceLimits;
import dev.sandboxed.core.spec.SpecException;

/** Limits that are wrong on every host are rejected, naming the field, before anything is created. */
class CgroupLimitsValidationTest {
    static final ResourceLimits R = ResourceLimits.NONE;

    private static void rejected(ResourceLimits l, String field, String text) {
        assertThatThrownBy(() -> LimitsValidator.validate(l)).isInstanceOf(SpecException.class)
                .hasMessageContaining(text).extracting(e -> ((SpecException) e).field()).isEqualTo(field);
    }

    @Test
    void rejectsBadCpus() {
        rejected(R.withCpus(0), "limits.cpus", "positive");
        rejected(R.withCpus(-1), "limits.cpus", "positive");
        rejected(R.withCpus(Double.NaN), "limits.cpus", "positive");
        rejected(R.withCpus(Double.POSITIVE_INFINITY), "limits.cpus", "positive");
        rejected(R.withCpus(0.004), "limits.cpus", "at least 0.01");
        rejected(R.withCpus(5000), "limits.cpus", "at most 4096");
    }

    @Test
    void rejectsTinyOrInconsistentMemory() {
        rejected(R.withMemoryMax(64), "limits.memoryMax", "not MiB");
        rejected(R.withMemoryMax((4L << 20) - 1), "limits.memoryMax", "minimum is 4194304");
        rejected(R.withMemoryHigh(1000), "limits.memoryHigh", "minimum");
        rejected(R.withMemoryMax(64L << 20).withMemoryHigh(128L << 20), "limits.memoryHigh", "<= memoryMax");
        rejected(R.withMemorySwapMax(-1), "limits.memorySwapMax", ">= 0");
    }

    @Test
    void rejectsBadWeightsPidsAndCpusets() {
        rejected(R.withCpuWeight(0), "limits.cpuWeight", "between 1 and 10000");
        rejected(R.withCpuWeight(10001), "limits.cpuWeight", "between 1 and 10000");
        rejected(R.withIoWeight(0), "limits.ioWeight", "between 1 and 10000");
        rejected(R.withPidsMax(0), "limits.pidsMax", ">= 2");
        rejected(R.withPidsMax(1), "limits.pidsMax", "init and the command");
        rejected(R.withCpuset("0-a", null), "limits.cpusetCpus", "list like");
        rejected(R.withCpuset("3-1", null), "limits.cpusetCpus", "reversed");
        rejected(R.withCpuset(null, "0;1"), "limits.cpusetMems", "list like");
        rejected(null, "limits", "ResourceLimits.NONE");
    }

    @Test
    void rejectsIoMaxWithoutADeviceNumberOrALimit() {
        ioMaxRejected(() -> IoMax.of("/dev/sda").readBps(1).build(), "limits.ioMax.device", "MAJOR:MINOR such as 8:0");
        ioMaxRejected(() -> IoMax.of("8:0").build(), "limits.ioMax", "has no limit");
        ioMaxRejected(() -> IoMax.of("8:0").writeIops(0).build(), "limits.ioMax.writeIops", ">= 1 per second");
        ioMaxRejected(() -> IoMax.forDevice(Path.of("/etc/passwd")), "limits.ioMax.device", "not a block device");
    }

    @Test
    void ioMaxReplacesTheLimitsOfTheSameDevice() {
        ResourceLimits l = R.withIoMax(IoMax.of("8:0").readBps(100).build()).withIoMax(IoMax.of("8:16").readIops(5).build())
                .withIoMax(IoMax.of("8:0").writeBps(7).build());
        assertThat(l.ioMax()).extracting(IoMax::ioMaxLine).containsExactly("8:16 riops=5", "8:0 wbps=7");
        assertThat(l.isEmpty()).isFalse();
        assertThat(Controllers.requiredV2(l)).contains("io");
        assertThat(Controllers.requiredV1(l)).contains("blkio");
    }

    private static void ioMaxRejected(ThrowableAssert.ThrowingCallable build, String field, String text) {
        assertThatThrownBy(build).isInstanceOf(SpecException.class).hasMessageContaining(text)
                .extracting(e -> ((SpecException) e).field()).isEqualTo(field);
    }

    @Test
    void acceptsBoundaries() {
        assertThatCode(() -> LimitsValidator.validate(R.withCpus(0.01).withMemoryMax(4L << 20).withMemoryHigh(4L << 20)
                .withMemorySwapMax(0).withCpuWeight(1).withIoWeight(10000).withPidsMax(2).withCpuset("0-1,3", "0")))
                .doesNotThrowAnyException();
        assertThat(LimitsValidator.cpuQuotaUsec(0.333)).isEqualTo(33300);
    }

    @Test
    void managersValidateBeforeTouchingTheHost(@TempDir Path tmp) throws Exception {
        FakeCgroup2Kernel k = new FakeCgroup2Kernel(tmp.resolve("cg"), 1000);
        k.chain("/a.scope", "memory pids", 1000, 42);
        CgroupManager m = CgroupManager.detect(k.config(tmp, "/a.scope").build());
        assertThatThrownBy(() -> m.create("x", R.withCpus(0))).isInstanceOf(SpecException.class);
        assertThatThrownBy(() -> m.check(R.withPidsMax(-3))).isInstanceOf(SpecException.class);
        assertThatThrownBy(() -> m.create(" ", R)).isInstanceOf(SpecException.class)
                .extracting(e -> ((SpecException) e).field()).isEqualTo("sandboxId");
        assertThatThrownBy(() -> CgroupManager.none().create("x", R.withCpus(-2)))
                .isInstanceOf(SpecException.class);
        assertThat(k.writes).isEmpty();
        assertThat(k.allCgroups()).containsExactly("a.scope");
    }

    @Test
    void v1ConversionsMatchTheOciMappings() {
        assertThat(V1Limits.sharesFromWeight(1)).isEqualTo(2);
        assertThat(V1Limits.sharesFromWeight(100)).isEqualTo(2597);
        assertThat(V1Limits.sharesFromWeight(10000)).isEqualTo(262144);
        assertThat(V1Limits.blkioWeightFromIoWeight(1)).isEqualTo(10);
        assertThat(V1Limits.blkioWeightFromIoWeight(10000)).isEqualTo(1000);
    }
}
