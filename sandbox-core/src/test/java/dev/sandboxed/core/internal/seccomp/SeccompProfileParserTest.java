package dev.sandboxed.core.internal.seccomp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.sandboxed.core.spec.SpecException;

/** Bad profiles are rejected with a SpecException that names the field and what is allowed. */
class SeccompProfileParserTest {

    private static Path resource(String name) {
        try {
            return Path.of(SeccompProfileParserTest.class.getResource("/seccomp/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static SpecException rejection(String file) {
        Throwable thrown = Assertions.catchThrowable(() -> SeccompProfiles.named(resource(file).toString()));
        assertThat(thrown).isInstanceOf(SpecException.class);
        return (SpecException) thrown;
    }

    @Test
    void unknownActionNamesTheFieldAndTheAllowedActions() {
        SpecException e = rejection("unknown-action.json");
        assertThat(e.field()).isEqualTo("seccomp.syscalls[1].action");
        assertThat(e.getMessage()).contains("SCMP_ACT_PERMIT").contains("SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO",
                "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY");
    }

    @Test
    void unknownOperatorNamesTheFieldAndTheAllowedOperators() {
        SpecException e = rejection("unknown-op.json");
        assertThat(e.field()).isEqualTo("seccomp.syscalls[0].args[1].op");
        assertThat(e.getMessage()).contains("SCMP_CMP_BETWEEN").contains("SCMP_CMP_EQ", "SCMP_CMP_NE", "SCMP_CMP_LT",
                "SCMP_CMP_LE", "SCMP_CMP_GT", "SCMP_CMP_GE", "SCMP_CMP_MASKED_EQ");
    }

    @Test
    void malformedJsonSaysWhere() {
        SpecException e = rejection("malformed.json");
        assertThat(e.field()).isEqualTo("seccomp");
        assertThat(e.getMessage()).contains("not valid JSON").contains("malformed.json").contains("line 4");
    }

    @Test
    void missingFileNamesTheFileAndTheBuiltInProfiles(@TempDir Path dir) {
        Path missing = dir.resolve("nope.json");
        assertThatThrownBy(() -> SeccompProfiles.named(missing.toString()))
                .isInstanceOf(SpecException.class)
                .hasMessageContaining(missing.toString()).hasMessageContaining("does not exist")
                .hasMessageContaining("default").hasMessageContaining("unconfined");
    }

    @Test
    void otherBadFields() {
        assertThat(rejection("bad-index.json").field()).isEqualTo("seccomp.syscalls[0].args[0].index");
        SpecException arch = rejection("unknown-arch.json");
        assertThat(arch.field()).isEqualTo("seccomp.architectures");
        assertThat(arch.getMessage()).contains("SCMP_ARCH_Z80").contains("SCMP_ARCH_X86_64", "SCMP_ARCH_AARCH64");
        assertThat(rejection("both-arch-fields.json").getMessage()).contains("either architectures or archMap");
        assertThat(rejection("bad-errno.json").field()).isEqualTo("seccomp.defaultErrnoRet");
        assertThat(rejection("notify-default.json").field()).isEqualTo("seccomp.defaultAction");
    }

    @Test
    void emptyNameAndNonObjectJsonAreRejected(@TempDir Path dir) throws IOException {
        assertThatThrownBy(() -> SeccompProfiles.named(" ")).isInstanceOf(SpecException.class).hasMessageContaining("default");
        Path array = Files.writeString(dir.resolve("array.json"), "[1, 2]");
        assertThatThrownBy(() -> SeccompProfiles.named(array.toString())).isInstanceOf(SpecException.class)
                .hasMessageContaining("defaultAction");
        Path noDefault = Files.writeString(dir.resolve("nodefault.json"), "{\"syscalls\": []}");
        assertThatThrownBy(() -> SeccompProfiles.named(noDefault.toString())).isInstanceOf(SpecException.class)
                .hasMessageContaining("seccomp.defaultAction");
    }

    @Test
    void aChangedFileIsReadAgain(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("p.json"), "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": []}");
        OciProfile first = SeccompProfiles.fromFile(file);
        assertThat(SeccompProfiles.fromFile(file)).isSameAs(first);
        Files.writeString(file, "{\"defaultAction\": \"SCMP_ACT_KILL_PROCESS\", \"syscalls\": [] }");
        assertThat(SeccompProfiles.fromFile(file).defaultAction()).isEqualTo(SeccompAction.KILL_PROCESS);
    }
}
