package dev.gatehouse.waitingroom.draw;

/**
 * A public randomness beacon publishing a round every {@code periodSeconds} from {@code genesisTime}
 * (drand's chains, say): the schedule a commit picks its round from.
 *
 * @param chain the beacon's name (1–128 characters)
 * @param genesisTime Unix seconds of round 1
 * @param periodSeconds seconds between rounds (≥ 1)
 */
public record BeaconChain(String chain, long genesisTime, long periodSeconds) {

    /** Refuses what {@link Beacon} refuses. */
    public BeaconChain {
        new Beacon(chain, genesisTime, periodSeconds, 1);
    }

    /** The first round published strictly after {@code unixSeconds}: its value cannot be known then. */
    public Beacon firstRoundAfter(long unixSeconds) {
        long round = unixSeconds < genesisTime ? 1 : (unixSeconds - genesisTime) / periodSeconds + 2;
        return new Beacon(chain, genesisTime, periodSeconds, round);
    }
}
