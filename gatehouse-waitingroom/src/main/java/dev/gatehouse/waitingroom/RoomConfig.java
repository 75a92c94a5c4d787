package dev.gatehouse.waitingroom;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.ToLongFunction;

/**
 * How one tenant's room admits: GatekeeperAPI's eight fields under their wire names, and
 * Gatehouse's {@code max_active_users} (capacity admission; 0 = off), {@code abandon_after_seconds}
 * (0 = off) and the room's event, {@code prequeue_opens_at} and {@code opens_at} (Unix seconds; both
 * 0 = none): users who enqueue from the first until the second are registered, and their order is
 * drawn at the second; and {@code pow_difficulty} (0 = off), the leading zero bits of the SHA-256
 * proof of work a visitor solves before it is queued. Every value is within its {@link Field}'s
 * range, and an event's pre-queue opens before the event.
 */
public record RoomConfig(
        long admissionLimit,
        long admissionFrequencySeconds,
        long jwtExpirySeconds,
        long readyTtlSeconds,
        long ipEnqueueLimit,
        long ipEnqueueLimitInterval,
        long ipStatusPollingLimit,
        long ipStatusPollingLimitInterval,
        long maxActiveUsers,
        long abandonAfterSeconds,
        long prequeueOpensAt,
        long opensAt,
        long powDifficulty) {

    private static final long DAY_SECONDS = 86_400;

    /** The most leading zero bits a room may ask for: about 4 billion hashes, minutes in a browser. */
    public static final long MAX_POW_DIFFICULTY = 32;

    /** The last second of the year 9999: no event is later. */
    private static final long LAST_SECOND = 253_402_300_799L;

    /** A field as the wire names it, with its range. */
    public enum Field {
        ADMISSION_LIMIT("admission_limit", 0, 1_000_000, RoomConfig::admissionLimit),
        ADMISSION_FREQUENCY("admission_frequency", 1, 3_600, RoomConfig::admissionFrequencySeconds),
        JWT_EXPIRY_SECONDS("jwt_expiry_seconds", 60, 600, RoomConfig::jwtExpirySeconds),
        READY_TTL_SECONDS("ready_ttl_seconds", 60, 3_600, RoomConfig::readyTtlSeconds),
        IP_ENQUEUE_LIMIT("ip_enqueue_limit", 1, 1_000_000, RoomConfig::ipEnqueueLimit),
        IP_ENQUEUE_LIMIT_INTERVAL("ip_enqueue_limit_interval", 1, DAY_SECONDS, RoomConfig::ipEnqueueLimitInterval),
        IP_STATUS_POLLING_LIMIT("ip_status_polling_limit", 1, 1_000_000, RoomConfig::ipStatusPollingLimit),
        IP_STATUS_POLLING_LIMIT_INTERVAL(
                "ip_status_polling_limit_interval", 1, DAY_SECONDS, RoomConfig::ipStatusPollingLimitInterval),
        MAX_ACTIVE_USERS("max_active_users", 0, 100_000_000, RoomConfig::maxActiveUsers),
        ABANDON_AFTER_SECONDS("abandon_after_seconds", 0, DAY_SECONDS, RoomConfig::abandonAfterSeconds),
        PREQUEUE_OPENS_AT("prequeue_opens_at", 0, LAST_SECOND, RoomConfig::prequeueOpensAt),
        OPENS_AT("opens_at", 0, LAST_SECOND, RoomConfig::opensAt),
        POW_DIFFICULTY("pow_difficulty", 0, MAX_POW_DIFFICULTY, RoomConfig::powDifficulty);

        private final String wireName;
        private final long min;
        private final long max;

        @SuppressWarnings("ImmutableEnumChecker") // each is a method reference to an accessor: stateless
        private final ToLongFunction<RoomConfig> getter;

        Field(String wireName, long min, long max, ToLongFunction<RoomConfig> getter) {
            this.wireName = wireName;
            this.min = min;
            this.max = max;
            this.getter = getter;
        }

        public String wireName() {
            return wireName;
        }

        public long min() {
            return min;
        }

        public long max() {
            return max;
        }

        public long of(RoomConfig config) {
            return getter.applyAsLong(config);
        }

        public boolean accepts(long value) {
            return value >= min && value <= max;
        }

        /** The field named {@code wireName} on the wire. */
        public static Optional<Field> named(String wireName) {
            for (Field field : values()) {
                if (field.wireName.equals(wireName)) {
                    return Optional.of(field);
                }
            }
            return Optional.empty();
        }
    }

    /**
     * A new tenant's config: GatekeeperAPI's documented example values (1,000 users every 5 s, tokens
     * for 300 s, ready for 600 s), per-IP limits a browser polling every second stays under, no
     * capacity bound, no abandonment, no event and no proof of work.
     */
    public static final RoomConfig DEFAULTS = new RoomConfig(1_000, 5, 300, 600, 100, 60, 120, 60, 0, 0, 0, 0, 0);

    public RoomConfig {
        long[] given = {
            admissionLimit,
            admissionFrequencySeconds,
            jwtExpirySeconds,
            readyTtlSeconds,
            ipEnqueueLimit,
            ipEnqueueLimitInterval,
            ipStatusPollingLimit,
            ipStatusPollingLimitInterval,
            maxActiveUsers,
            abandonAfterSeconds,
            prequeueOpensAt,
            opensAt,
            powDifficulty
        }; // in declaration order; the accessors would read the fields, which are assigned after this body
        Field[] fields = Field.values();
        for (int i = 0; i < fields.length; i++) {
            Field field = fields[i];
            long value = given[i];
            if (!field.accepts(value)) {
                throw new IllegalArgumentException(
                        field.wireName + ": " + value + " (expected: " + field.min + ".." + field.max + ")");
            }
        }
        Optional<String> event = eventProblem(prequeueOpensAt, opensAt);
        if (event.isPresent()) {
            throw new IllegalArgumentException(event.get());
        }
    }

    /**
     * What is wrong with an event from {@code prequeueOpensAt} to {@code opensAt} (Unix seconds, each
     * within its field's range), if anything: both are 0 (no event), or both are set, the first before
     * the second.
     */
    public static Optional<String> eventProblem(long prequeueOpensAt, long opensAt) {
        if ((prequeueOpensAt == 0) != (opensAt == 0)) {
            return Optional.of("an event needs both prequeue_opens_at and opens_at (or both 0: no event)");
        }
        if (prequeueOpensAt != 0 && prequeueOpensAt >= opensAt) {
            return Optional.of("prequeue_opens_at must be before opens_at");
        }
        return Optional.empty();
    }

    /** Whether the room has an event. */
    public boolean hasEvent() {
        return opensAt != 0;
    }

    /** The values of every field, in declaration order. */
    public Map<Field, Long> values() {
        Map<Field, Long> values = new EnumMap<>(Field.class);
        for (Field field : Field.values()) {
            values.put(field, field.of(this));
        }
        return values;
    }

    /**
     * This config with {@code changes} applied; throws {@link IllegalArgumentException} when one is out
     * of its field's range (check with {@link Field#accepts} first to name every bad field).
     */
    public RoomConfig with(Map<Field, Long> changes) {
        Map<Field, Long> values = values();
        values.putAll(changes);
        return of(values);
    }

    /** A config of {@code values}, which must name every field. */
    public static RoomConfig of(Map<Field, Long> values) {
        List<Long> ordered = new ArrayList<>();
        for (Field field : Field.values()) {
            Long value = values.get(field);
            if (value == null) {
                throw new IllegalArgumentException(field.wireName + ": missing");
            }
            ordered.add(value);
        }
        return new RoomConfig(
                ordered.get(0),
                ordered.get(1),
                ordered.get(2),
                ordered.get(3),
                ordered.get(4),
                ordered.get(5),
                ordered.get(6),
                ordered.get(7),
                ordered.get(8),
                ordered.get(9),
                ordered.get(10),
                ordered.get(11),
                ordered.get(12));
    }

    public long admissionFrequencyMillis() {
        return admissionFrequencySeconds * 1000;
    }

    public long readyTtlMillis() {
        return readyTtlSeconds * 1000;
    }

    public long abandonAfterMillis() {
        return abandonAfterSeconds * 1000;
    }

    public long prequeueOpensAtMillis() {
        return prequeueOpensAt * 1000;
    }

    public long opensAtMillis() {
        return opensAt * 1000;
    }
}
