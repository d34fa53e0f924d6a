package dev.sandboxed.cli;

import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.List;

import dev.sandboxed.core.RuntimeConfig;
import dev.sandboxed.core.image.ImageException;
import dev.sandboxed.core.result.SandboxException;
import dev.sandboxed.core.spec.SpecException;

/** Entry point of {@code java -jar sandboxed.jar}: {@code run} and {@code doctor}. */
public final class Main {
    private static final String USAGE = """
            usage: sandboxed run [options] -- CMD [ARG...]   run CMD in a fresh sandbox (see `sandboxed run --help`)
                   sandboxed run --image REF [options] [-- CMD [ARG...]]   run an image's command (or CMD) in it
                   sandboxed pull REF                      pull an image into the cache (REF: NAME[:TAG], oci:DIR[:TAG])
                   sandboxed images [--digests] | images rm REF | images prune [--max-size SIZE]
                   sandboxed ps | inspect ID | exec ID [--] CMD [ARG...] | kill ID [SIGNAL] | rm [--force] ID
                                                           sandboxes of this user's JVMs (see `sandboxed ps --help`)
                   sandboxed doctor [--cgroup-parent PATH]   check this host and print the fix for what is missing
                   sandboxed version""";

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(Arrays.asList(args), System.out, System.err));
    }

    static int run(List<String> args, PrintStream out, PrintStream err) {
        if (args.isEmpty()) {
            err.println("sandboxed: no command given; see `sandboxed --help`");
            return RunCommand.SANDBOX_ERROR;
        }
        try {
            switch (args.get(0)) {
                case "run" -> {
                    RunOptions options = RunOptions.parse(args.subList(1, args.size()), ImageCommands.progress(err));
                    CliLogging.configure(options.verbose);
                    return new RunCommand(err).run(options);
                }
                case "pull" -> {
                    return new ImageCommands(out, err).pull(args.subList(1, args.size()));
                }
                case "images" -> {
                    return new ImageCommands(out, err).images(args.subList(1, args.size()));
                }
                case "ps", "inspect", "exec", "kill", "rm" -> {
                    return ops(args.get(0), args.subList(1, args.size()), out, err);
                }
                case "doctor" -> {
                    return doctor(args.subList(1, args.size()), out, err);
                }
                case "version", "--version" -> {
                    out.println("sandboxed " + version());
                    return 0;
                }
                case "help", "--help", "-h" -> {
                    out.println(USAGE);
                    return 0;
                }
                default -> {
                    err.println("sandboxed: unknown command '" + args.get(0) + "'; see `sandboxed --help`");
                    return RunCommand.SANDBOX_ERROR;
                }
            }
        } catch (RunOptions.HelpRequested e) {
            out.println(RunOptions.USAGE);
            return 0;
        } catch (UsageException e) {
            err.println("sandboxed: " + e.getMessage() + "; see `sandboxed run --help`");
            return RunCommand.SANDBOX_ERROR;
        } catch (SpecException e) {
            err.println("sandboxed: invalid " + e.getMessage());
            return RunCommand.SANDBOX_ERROR;
        } catch (ImageException e) {
            err.println("sandboxed: " + e.getMessage());
            return RunCommand.SANDBOX_ERROR;
        } catch (UncheckedIOException e) {
            err.println("sandboxed: " + e.getMessage());
            return RunCommand.SANDBOX_ERROR;
        }
    }

    private static int doctor(List<String> args, PrintStream out, PrintStream err) {
        if (args.contains("--help") || args.contains("-h")) {
            out.println(DoctorCommand.USAGE);
            return 0;
        }
        RuntimeConfig config;
        try {
            config = DoctorCommand.config(args, RuntimeConfig.fromSystemProperties());
        } catch (UsageException e) {
            err.println("sandboxed doctor: " + e.getMessage() + "; see `sandboxed doctor --help`");
            return RunCommand.SANDBOX_ERROR;
        }
        return new DoctorCommand(out).run(config);
    }

    private static int ops(String command, List<String> args, PrintStream out, PrintStream err) {
        if (args.contains("--help") || args.contains("-h")) {
            out.println(OpsCommands.USAGE);
            return 0;
        }
        OpsCommands ops = new OpsCommands(out, err);
        try {
            return switch (command) {
                case "ps" -> ops.ps(args);
                case "inspect" -> ops.inspect(args);
                case "exec" -> ops.exec(args);
                case "kill" -> ops.kill(args);
                default -> ops.rm(args);
            };
        } catch (UsageException e) {
            err.println("sandboxed " + command + ": " + e.getMessage() + "; see `sandboxed " + command + " --help`");
            return RunCommand.SANDBOX_ERROR;
        } catch (SandboxException e) {
            err.println("sandboxed " + command + ": " + e.getMessage());
            return RunCommand.SANDBOX_ERROR;
        } catch (UncheckedIOException e) {
            // The state directory of another user, or none: say which and why.
            err.println("sandboxed " + command + ": " + e.getMessage() + ": " + e.getCause().getMessage());
            return RunCommand.SANDBOX_ERROR;
        }
    }

    private static String version() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v == null ? "0.1.0-SNAPSHOT" : v;
    }
}
