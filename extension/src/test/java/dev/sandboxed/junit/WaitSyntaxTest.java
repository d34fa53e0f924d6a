package dev.sandboxed.junit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The http: form of waitFor; the other forms are covered where containers use them (ServiceTest, BadSettingsTest). */
class WaitSyntaxTest {
    @Test
    void httpTakesAPortAPathAndStatuses() {
        assertThat(WaitSyntax.parse("http:8080")).hasToString("an HTTP GET of / on port 8080 to answer 200");
        assertThat(WaitSyntax.parse(" http:8080/health ")).hasToString("an HTTP GET of /health on port 8080 to answer 200");
        assertThat(WaitSyntax.parse("HTTP:80/ready=200,204")).hasToString("an HTTP GET of /ready on port 80 to answer 200 or 204");
        // An = followed by other than status codes belongs to the path; a query ending in digits needs the statuses.
        assertThat(WaitSyntax.parse("http:80/q?a=b")).hasToString("an HTTP GET of /q?a=b on port 80 to answer 200");
        assertThat(WaitSyntax.parse("http:80/q?n=5=200")).hasToString("an HTTP GET of /q?n=5 on port 80 to answer 200");
    }

    @Test
    void badHttpFormsNameWhatIsWrong() {
        assertThatThrownBy(() -> WaitSyntax.parse("http:0/x")).isInstanceOf(SandboxedConfigurationException.class)
                .hasMessageContaining("'http:0/x' does not start with a port between 1 and 65535; expected port:PORT");
        assertThatThrownBy(() -> WaitSyntax.parse("http:8080/x=999"))
                .hasMessageContaining("'http:8080/x=999' has a bad status code 999 is not between 100 and 599");
        assertThatThrownBy(() -> WaitSyntax.parse("http:8080/a b")).hasMessageContaining("has spaces");
        assertThatThrownBy(() -> WaitSyntax.parse("http:")).hasMessageContaining("'http:' gives no value after 'http:'");
    }
}
