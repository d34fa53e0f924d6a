package dev.sandboxed.core.testing;

import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

import dev.sandboxed.core.internal.host.HostFacts;

/**
 * Enables sandbox tests only where user namespaces work. The reason is printed, so a skip is never silent;
 * CI hosts have user namespaces, so there these tests always run.
 */
public final class SandboxHostCondition implements ExecutionCondition {
    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        if (HostFacts.current().userNamespacesUsable() || HostFacts.current().isRoot()) {
            return ConditionEvaluationResult.enabled("user namespaces are usable");
        }
        String reason = "this host cannot create user namespaces; run `java -jar cli/target/sandboxed.jar doctor` for the fix";
        System.err.println("SKIPPED " + context.getDisplayName() + ": " + reason);
        return ConditionEvaluationResult.disabled(reason);
    }
}
