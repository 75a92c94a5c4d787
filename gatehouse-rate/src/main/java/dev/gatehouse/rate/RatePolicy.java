package dev.gatehouse.rate;

import dev.gatehouse.core.check.Require;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The limits of each key before any client override: the defaults, then every matching key rule
 * applied in file order. Immutable; a reload makes a new policy.
 */
public final class RatePolicy {

    /*
     * Design: keys matched by the same rules get the same RateLimits instance (interned), so a
     * million keys share a handful of limiter specs instead of holding one each. The intern table is
     * bounded: past INTERN_LIMIT distinct results, new ones are simply not shared.
     */

    private static final int INTERN_LIMIT = 4096;

    private final RateLimits defaults;
    private final List<KeyRule> rules;
    private final ConcurrentHashMap<RateLimits, RateLimits> interned = new ConcurrentHashMap<>();

    /**
     * The policy of {@code defaults} and {@code rules}. Every rule is checked now, alone over the
     * defaults and on top of all the rules before it (a key may match them all): limits the
     * limiters cannot keep are refused here, naming the rule, and never reach a request.
     */
    public RatePolicy(RateLimits defaults, List<KeyRule> rules) {
        this.defaults = Require.given("defaults", defaults, "limits");
        this.rules = List.copyOf(rules);
        RateLimits cumulative = defaults;
        for (int i = 0; i < this.rules.size(); i++) {
            KeyRule rule = this.rules.get(i);
            try {
                rule.applyTo(defaults);
                cumulative = rule.applyTo(cumulative);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        "keys[" + i + "] (" + rule.keyPattern() + "): limits the limiter cannot keep: "
                                + e.getMessage(),
                        e);
            }
        }
    }

    /** The limits of {@code key}. */
    @SuppressWarnings("ReferenceEquality") // did any rule apply?
    public RateLimits limitsFor(String key) {
        RateLimits limits = defaults;
        for (int i = 0; i < rules.size(); i++) { // by index: an iterator per call showed among the allocations
            KeyRule rule = rules.get(i);
            if (rule.matches(key)) {
                limits = applyIfKeepable(rule, limits);
            }
        }
        if (limits == defaults) {
            return limits;
        }
        RateLimits shared = interned.get(limits);
        if (shared != null) {
            return shared;
        }
        if (interned.size() < INTERN_LIMIT) {
            RateLimits raced = interned.putIfAbsent(limits, limits);
            return raced != null ? raced : limits;
        }
        return limits;
    }

    /**
     * {@code rule} over {@code limits}; or {@code limits} unchanged when the result could not be kept
     * (a combination of rules the load-time check did not try), so a request is never failed by config.
     */
    private static RateLimits applyIfKeepable(KeyRule rule, RateLimits limits) {
        try {
            return rule.applyTo(limits);
        } catch (IllegalArgumentException e) {
            return limits;
        }
    }

    public RateLimits defaults() {
        return defaults;
    }

    public int ruleCount() {
        return rules.size();
    }

    /** This policy's defaults with other rules. */
    public RatePolicy withRules(List<KeyRule> newRules) {
        return new RatePolicy(defaults, newRules);
    }
}
