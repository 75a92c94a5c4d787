package dev.gatehouse.waitingroom.draw;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;

/**
 * Ticket ids (32 lowercase hex characters: 128 random bits, never the user's id) and the ticket list
 * file: the sorted ids, one per LF-terminated line.
 */
public final class TicketList {

    /** The length of a ticket id. */
    public static final int ID_LENGTH = 32;

    /** The largest ticket list file read (16 Mi tickets). */
    public static final long MAX_FILE_BYTES = (ID_LENGTH + 1L) << 24;

    /** The media type a ticket list is served as. */
    public static final String MEDIA_TYPE = "text/plain; charset=us-ascii";

    private static final SecureRandom RANDOM = new SecureRandom();

    private TicketList() {}

    /** A fresh ticket id. */
    public static String newId() {
        byte[] bits = new byte[ID_LENGTH / 2];
        RANDOM.nextBytes(bits);
        return DrawJson.hex(bits);
    }

    /** Whether {@code text} is a ticket id: 32 lowercase hex characters. */
    public static boolean isId(String text) {
        if (text.length() != ID_LENGTH) {
            return false;
        }
        for (int i = 0; i < ID_LENGTH; i++) {
            char c = text.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                return false;
            }
        }
        return true;
    }

    /** The file of {@code sortedIds} (strictly ascending ids). */
    public static byte[] file(List<String> sortedIds) {
        StringBuilder file = new StringBuilder(sortedIds.size() * (ID_LENGTH + 1));
        for (String id : sortedIds) {
            file.append(id).append('\n');
        }
        return file.toString().getBytes(StandardCharsets.US_ASCII);
    }

    /** The ids of a ticket list file, refused unless strictly ascending ids on LF-terminated lines, at least one. */
    public static List<String> read(byte[] file) throws DrawCheckException {
        if (file.length > MAX_FILE_BYTES) {
            throw new DrawCheckException("tickets: larger than " + MAX_FILE_BYTES + " bytes");
        }
        if (file.length == 0) {
            throw new DrawCheckException("tickets: empty (there is no draw of 0 tickets)");
        }
        if (file.length % (ID_LENGTH + 1) != 0 || file[file.length - 1] != '\n') {
            throw new DrawCheckException("tickets: not lines of " + ID_LENGTH + " characters, each ending in LF");
        }
        List<String> ids = new ArrayList<>(file.length / (ID_LENGTH + 1));
        String previous = "";
        for (int start = 0; start < file.length; start += ID_LENGTH + 1) {
            int line = ids.size() + 1;
            if (file[start + ID_LENGTH] != '\n') {
                throw new DrawCheckException("tickets: line " + line + " is not " + ID_LENGTH + " characters and LF");
            }
            String id = new String(file, start, ID_LENGTH, StandardCharsets.ISO_8859_1);
            if (!isId(id)) {
                throw new DrawCheckException("tickets: line " + line + " is not a ticket id (32 lowercase hex)");
            }
            if (id.compareTo(previous) <= 0) {
                throw new DrawCheckException("tickets: line " + line + " is not after line " + (line - 1)
                        + " (the list is strictly ascending)");
            }
            ids.add(id);
            previous = id;
        }
        return ids;
    }
}
