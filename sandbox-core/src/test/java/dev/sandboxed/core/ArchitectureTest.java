package dev.sandboxed.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.module.ModuleDescriptor;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.spi.ToolProvider;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The package structure, as jdeps reads it from the compiled classes: dependencies point one way (API, then
 * internals, then result and spec), and the module exports only the API.
 */
class ArchitectureTest {
    private static final String CORE = "dev.sandboxed.core";
    private static final Pattern EDGE = Pattern.compile("^\\s*(dev\\.sandboxed\\.core[\\w.]*)\\s+->\\s+(dev\\.sandboxed\\.core[\\w.]*)\\s");
    private static Map<String, Set<String>> graph;

    @BeforeAll
    static void readDependencies() throws Exception {
        Path classes = Path.of(Sandbox.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<String> args = new ArrayList<>(List.of("-verbose:package", "-filter:none"));
        try (Stream<Path> files = Files.walk(classes)) {
            // Without module-info.class jdeps reads the classes alone, without resolving the module's requirements.
            files.filter(f -> f.toString().endsWith(".class") && !f.endsWith("module-info.class"))
                    .forEach(f -> args.add(f.toString()));
        }
        StringWriter out = new StringWriter();
        int rc = ToolProvider.findFirst("jdeps").orElseThrow()
                .run(new PrintWriter(out), new PrintWriter(out), args.toArray(String[]::new));
        assertThat(rc).as(out.toString()).isZero();
        graph = new TreeMap<>();
        for (String line : out.toString().split("\n")) {
            Matcher m = EDGE.matcher(line);
            if (m.find() && !m.group(1).equals(m.group(2))) {
                graph.computeIfAbsent(m.group(1), k -> new TreeSet<>()).add(m.group(2));
            }
        }
        assertThat(graph).as("jdeps found the core's packages").containsKeys(CORE, CORE + ".internal.runtime");
    }

    @Test
    void noPackageCycle() {
        for (String start : graph.keySet()) {
            assertThat(reachable(start)).as("packages reachable from " + start).doesNotContain(start);
        }
    }

    @Test
    void internalsNeverDependOnTheApiPackage() {
        graph.forEach((from, to) -> {
            if (from.startsWith(CORE + ".internal.")) {
                assertThat(to).as(from).doesNotContain(CORE);
            }
        });
    }

    @Test
    void resultAndSpecDependOnNothingElseOfTheCore() {
        assertThat(graph.getOrDefault(CORE + ".result", Set.of())).isEmpty();
        assertThat(graph.getOrDefault(CORE + ".image", Set.of())).isEmpty();
        // A spec's root may be a pulled image (the value only; pulling is the API package's Images).
        assertThat(graph.getOrDefault(CORE + ".spec", Set.of())).isSubsetOf(CORE + ".image");
    }

    @Test
    void theModuleExportsOnlyTheApi() throws Exception {
        ModuleDescriptor module = descriptor();
        Set<String> unqualified = module.exports().stream().filter(e -> !e.isQualified())
                .map(ModuleDescriptor.Exports::source).collect(Collectors.toCollection(TreeSet::new));
        assertThat(unqualified).containsExactly(CORE, CORE + ".image", CORE + ".result", CORE + ".spec", CORE + ".wait");
        assertThat(module.exports().stream().filter(ModuleDescriptor.Exports::isQualified))
                .allSatisfy(e -> assertThat(e.targets()).doesNotContain("ALL-UNNAMED"));
    }

    private static ModuleDescriptor descriptor() throws URISyntaxException, IOException {
        Path classes = Path.of(Sandbox.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        try (var in = Files.newInputStream(classes.resolve("module-info.class"))) {
            return ModuleDescriptor.read(in);
        }
    }

    private static Set<String> reachable(String start) {
        Set<String> seen = new TreeSet<>();
        List<String> todo = new ArrayList<>(graph.getOrDefault(start, Set.of()));
        while (!todo.isEmpty()) {
            String next = todo.remove(todo.size() - 1);
            if (seen.add(next)) {
                todo.addAll(graph.getOrDefault(next, Set.of()));
            }
        }
        return seen;
    }
}
