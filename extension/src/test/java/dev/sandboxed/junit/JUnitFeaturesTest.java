package dev.sandboxed.junit;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class JUnitFeaturesTest {
    @Test
    void theBuildsJUnitHasEverything() {
        assertThat(JUnitFeatures.INSTANTIATION_SCOPE).isTrue();
        assertThat(JUnitFeatures.PUBLISH_FILE).isTrue();
        assertThat(JUnitFeatures.missing(true, true)).isEmpty();
    }

    @Test
    void eachMissingFeatureSaysWhichVersionAndWhatChanges() {
        assertThat(JUnitFeatures.missing(false, true)).singleElement().asString()
                .contains("older than 5.12", "constructor parameter", "per test class", "jvm = true", "built in this JVM");
        assertThat(JUnitFeatures.missing(true, false)).singleElement().asString()
                .contains("older than 5.14", "not published as a file");
        assertThat(JUnitFeatures.missing(false, false)).hasSize(2);
    }
}
