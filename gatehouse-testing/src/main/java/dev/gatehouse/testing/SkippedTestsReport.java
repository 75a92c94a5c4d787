package dev.gatehouse.testing;

import java.util.ArrayList;
import java.util.List;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;

/**
 * Ends every test run that skipped something with a loud summary of what did not run and why (a
 * missing Redis, say), so a green local run cannot hide it. Registered through the JUnit Platform's
 * service file in gatehouse-testing.
 */
public final class SkippedTestsReport implements TestExecutionListener {

    private final List<String> skipped = new ArrayList<>();

    @Override
    public synchronized void executionSkipped(TestIdentifier test, String reason) {
        skipped.add(test.getDisplayName() + ": " + reason);
    }

    @Override
    public synchronized void executionFinished(TestIdentifier test, TestExecutionResult result) {
        if (result.getStatus() == TestExecutionResult.Status.ABORTED) {
            skipped.add(test.getDisplayName() + ": "
                    + result.getThrowable().map(Throwable::getMessage).orElse("aborted"));
        }
    }

    @Override
    public synchronized void testPlanExecutionFinished(TestPlan plan) {
        if (skipped.isEmpty()) {
            return;
        }
        StringBuilder report = new StringBuilder("\n[gatehouse] SKIPPED ")
                .append(skipped.size())
                .append(" test(s): they did not run (CI=true turns a missing service into a failure)\n");
        skipped.forEach(line -> report.append("[gatehouse]   ").append(line).append('\n'));
        System.err.print(report);
        System.err.flush();
    }
}
