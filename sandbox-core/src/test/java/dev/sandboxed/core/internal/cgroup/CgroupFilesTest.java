package dev.sandboxed.core.internal.cgroup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalLong;

import org.junit.jupiter.api.Test;

import dev.sandboxed.core.spec.SpecException;

/** Parsing of the kernel's flat-keyed files and the names of sandbox cgroups, both on every sandbox's path. */
class CgroupFilesTest {

    @Test
    void flatKeyedLinesGiveTheirNumbersAndSkipWhatIsNotAPairWithANumber() {
        String content = "cache 4096\nrss\t8192\n  mapped_file   12  \nmax_entry max\n\nthree words here\nname text\nlone\n"
                + "tabbed\t \t7\r\n";
        assertThat(CgroupFiles.parseFlatKeyed(content)).containsExactly(Map.entry("cache", 4096L), Map.entry("rss", 8192L),
                Map.entry("mapped_file", 12L), Map.entry("max_entry", Long.MAX_VALUE), Map.entry("tabbed", 7L));
    }

    @Test
    void theHostsMemoryStatParsesAsARegexSplitWould() throws IOException {
        for (Path stat : new Path[] {Path.of("/sys/fs/cgroup/memory/memory.stat"), Path.of("/proc/self/status")}) {
            if (Files.isReadable(stat)) {
                String content = Files.readString(stat);
                assertThat(CgroupFiles.parseFlatKeyed(content)).as(stat.toString()).isEqualTo(byRegex(content));
            }
        }
        String odd = "a \u000B 1\nb\f2\nc 3 \u000B\nd\u00A04\n e \t 5\t\n";
        assertThat(CgroupFiles.parseFlatKeyed(odd)).isEqualTo(byRegex(odd));
    }

    @Test
    void directoryNamesKeepSafeCharactersAndReplaceTheRest() {
        assertThat(SandboxNames.directoryName("a1B2-c_d.e")).isEqualTo("sandboxed-a1B2-c_d.e");
        assertThat(SandboxNames.directoryName("../x/y z\u00e9")).isEqualTo("sandboxed-.._x_y_z_");
        assertThat(SandboxNames.directoryName("a\uD83D\uDE00b")).as("a character outside the BMP")
                .isEqualTo("sandboxed-a_b");
        assertThatThrownBy(() -> SandboxNames.directoryName(" ")).isInstanceOf(SpecException.class)
                .hasMessageContaining("sandboxId");
        assertThatThrownBy(() -> SandboxNames.directoryName("x".repeat(201))).isInstanceOf(SpecException.class)
                .hasMessageContaining("at most 200");
    }

    /** What parseFlatKeyed did before it split by hand. */
    private static Map<String, Long> byRegex(String content) {
        Map<String, Long> out = new LinkedHashMap<>();
        for (String line : content.split("\n")) {
            String[] kv = line.strip().split("\\s+");
            if (kv.length == 2) {
                OptionalLong v = CgroupFiles.parseSingle(kv[1]);
                if (v.isPresent()) {
                    out.put(kv[0], v.getAsLong());
                }
            }
        }
        return out;
    }
}
