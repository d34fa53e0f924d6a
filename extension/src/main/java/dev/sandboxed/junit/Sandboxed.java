package dev.sandboxed.junit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Runs tests with rootless Linux sandboxes and injects {@link Container} handles to them.
 *
 * <p>Put it on a test class, a test method, a {@link Container} field or parameter, or on your own
 * meta-annotation. Settings refine each other from the outside in: configuration parameters
 * ({@code sandboxed.*}), enclosing classes, superclasses, the test class, the method, then the field or
 * parameter. Empty strings and {@code DEFAULT} values mean "not set here". A bad value, wherever it is declared,
 * fails the test with a {@link SandboxedConfigurationException} naming the attribute or parameter and what is
 * allowed, before any sandbox of that test starts.
 *
 * <pre>{@code
 * @Sandboxed(memory = "64m", network = "none")
 * class CliTest {
 *     @Test
 *     void printsVersion(Container sandbox) {
 *         assertThat(sandbox.exec("mytool", "--version")).succeeded().stdoutContains("1.2");
 *     }
 * }
 * }</pre>
 *
 * <p>A service, started and ready before the test (the image's Entrypoint and Cmd, or {@link #command()}):
 *
 * <pre>{@code
 * @Test
 * void answers(@Sandboxed(image = "my-server:1", start = true, publish = "8080", waitFor = "http:8080/health")
 *              Container server) throws Exception {
 *     HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(server.url(8080, "/hello")).build(),
 *             HttpResponse.BodyHandlers.ofString());
 * }
 * }</pre>
 *
 * <p>Several containers in one test are told apart by {@link #name()}; they reach each other by name on a network
 * of the test ({@code network = "net:NAME"}), or one joins the network namespace of another with
 * {@code network = "container:NAME"}:
 *
 * <pre>{@code
 * @Test
 * void talks(@Sandboxed(name = "db", network = "net:backend", aliases = "postgres", command = {"my-db"}) Container db,
 *            @Sandboxed(name = "app", network = "net:backend") Container app) {
 *     assertThat(app.exec("nc", "-z", "postgres", "5432")).succeeded();
 * }
 * }</pre>
 */
@Target({ElementType.TYPE, ElementType.METHOD, ElementType.FIELD, ElementType.PARAMETER, ElementType.ANNOTATION_TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(SandboxedExtension.class)
public @interface Sandboxed {

    /** The container's name, for several containers in one test; on a class or method it names the default. */
    String name() default "";

    /** {@code host} (the host's root, read-only, homes hidden) or the absolute path of a root directory. */
    String rootfs() default "";

    /**
     * An image as the root instead: {@code [REGISTRY/]NAME[:TAG][@DIGEST]} or {@code oci:PATH[:TAG]}, pulled into the
     * user's cache before the first test that needs it (once: later tests and JVMs find it there), its Env, WorkingDir
     * and User the defaults. A registry error fails the test with the reference and the registry's answer. Only the
     * root: nothing runs in it until the test execs, unless {@link #start()} or {@link #command()} says so.
     */
    String image() default "";

    /**
     * Starts the image's Entrypoint and Cmd as the container's main process before the test, as {@code docker run}
     * does, and waits until it is ready ({@link #waitFor()}; by default the image's HEALTHCHECK if it has one). The
     * sandbox ends when the main process exits. Without it (the default) an image is only the root: nothing runs in it
     * until the test execs. See {@link Container#mainProcess()}.
     */
    boolean start() default false;

    /**
     * The main process, for an image or any other root: with an image it replaces the image's Cmd and keeps its
     * Entrypoint, as {@code docker run IMAGE CMD...} does. Setting it implies {@link #start()}.
     */
    String[] command() default {};

    /**
     * What the started container must show before the test runs, each met in turn: {@code port:PORT} (a TCP socket
     * listening on it inside the container), {@code log:REGEX} (a line of the main process's stdout or stderr matching
     * it), {@code log*N:REGEX} (the N-th such line), {@code command:SHELL-SCRIPT} (run with {@code /bin/sh -c} until it
     * exits 0), {@code healthcheck} (the image's HEALTHCHECK, run as Docker runs it) or
     * {@code http:PORT[/PATH][=STATUS[,STATUS...]]} (an HTTP GET of PATH, {@code /} by default, through the published
     * mapping of PORT, which {@link #publish()} or {@link #publishAll()} must publish, until it answers one of the
     * statuses, 200 by default: {@code http:8080/health}, {@code http:8080/ready=200,204}; a query ending in
     * {@code =DIGITS} needs the statuses after it). Needs {@link #start()} or
     * {@link #command()}. An inner level's list replaces an outer one's. When the main process exits first, the test
     * fails at once with its exit status and last output lines.
     */
    String[] waitFor() default {};

    /** How long all of {@link #waitFor()} may take, such as {@code 2m}; {@code 60s} by default. */
    String waitTimeout() default "";

    /**
     * Runs the test itself in a fresh JVM inside the sandbox (on a test method or class): the test instance, its
     * {@code @BeforeEach} methods, the method and its {@code @AfterEach} methods run there, with network {@code none}
     * unless declared, the host's directories read-only, the JDK, the working directory and the test class path bound
     * read-only and a private {@code /tmp}; the other settings (limits, seccomp, binds ...) apply to that JVM. The
     * result comes back as if the test had run in place. {@code @BeforeAll} and {@code @AfterAll} methods run in this
     * JVM and again in each sandboxed one (static state is per JVM). The sandboxed JVM selects the test by its unique
     * id: methods of {@code @Nested} classes (their enclosing instances and {@code @BeforeEach} methods are made and run
     * there) and each invocation of a {@code @ParameterizedTest}, {@code @RepeatedTest} or other test template, each
     * in its own JVM. Argument sources run here and there and must be deterministic: an invocation whose display name
     * differs there, or that is missing there, fails naming it; a source that varies without showing it in the display
     * name is undefined. A {@code @TestFactory} runs in a sandboxed JVM that lists its dynamic tests without running
     * them (never here), then each dynamic test runs in its own sandboxed JVM, which runs the factory (and the
     * {@code @BeforeEach} methods) again and selects it. Not yet: containers, images, services and networks other
     * than {@code none} and {@code host}, each refused with one line naming it.
     */
    boolean jvm() default false;

    /** Hard memory limit such as {@code 64m}; needs cgroups. */
    String memory() default "";

    /** CPU bandwidth in CPUs such as {@code 0.5}; needs cgroups. */
    String cpus() default "";

    /** Maximum number of processes and threads; needs cgroups. */
    String pids() default "";

    /**
     * {@code none} (own namespace with only {@code lo}, the default), {@code host}, {@code egress} (own namespace plus
     * outbound access through pasta or slirp4netns, which must be installed; the host's loopback stays unreachable
     * unless a {@code SandboxCustomizer} sets {@code egressHostLoopback(true)}), {@code net:NAME} to join the
     * test's private network NAME, or {@code container:NAME} to share the network namespace of container NAME, which
     * must exist already: declared before this one (an earlier parameter or field) or class scoped.
     *
     * <p>{@code net:NAME}: the containers of one test that name NAME are on one network, made when the first of them
     * starts and closed after the test's containers; class-scoped containers make one for the class instead, closed
     * after the class's containers, which the test's containers naming NAME join too. Each scope gets a network of
     * its own, so tests running in parallel with the same NAME never see each other. A member reaches the others by
     * container name (its {@link #name()}: the member's hostname unless {@link #hostname()} sets one, then an alias),
     * by {@link #aliases()} and by address, and nothing else.
     */
    String network() default "";

    /**
     * More names under which the other members of its {@code net:NAME} network reach this container, besides its
     * name; host names of 1-63 letters, digits, '.' or '-'. An inner level's list replaces an outer one's.
     */
    String[] aliases() default {};

    /**
     * Container ports reachable from the test on host loopback ports, in docker's {@code -p} syntax:
     * {@code [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/tcp|/udp]}, such as {@code "8080"} (an ephemeral port of
     * 127.0.0.1), {@code "9000:8080"} (a fixed one) or {@code "127.0.0.1::53/udp"}; HOST_IP must be a loopback
     * address. Ask {@link Container#mappedPort(int)} and {@link Container#host()} where a port went. Needs the
     * container's own network ({@code none}, the default); added to those of outer levels.
     */
    String[] publish() default {};

    /**
     * Publishes every port the image declares (its ExposedPorts) on ephemeral loopback ports, besides
     * {@link #publish()}: Testcontainers and Sandboxed publish nothing unless asked. Needs {@link #image()}.
     */
    boolean publishAll() default false;

    /**
     * Host loopback ports the container may reach as {@code host.sandboxed.internal:PORT} (for a server the test
     * runs), and no other host port; added to those of outer levels. For a port known only at run time, call
     * {@code exposeHostPort} on the spec in a {@link SandboxCustomizer}.
     */
    int[] exposeHostPorts() default {};

    /**
     * Host loopback UDP ports the container may send datagrams to as {@code host.sandboxed.internal:PORT}, replies
     * coming back to each client (a UDP server of the test), and no other host port; added to those of outer levels.
     */
    int[] exposeHostUdpPorts() default {};

    /** {@code default}, {@code unconfined}, {@code docker-default} or the path of an OCI/Docker JSON profile. */
    String seccomp() default "";

    /** The hostname inside the sandbox. */
    String hostname() default "";

    /** Working directory of processes, an absolute path inside the sandbox. */
    String workdir() default "";

    /** {@code UID[:GID]} or a user name of the root filesystem. */
    String user() default "";

    /** Environment variables as {@code NAME=value}; added to those of outer levels. */
    String[] env() default {};

    /** Bind mounts, added to those of outer levels. */
    Bind[] bind() default {};

    /** Tmpfs mounts, added to those of outer levels. */
    Tmpfs[] tmpfs() default {};

    /**
     * Mounts in string form: {@code SRC:DST[:ro|:rw]} for a bind mount (read-only unless {@code :rw}) or
     * {@code tmpfs:DST[:size=N,mode=OCTAL]}.
     */
    String[] mounts() default {};

    /**
     * Host device nodes bound into /dev, each checked to be that device: {@code /dev/fuse}, {@code /dev/net/tun}, or
     * {@code HOST[:INSIDE]:TYPE:MAJOR:MINOR} such as {@code /dev/null:/dev/mine:c:1:3}; added to those of outer
     * levels. A bind keeps the host node's mode and owner, so a rootless container opens only what its user may.
     */
    String[] devices() default {};

    /**
     * Commands run at the OCI lifecycle stages, {@code STAGE:PATH} (prestart, createRuntime, createContainer,
     * startContainer, poststart, poststop) with the state JSON on stdin; added to those of outer levels. For args, env
     * and timeouts use a customizer ({@code spec.hook(...)}); for Java code, {@link SandboxCustomizer#afterStart} and
     * {@link SandboxCustomizer#afterClose}.
     */
    String[] hooks() default {};

    /** Whether the root filesystem is read-only. */
    Toggle readOnlyRoot() default Toggle.DEFAULT;

    /**
     * Where an image root's writes go: {@code tmpfs} (the default, as large as /tmp), {@code tmpfs:SIZE} such as
     * {@code tmpfs:256m}, or {@code disk} (a directory beside the image cache, removed with the container).
     */
    String writableLayer() default "";

    /** Default timeout of every exec such as {@code 30s}; a timed-out process ends with reason TIMED_OUT. */
    String timeout() default "";

    /** When the sandbox is removed; see {@link CleanupMode}. */
    CleanupMode cleanup() default CleanupMode.DEFAULT;

    /** Whether a container lives for one test or for the whole class; static fields are always class scoped. */
    Scope scope() default Scope.DEFAULT;

    /**
     * {@link SandboxCustomizer}s that change the core spec with its typed builder, for what no attribute here
     * expresses (capabilities, rlimits, id mapping, namespaces, cgroup limits beyond memory, cpus and pids ...).
     * They run after the settings of every level, outer levels' customizers first, so what they set wins; added to
     * those of outer levels.
     */
    Class<? extends SandboxCustomizer>[] customizers() default {};
}
