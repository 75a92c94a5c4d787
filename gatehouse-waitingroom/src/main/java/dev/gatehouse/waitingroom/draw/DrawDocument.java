package dev.gatehouse.waitingroom.draw;

import java.util.Map;

/** A signed draw file: the commit record or the draw record. */
public sealed interface DrawDocument permits DrawCommit, DrawRecord {

    /** The key that signs it, 32 bytes as lowercase hex. */
    String signingPublicKey();

    /** Its members without {@code signature}, whose JCS bytes are what is signed. */
    Map<String, Object> members();
}
