package dev.gatehouse.jdbc;

/**
 * A statement PostgreSQL did not carry out: the database could not be reached or refused it, the
 * store was busy or closed. The message names the operation and the database's reason, never a
 * password or an API key.
 */
public final class DatabaseException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public DatabaseException(String message) {
        super(message);
    }

    public DatabaseException(String message, Throwable cause) {
        super(message, cause);
    }
}
