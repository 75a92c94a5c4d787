package dev.gatehouse.cli.log;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.encoder.EncoderBase;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import org.slf4j.event.KeyValuePair;

/**
 * Writes each log event as one JSON object on one line: {@code time}, {@code level}, {@code logger},
 * {@code msg}, the event's key-value pairs, and {@code error} with the stack trace when there is one.
 */
public final class JsonLineEncoder extends EncoderBase<ILoggingEvent> {

    /*
     * Design: logback's own JsonEncoder writes every field of the event (sequence numbers, context
     * maps, marker lists), which makes lines long and hard to read. This one writes the few fields an
     * operator greps for, flat, so an access-log line reads {"time":..,"level":"INFO",..,"status":429}.
     */

    private static final byte[] NO_BYTES = new byte[0];
    private final JsonFactory factory = new JsonFactory();

    @Override
    public byte[] headerBytes() {
        return NO_BYTES;
    }

    @Override
    public byte[] footerBytes() {
        return NO_BYTES;
    }

    @Override
    public byte[] encode(ILoggingEvent event) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator json = factory.createGenerator(out)) {
            json.writeStartObject();
            json.writeStringField(
                    "time", Instant.ofEpochMilli(event.getTimeStamp()).toString());
            json.writeStringField("level", event.getLevel().toString());
            json.writeStringField("logger", event.getLoggerName());
            json.writeStringField("msg", event.getFormattedMessage());
            if (event.getKeyValuePairs() != null) {
                for (KeyValuePair pair : event.getKeyValuePairs()) {
                    if (pair.value instanceof Number number) {
                        json.writeFieldName(pair.key);
                        json.writeNumber(number.toString());
                    } else if (pair.value instanceof Boolean bool) {
                        json.writeBooleanField(pair.key, bool);
                    } else {
                        json.writeStringField(pair.key, String.valueOf(pair.value));
                    }
                }
            }
            IThrowableProxy error = event.getThrowableProxy();
            if (error != null) {
                json.writeStringField("error", ThrowableProxyUtil.asString(error));
            }
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        out.write('\n');
        return out.toByteArray();
    }
}
