package dev.sandboxed.cli;

import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * Passes SIGINT, SIGTERM and SIGHUP received by the CLI on to the sandboxed command (of run or exec): it runs in its own
 * session (no controlling terminal of the host), so the terminal's Ctrl-C reaches only us.
 *
 * <p>{@code sun.misc.Signal} (module jdk.unsupported) is the only way to handle a signal in Java. It is reached
 * by reflection: a direct reference draws a javac warning no lint option can turn off, and the build uses
 * {@code -Werror}.
 */
final class SignalForwarding {
    private IntConsumer target;
    private final List<Integer> pending = new ArrayList<>();

    private SignalForwarding() {
    }

    /**
     * Takes the signals over before the command starts, so that one arriving while it starts is not lost (it would
     * end the CLI by the JVM's default handling and leave the command without it): it is delivered on {@link #to}.
     */
    static SignalForwarding install() {
        SignalForwarding forwarding = new SignalForwarding();
        forwarding.handleSignals();
        return forwarding;
    }

    /** From now on signals go to {@code main}; those that came before it started are sent now. */
    synchronized void to(IntConsumer main) {
        target = main;
        pending.forEach(main::accept);
        pending.clear();
    }

    private synchronized void received(int signal) {
        if (target != null) {
            target.accept(signal);
        } else {
            pending.add(signal);
        }
    }

    private void handleSignals() {
        handle(new String[] {"INT", "TERM", "HUP"}, this::received);
    }

    /**
     * Runs {@code action} on each SIGWINCH (the terminal's window size changed); without sun.misc.Signal, or where the
     * JVM reserves it, nothing happens and the size stays the one set at the start.
     */
    static void onWindowChange(Runnable action) {
        handle(new String[] {"WINCH"}, signal -> action.run());
    }

    private static void handle(String[] names, IntConsumer action) {
        try {
            Class<?> signalClass = Class.forName("sun.misc.Signal");
            Class<?> handlerClass = Class.forName("sun.misc.SignalHandler");
            Method handle = signalClass.getMethod("handle", signalClass, handlerClass);
            Method number = signalClass.getMethod("getNumber");
            Object handler = Proxy.newProxyInstance(SignalForwarding.class.getClassLoader(),
                    new Class<?>[] {handlerClass}, (proxy, method, args) -> {
                        if (method.getName().equals("handle")) {
                            action.accept((Integer) number.invoke(args[0]));
                        }
                        return null;
                    });
            for (String name : names) {
                try {
                    handle.invoke(null, signalClass.getConstructor(String.class).newInstance(name), handler);
                } catch (ReflectiveOperationException | IllegalArgumentException unavailable) {
                    // the JVM reserves this signal (e.g. with -Xrs); the default handling stays
                }
            }
        } catch (ReflectiveOperationException unavailable) {
            // a JDK without jdk.unsupported: signals end the CLI, and the sandbox dies with it
        }
    }
}
