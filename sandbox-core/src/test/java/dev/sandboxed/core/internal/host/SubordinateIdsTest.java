package dev.sandboxed.core.internal.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SubordinateIdsTest {

    @Test
    void matchesByUserName() {
        List<IdRange> ranges = SubordinateIds.parse(List.of("alice:100000:65536", "bob:165536:65536"), "bob", 1001);
        assertThat(ranges).containsExactly(new IdRange(165536, 65536));
    }

    @Test
    void matchesByNumericUid() {
        List<IdRange> ranges = SubordinateIds.parse(List.of("alice:100000:65536", "1001:231072:65536"), "bob", 1001);
        assertThat(ranges).containsExactly(new IdRange(231072, 65536));
    }

    @Test
    void returnsEveryRangeOfTheUserInFileOrder() {
        List<IdRange> ranges = SubordinateIds.parse(
                List.of("bob:300000:1000", "alice:100000:65536", "1001:200000:65536", "bob:500000:10"), "bob", 1001);
        assertThat(ranges).containsExactly(new IdRange(300000, 1000), new IdRange(200000, 65536),
                new IdRange(500000, 10));
    }

    @Test
    void skipsCommentsAndBlankLinesAndTrimsWhitespace() {
        List<IdRange> ranges = SubordinateIds.parse(
                List.of("# bob:1:1", "", "   ", "  bob:100000:65536  ", "\t#bob:2:2"), "bob", 1001);
        assertThat(ranges).containsExactly(new IdRange(100000, 65536));
    }

    @Test
    void ignoresMalformedLinesWithoutFailing() {
        List<IdRange> ranges = SubordinateIds.parse(List.of(
                "bob",
                "bob:100000",
                "bob:100000:65536:extra",
                "bob:abc:65536",
                "bob:100000:-5",
                "bob:-1:10",
                "bob:100000:0",
                "bob:4294967295:2",
                "bob:99999999999999999999:1",
                "bob::65536",
                ":100000:65536",
                "bob:700000:65536"), "bob", 1001);
        assertThat(ranges).containsExactly(new IdRange(700000, 65536));
    }

    @Test
    void doesNotMatchNamePrefixesOrOtherUids() {
        List<IdRange> ranges = SubordinateIds.parse(List.of("bobby:1:1", "10010:2:2", "100:3:3"), "bob", 1001);
        assertThat(ranges).isEmpty();
    }

    @Test
    void readsSubuidAndSubgidFilesSeparately(@TempDir Path dir) throws Exception {
        Path subuid = Files.writeString(dir.resolve("subuid"), "bob:100000:65536\n");
        Path subgid = Files.writeString(dir.resolve("subgid"), "# gids\n1001:200000:1000\n");
        SubordinateIds ids = new SubordinateIds(subuid, subgid);

        assertThat(ids.uidRanges("bob", 1001)).containsExactly(new IdRange(100000, 65536));
        assertThat(ids.gidRanges("bob", 1001)).containsExactly(new IdRange(200000, 1000));
    }

    @Test
    void missingFilesMeanNoRanges(@TempDir Path dir) {
        SubordinateIds ids = new SubordinateIds(dir.resolve("nope-uid"), dir.resolve("nope-gid"));
        assertThat(ids.uidRanges("bob", 1001)).isEmpty();
        assertThat(ids.gidRanges("bob", 1001)).isEmpty();
    }

    @Test
    void idRangeDescribesItselfAsUsermodRange() {
        IdRange range = new IdRange(100000, 65536);
        assertThat(range.last()).isEqualTo(165535);
        assertThat(range).hasToString("100000-165535");
        assertThat(range.contains(100000)).isTrue();
        assertThat(range.contains(165535)).isTrue();
        assertThat(range.contains(165536)).isFalse();
        assertThat(range.contains(99999)).isFalse();
    }

    @Test
    void idRangeRejectsEmptyOrNegativeRanges() {
        assertThatThrownBy(() -> new IdRange(1, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new IdRange(-1, 5)).isInstanceOf(IllegalArgumentException.class);
    }
}
