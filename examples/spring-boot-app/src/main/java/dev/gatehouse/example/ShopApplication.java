package dev.gatehouse.example;

import java.util.List;
import java.util.Map;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * A small shop behind Gatehouse: nothing in it knows of the gate. {@code application.yml} limits the
 * API per client and the login per user name, puts a breaker in front of everything, and asks a proof
 * of work before a sign-up.
 */
@SpringBootApplication
public class ShopApplication {

    public static void main(String[] args) {
        SpringApplication.run(ShopApplication.class, args);
    }

    /** The shop's endpoints. */
    @RestController
    static class Shop {

        @GetMapping("/api/items")
        List<Map<String, Object>> items() {
            return List.of(Map.of("id", 1, "name", "ticket"), Map.of("id", 2, "name", "poster"));
        }

        @PostMapping("/api/login")
        Map<String, String> login(@RequestHeader("X-User") String user) {
            return Map.of("user", user);
        }

        @PostMapping("/signup")
        Map<String, String> signup() {
            return Map.of("status", "welcome");
        }

        /** The inventory service behind the shop, failing when asked to: an answer or an exception. */
        @GetMapping("/inventory")
        ResponseEntity<String> inventory(@RequestParam(name = "state", defaultValue = "ok") String state) {
            return switch (state) {
                case "down" -> ResponseEntity.status(502).body("inventory unreachable\n");
                case "broken" -> throw new IllegalStateException("inventory client failed");
                default -> ResponseEntity.ok("in stock\n");
            };
        }
    }
}
