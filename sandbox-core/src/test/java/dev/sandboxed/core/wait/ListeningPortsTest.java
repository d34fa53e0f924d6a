package dev.sandboxed.core.wait;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

/** The kernel's socket table lines, as Linux 6.x writes them. */
class ListeningPortsTest {
    private static final String HEADER = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode";

    @Test
    void findsListeningSocketsOnlyInTheListenState() {
        List<String> tcp = List.of(HEADER,
                "   0: 00000000:1538 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1001        0 4456390 1",
                "   1: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000  1001        0 4456391 1");
        assertThat(ListeningPorts.listens(tcp, 5432)).isTrue();
        assertThat(ListeningPorts.listens(tcp, 8080)).as("an established connection").isFalse();
        List<String> tcp6 = List.of(HEADER, "   0: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A"
                + " 00000000:00000000 00:00000000 00000000  1001        0 4456392 1");
        assertThat(ListeningPorts.listens(tcp6, 8080)).isTrue();
        assertThat(ListeningPorts.listens(List.of(HEADER, "garbage", ""), 80)).isFalse();
    }
}
