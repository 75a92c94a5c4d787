package dev.gatehouse.testing.room;

import static dev.gatehouse.testing.Stages.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.testing.Race;
import dev.gatehouse.waitingroom.ApiKeys;
import dev.gatehouse.waitingroom.RoomConfig;
import dev.gatehouse.waitingroom.RoomConfig.Field;
import dev.gatehouse.waitingroom.Tenant;
import dev.gatehouse.waitingroom.TenantStore;
import dev.gatehouse.waitingroom.TenantStore.AuditEvent;
import dev.gatehouse.waitingroom.TenantStore.AuditKind;
import dev.gatehouse.waitingroom.TenantStore.Issued;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The contract of {@link TenantStore}, for every implementation: extend it and return an empty store
 * from {@link #newStore}. Answers are read with {@link dev.gatehouse.testing.Stages#await}, so a
 * store may complete its stages on its own threads.
 */
public abstract class TenantStoreContract {

    private static final long T0 = 1_800_000_000_000L;

    private TenantStore store;

    /** For subclasses. */
    protected TenantStoreContract() {}

    /** A store with no tenants, configs or audit events, keeping at least 1,000 audit events. */
    protected abstract TenantStore newStore();

    @BeforeEach
    void createStore() {
        store = newStore();
    }

    private static Tenant tenant(String id) {
        return new Tenant(id, "Name of " + id, ApiKeys.hash("key of " + id));
    }

    private List<Tenant> tenants() {
        return await(store.tenants());
    }

    private Issued add(String id) {
        return await(store.add(id, "Name of " + id)).orElseThrow();
    }

    @Test
    void anEmptyStore_hasNothing() {
        assertThat(tenants()).isEmpty();
        assertThat(await(store.config("acme"))).isEmpty();
        assertThat(await(store.recentAudit("acme", 10))).isEmpty();
    }

    @Test
    void register_addsOnceAndAgainChangesNothing() {
        Tenant acme = tenant("acme");

        assertThat(await(store.register(acme))).isTrue();
        assertThat(await(store.register(acme))).isFalse();
        assertThat(await(store.register(new Tenant("acme", "Another name", ApiKeys.hash("another key")))))
                .isFalse();

        assertThat(tenants()).containsExactly(acme);
    }

    @Test
    void register_refusesAKeyAnotherTenantHolds_liveOrRevoked() {
        Tenant acme = tenant("acme");
        Tenant gone = tenant("gone");
        await(store.register(acme));
        await(store.register(gone));
        await(store.revoke("gone"));

        // one key must never name two tenants: a configuration error, refused naming the tenant
        assertThatThrownBy(() -> await(store.register(new Tenant("acme-again", "Acme", acme.keyHash()))))
                .hasMessageContaining("acme-again")
                .hasMessageContaining("belongs to another tenant");
        assertThatThrownBy(() -> await(store.register(new Tenant("gone-again", "Gone", gone.keyHash()))))
                .hasMessageContaining("belongs to another tenant");

        assertThat(tenants()).containsExactly(acme);
    }

    @Test
    void register_neverBringsARevokedTenantBack() {
        Tenant acme = tenant("acme");
        await(store.register(acme));
        assertThat(await(store.revoke("acme"))).isTrue();

        assertThat(await(store.register(acme))).isFalse();

        assertThat(tenants()).isEmpty();
        assertThat(await(store.rotateKey("acme"))).isEmpty();
    }

    @Test
    void add_returnsAKeyWhoseHashIsTheStoredHash() {
        Issued issued = await(store.add("acme", "Acme Tickets")).orElseThrow();

        assertThat(issued.apiKey()).startsWith("gh_");
        assertThat(issued.tenant().id()).isEqualTo("acme");
        assertThat(issued.tenant().name()).isEqualTo("Acme Tickets");
        assertThat(issued.tenant().keyHash()).isEqualTo(ApiKeys.hash(issued.apiKey()));
        assertThat(tenants()).containsExactly(issued.tenant());
    }

    @Test
    void add_givesEveryTenantAKeyOfItsOwn() {
        Issued first = add("first");
        Issued second = add("second");

        assertThat(first.apiKey()).isNotEqualTo(second.apiKey());
        assertThat(first.tenant().keyHash()).isNotEqualTo(second.tenant().keyHash());
    }

    @Test
    void add_refusesATakenId_addedRegisteredOrRevoked() {
        Issued acme = add("acme");
        assertThat(await(store.add("acme", "Impostor"))).isEmpty();

        await(store.register(tenant("registered")));
        assertThat(await(store.add("registered", "Impostor"))).isEmpty();

        add("gone");
        await(store.revoke("gone"));
        assertThat(await(store.add("gone", "Impostor"))).isEmpty();

        assertThat(tenants()).containsExactly(acme.tenant(), tenant("registered"));
    }

    @Test
    void add_refusesAnIdThatCannotNameATenant() {
        assertThatThrownBy(() -> await(store.add("Not An Id", "x"))).isInstanceOf(IllegalArgumentException.class);
        assertThat(tenants()).isEmpty();
    }

    @Test
    void rotateKey_replacesTheHashAndKeepsTheName() {
        Issued before = await(store.add("acme", "Acme Tickets")).orElseThrow();

        Issued after = await(store.rotateKey("acme")).orElseThrow();

        assertThat(after.apiKey()).isNotEqualTo(before.apiKey());
        assertThat(after.tenant().keyHash())
                .isEqualTo(ApiKeys.hash(after.apiKey()))
                .isNotEqualTo(before.tenant().keyHash());
        assertThat(after.tenant().name()).isEqualTo("Acme Tickets");
        assertThat(tenants()).containsExactly(after.tenant());
    }

    @Test
    void rotateKey_ofAnUnknownOrRevokedTenant_isEmpty() {
        assertThat(await(store.rotateKey("nobody"))).isEmpty();
        Issued gone = add("gone");
        await(store.revoke("gone"));

        assertThat(await(store.rotateKey("gone"))).isEmpty();

        assertThat(await(store.register(gone.tenant()))).isFalse();
        assertThat(tenants()).isEmpty();
    }

    @Test
    void revoke_hidesTheTenantOnce() {
        Issued kept = add("kept");
        add("gone");

        assertThat(await(store.revoke("gone"))).isTrue();
        assertThat(await(store.revoke("gone"))).isFalse();
        assertThat(await(store.revoke("nobody"))).isFalse();

        assertThat(tenants()).containsExactly(kept.tenant());
    }

    @Test
    void tenants_areOrderedByIdAsTextIsComparedInJava() {
        List<String> ids = List.of("b", "a_1", "a1", "a-1", "a", "0", "a-", "ab");
        ids.forEach(id -> await(store.register(tenant(id))));

        assertThat(tenants()).extracting(Tenant::id).containsExactly("0", "a", "a-", "a-1", "a1", "a_1", "ab", "b");
    }

    @Test
    void config_roundTripsEveryField() {
        RoomConfig distinct = distinctValues(0);
        RoomConfig other = distinctValues(1);

        await(store.saveConfig("acme", distinct));
        await(store.saveConfig("other", other));

        assertThat(await(store.config("acme"))).contains(distinct);
        assertThat(await(store.config("other"))).contains(other);
        assertThat(await(store.config("nobody"))).isEmpty();
    }

    @Test
    void saveConfig_replacesTheLastOne() {
        await(store.saveConfig("acme", distinctValues(0)));
        await(store.saveConfig("acme", RoomConfig.DEFAULTS));

        assertThat(await(store.config("acme"))).contains(RoomConfig.DEFAULTS);
    }

    @Test
    void config_keepsTheBoundsOfEveryField() {
        Map<Field, Long> lowest = new EnumMap<>(Field.class);
        Map<Field, Long> highest = new EnumMap<>(Field.class);
        for (Field field : Field.values()) {
            lowest.put(field, field.min());
            highest.put(field, field.max());
        }
        highest.put(Field.PREQUEUE_OPENS_AT, Field.PREQUEUE_OPENS_AT.max() - 1); // an event's pre-queue opens first

        await(store.saveConfig("low", RoomConfig.of(lowest)));
        await(store.saveConfig("high", RoomConfig.of(highest)));

        assertThat(await(store.config("low"))).contains(RoomConfig.of(lowest));
        assertThat(await(store.config("high"))).contains(RoomConfig.of(highest));
    }

    /**
     * A config whose fields all hold different values (shifted by {@code shift}), so a store that
     * mixed two fields up would answer another config.
     */
    private static RoomConfig distinctValues(int shift) {
        Map<Field, Long> values = new EnumMap<>(Field.class);
        Field[] fields = Field.values();
        for (int i = 0; i < fields.length; i++) {
            Field field = fields[i];
            long spread = field.min() + 10 + 11L * i + shift;
            long value = field.accepts(spread) ? spread : field.max() - shift; // a narrow field: from its top
            assertThat(field.accepts(value)).as("%s accepts %d", field, value).isTrue();
            values.put(field, value);
        }
        assertThat(new HashSet<>(values.values())).hasSize(fields.length);
        return RoomConfig.of(values);
    }

    @Test
    void audit_keepsEveryKindUserAndCount() {
        List<AuditEvent> events = new ArrayList<>();
        AuditKind[] kinds = AuditKind.values();
        for (int i = 0; i < kinds.length; i++) {
            events.add(new AuditEvent("acme", T0 + i, kinds[i], i % 2 == 0 ? null : "user-" + i, i + 1L));
        }

        await(store.audit(events));

        assertThat(await(store.recentAudit("acme", 100))).containsExactlyElementsOf(events.reversed());
    }

    @Test
    void recentAudit_isNewestFirstPerTenantUpToTheLimit() {
        List<AuditEvent> acme = new ArrayList<>();
        List<AuditEvent> other = new ArrayList<>();
        for (int batch = 0; batch < 3; batch++) {
            List<AuditEvent> events = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                long at = T0 + batch * 1_000L + i;
                AuditEvent mine = new AuditEvent("acme", at, AuditKind.ADMITTED, "u" + batch + i, 1);
                AuditEvent theirs = new AuditEvent("other", at, AuditKind.EXPIRED, null, 10 + i);
                events.add(mine);
                events.add(theirs);
                acme.add(mine);
                other.add(theirs);
            }
            await(store.audit(events));
        }

        assertThat(await(store.recentAudit("acme", 5)))
                .containsExactlyElementsOf(acme.reversed().subList(0, 5));
        assertThat(await(store.recentAudit("other", 100))).containsExactlyElementsOf(other.reversed());
        assertThat(await(store.recentAudit("acme", 0))).isEmpty();
        assertThat(await(store.recentAudit("nobody", 10))).isEmpty();
    }

    @Test
    void recentAudit_ofOneMillisecond_isNewestWrittenFirst() {
        AuditEvent first = new AuditEvent("acme", T0, AuditKind.ADMITTED, "first", 1);
        AuditEvent second = new AuditEvent("acme", T0, AuditKind.ADMITTED, "second", 1);
        AuditEvent third = new AuditEvent("acme", T0, AuditKind.FINISHED, "third", 1);

        await(store.audit(List.of(first, second)));
        await(store.audit(List.of(third)));

        assertThat(await(store.recentAudit("acme", 10))).containsExactly(third, second, first);
    }

    @Test
    void pruneAudit_deletesWhatCameBeforeTheCutOff_ofEveryTenant() {
        await(store.audit(List.of(
                new AuditEvent("acme", 1_000, AuditKind.ADMITTED, "a1", 1),
                new AuditEvent("beta", 1_999, AuditKind.ADMITTED, "b1", 1),
                new AuditEvent("acme", 2_000, AuditKind.FINISHED, "a2", 1),
                new AuditEvent("beta", 3_000, AuditKind.EXPIRED, "b2", 1))));

        assertThat(await(store.pruneAudit(2_000))).isEqualTo(2);

        assertThat(await(store.recentAudit("acme", 10)))
                .extracting(AuditEvent::user)
                .containsExactly("a2");
        assertThat(await(store.recentAudit("beta", 10)))
                .extracting(AuditEvent::user)
                .containsExactly("b2");
        assertThat(await(store.pruneAudit(2_000))).isZero();
    }

    @Test
    void audit_ofNoEvents_writesNothing() {
        await(store.audit(List.of()));

        assertThat(await(store.recentAudit("acme", 10))).isEmpty();
    }

    @Test
    void concurrentRegistersAndAdds_haveExactlyOneWinnerPerId() throws InterruptedException {
        int ids = 20;
        int threads = 8;
        Map<String, AtomicInteger> registered = new ConcurrentHashMap<>();
        Map<String, Issued> added = new ConcurrentHashMap<>();
        ConcurrentLinkedQueue<String> doubleAdds = new ConcurrentLinkedQueue<>();

        Race.run(threads, () -> {
            for (int i = 0; i < ids; i++) {
                String shared = "shared-" + i;
                if (await(store.register(tenant(shared)))) {
                    registered
                            .computeIfAbsent(shared, id -> new AtomicInteger())
                            .incrementAndGet();
                }
                String contested = "added-" + i;
                Optional<Issued> issued = await(store.add(contested, "Name of " + contested));
                if (issued.isPresent() && added.putIfAbsent(contested, issued.get()) != null) {
                    doubleAdds.add(contested);
                }
            }
        });

        assertThat(registered).hasSize(ids);
        assertThat(registered.values())
                .allSatisfy(wins -> assertThat(wins.get()).isOne());
        assertThat(doubleAdds).as("ids added twice").isEmpty();
        assertThat(added).hasSize(ids);
        List<Tenant> listed = tenants();
        assertThat(listed).hasSize(2 * ids);
        for (Issued winner : added.values()) {
            assertThat(listed).contains(winner.tenant());
            assertThat(winner.tenant().keyHash()).isEqualTo(ApiKeys.hash(winner.apiKey()));
        }
    }
}
