package dev.gatehouse.server.room;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.gatehouse.http.page.PageLook;
import dev.gatehouse.http.settings.ConfigException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * How each room's hosted waiting page looks and speaks, from the file of {@code room.pages-file}: a
 * YAML map from tenant id (or {@code *}, every room without its own entry) to a {@link PageLook}.
 * Unknown keys, colours that are not {@code #rgb} or {@code #rrggbb}, URLs that are not http(s) and
 * texts over their bounds are refused at start, each named by its path in the file.
 */
final class PageLooks {

    private static final long MAX_FILE_BYTES = 1 << 20;

    private final Map<String, PageLook> byRoom;
    private final PageLook fallback;

    private PageLooks(Map<String, PageLook> byRoom, PageLook fallback) {
        this.byRoom = byRoom;
        this.fallback = fallback;
    }

    /** No file: every room looks the default way. */
    static final PageLooks DEFAULTS = new PageLooks(Map.of(), PageLook.DEFAULT);

    /** The looks of {@code file}, or the defaults without one; throws {@link ConfigException} naming what is wrong. */
    static PageLooks read(Optional<String> file) {
        if (file.isEmpty()) {
            return DEFAULTS;
        }
        String where = "room.pages-file: " + file.get();
        JsonNode root;
        try {
            Path path = Path.of(file.get());
            if (Files.size(path) > MAX_FILE_BYTES) {
                throw new ConfigException(where + ": larger than 1 MiB");
            }
            root = new ObjectMapper(new YAMLFactory()).readTree(Files.readAllBytes(path));
        } catch (JsonProcessingException e) {
            throw new ConfigException(where + ": not YAML: " + e.getOriginalMessage(), e);
        } catch (IOException | RuntimeException e) {
            if (e instanceof ConfigException config) {
                throw config;
            }
            throw new ConfigException(where + ": cannot be read (" + e.getMessage() + ")", e);
        }
        if (root == null || root.isNull() || root.isMissingNode()) {
            return DEFAULTS;
        }
        if (!root.isObject()) {
            throw new ConfigException(where + ": expected a map from room (tenant id, or *) to its page");
        }
        Map<String, PageLook> looks = new LinkedHashMap<>();
        PageLook fallback = PageLook.DEFAULT;
        for (Map.Entry<String, JsonNode> entry : root.properties()) {
            PageLook look = PageLook.read(where + ": " + entry.getKey(), entry.getValue());
            if (entry.getKey().equals("*")) {
                fallback = look;
            } else {
                looks.put(entry.getKey(), look);
            }
        }
        return new PageLooks(Map.copyOf(looks), fallback);
    }

    /** The look of {@code room}: its own, else the file's {@code *}, else the default. */
    PageLook of(String room) {
        return byRoom.getOrDefault(room, fallback);
    }
}
