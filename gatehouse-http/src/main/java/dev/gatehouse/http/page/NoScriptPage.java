package dev.gatehouse.http.page;

import dev.gatehouse.http.HtmlText;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The waiting page as plain HTML, for a browser without JavaScript: the visitor's place, rendered on
 * each visit, refreshing itself while there is something to wait for. Its texts are the look's, in
 * the page's language, over English defaults; {@code {name}} in a text is replaced by the value.
 */
public final class NoScriptPage {

    /**
     * The page's texts in English: the JavaScript page's own where they say the same (the same keys
     * and words as {@code DEFAULT_TEXTS} of {@code clients/js/page/waiting-model.js}, which a test
     * holds them to), and {@link #OWN} ones. A look's {@code languages} may give any of them.
     */
    public static final Map<String, String> TEXTS = Map.ofEntries(
            Map.entry("position", "You are number {position} in line"),
            Map.entry("eta", "Estimated wait: {wait}"),
            Map.entry("eta_unknown", "The wait cannot be estimated yet."),
            Map.entry("wait_under_minute", "under a minute"),
            Map.entry("wait_minutes", "about {minutes} min"),
            Map.entry("wait_hours", "about {hours} h {minutes} min"),
            Map.entry("wait_over_day", "more than a day"),
            Map.entry(
                    "prequeue",
                    "You are registered. When the event starts, everyone registered is put in line in an order"
                            + " drawn at random, so there is no need to hurry or to reload."),
            Map.entry("countdown", "The draw starts in {time}"),
            Map.entry("draw_due", "The draw is under way; your place shows in a moment."),
            Map.entry("ticket", "Your ticket: {ticket}"),
            Map.entry("ready", "It is your turn! Taking you there…"),
            Map.entry("ready_no_return", "It is your turn. Use this pass to go on:"),
            Map.entry("already_waiting", "This visitor is already waiting, in another browser: go on there."),
            Map.entry("join", "Join the line"),
            Map.entry("join_intro", "Press the button to take your place in line; this page then keeps it."),
            Map.entry("refreshes", "This page refreshes itself every {seconds} s."));

    /** The texts only this page has; the others are the JavaScript page's. */
    public static final Set<String> OWN = Set.of("already_waiting", "join", "join_intro", "refreshes");

    private static final long MIN_REFRESH_SECONDS = 5;
    private static final long MAX_REFRESH_SECONDS = 30;

    /** Where the visitor stands, as the page shows it. */
    public sealed interface Place {

        /** Holds no place and has not asked for one: the join button. */
        record Joining() implements Place {}

        /** Waits already, in another browser (which holds the token). */
        record WaitingElsewhere() implements Place {}

        /** In line at {@code position} (from 1), with the estimated wait when there is one. */
        record Queued(long position, OptionalLong etaSeconds) implements Place {}

        /** Registered for the draw due at {@code opensAtSeconds}, with the visitor's {@code ticket}. */
        record Registered(long opensAtSeconds, String ticket) implements Place {}

        /** It is the visitor's turn: {@code token} is the pass, shown when the page sends nobody on. */
        record Ready(String token, boolean sentOn) implements Place {}
    }

    private final PageLook look;
    private final String language;
    private final String stylesheet;
    private final String theme;
    private final String joinAction;
    private final long nowSeconds;

    /**
     * The page in {@code look} and {@code language}, styled by {@code stylesheet} (the JavaScript
     * page's) and {@code theme} (the room's colours), whose join button posts to {@code joinAction},
     * at {@code nowSeconds}.
     */
    public NoScriptPage(
            PageLook look, String language, String stylesheet, String theme, String joinAction, long nowSeconds) {
        this.look = look;
        this.language = language;
        this.stylesheet = stylesheet;
        this.theme = theme;
        this.joinAction = joinAction;
        this.nowSeconds = nowSeconds;
    }

    /** The page of a visitor who stands at {@code place}. */
    public String render(Place place) {
        long refresh = 0;
        StringBuilder body = new StringBuilder();
        switch (place) {
            case Place.Joining joining -> {
                paragraph(body, text("join_intro", Map.of()));
                body.append("<form method=\"post\" action=\"")
                        .append(HtmlText.escape(joinAction))
                        .append("\"><button type=\"submit\" class=\"gh-button\">")
                        .append(HtmlText.escape(text("join", Map.of())))
                        .append("</button></form>\n");
            }
            case Place.WaitingElsewhere elsewhere -> paragraph(body, text("already_waiting", Map.of()));
            case Place.Queued queued -> {
                paragraph(body, text("position", Map.of("position", Long.toString(queued.position()))));
                if (queued.etaSeconds().isPresent()) {
                    long seconds = queued.etaSeconds().getAsLong();
                    paragraph(body, text("eta", Map.of("wait", waitText(seconds))));
                    refresh = Math.clamp(seconds / 10, MIN_REFRESH_SECONDS, MAX_REFRESH_SECONDS);
                } else {
                    paragraph(body, text("eta_unknown", Map.of()));
                    refresh = MAX_REFRESH_SECONDS;
                }
            }
            case Place.Registered registered -> {
                long left = registered.opensAtSeconds() - nowSeconds;
                paragraph(body, text("prequeue", Map.of()));
                paragraph(
                        body,
                        left > 0 ? text("countdown", Map.of("time", countdown(left))) : text("draw_due", Map.of()));
                paragraph(body, text("ticket", Map.of("ticket", registered.ticket())));
                refresh = Math.clamp(left, MIN_REFRESH_SECONDS, MAX_REFRESH_SECONDS);
            }
            case Place.Ready ready -> {
                if (ready.sentOn()) {
                    paragraph(body, text("ready", Map.of()));
                } else {
                    paragraph(body, text("ready_no_return", Map.of()));
                    body.append("<p><code>")
                            .append(HtmlText.escape(ready.token()))
                            .append("</code></p>\n");
                }
            }
        }
        if (refresh > 0) {
            paragraph(body, text("refreshes", Map.of("seconds", Long.toString(refresh))));
        }
        String title = HtmlText.escape(look.title());
        return "<!DOCTYPE html>\n<html lang=\"" + HtmlText.escape(language) + "\">\n<head>\n<meta charset=\"utf-8\">\n"
                + "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                + (refresh > 0 ? "<meta http-equiv=\"refresh\" content=\"" + refresh + "\">\n" : "")
                + "<title>" + title + "</title>\n"
                + "<link rel=\"stylesheet\" href=\"" + HtmlText.escape(stylesheet) + "\">\n"
                + "<link rel=\"stylesheet\" href=\"" + HtmlText.escape(theme) + "\">\n"
                + "</head>\n<body>\n<header class=\"gh-header\"><h1>" + title + "</h1></header>\n"
                + "<main class=\"gh-card\">\n" + body + "</main>\n</body>\n</html>\n";
    }

    /** A wait of {@code seconds} in words, as the JavaScript page words it. */
    public String waitText(long seconds) {
        long minutes = Math.round(seconds / 60.0);
        if (seconds < 60) {
            return text("wait_under_minute", Map.of());
        }
        if (minutes < 60) {
            return text("wait_minutes", Map.of("minutes", Long.toString(minutes)));
        }
        if (minutes < 24 * 60) {
            return text(
                    "wait_hours", Map.of("hours", Long.toString(minutes / 60), "minutes", Long.toString(minutes % 60)));
        }
        return text("wait_over_day", Map.of());
    }

    /** {@code seconds} as a countdown, as the JavaScript page shows it: {@code 1:02:03}, or {@code 4:05}. */
    public static String countdown(long seconds) {
        long hours = seconds / 3600;
        long minutes = seconds % 3600 / 60;
        long rest = seconds % 60;
        return hours > 0 ? "%d:%02d:%02d".formatted(hours, minutes, rest) : "%d:%02d".formatted(minutes, rest);
    }

    private String text(String key, Map<String, String> values) {
        String text = look.text(language, key).orElseGet(() -> Objects.requireNonNull(TEXTS.get(key), key));
        for (Map.Entry<String, String> value : values.entrySet()) {
            text = text.replace("{" + value.getKey() + "}", value.getValue());
        }
        return text;
    }

    private static void paragraph(StringBuilder body, String text) {
        body.append("<p>").append(HtmlText.escape(text)).append("</p>\n");
    }
}
