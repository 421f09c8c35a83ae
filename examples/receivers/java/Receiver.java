// A webhook receiver with the JDK only (Java 11 or newer): verifies Standard Webhooks signatures
// over the raw body, refuses timestamps more than 5 minutes away, and processes each webhook-id once.
//   WEBHOOK_SECRET=whsec_... PORT=8000 java Receiver.java

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

public class Receiver {
    static final long TOLERANCE_SECONDS = 5 * 60;

    /** A webhook we do not take, with the status and reason we answer. */
    static class Refusal extends Exception {
        final int status;

        Refusal(int status, String reason) {
            super(reason);
            this.status = status;
        }
    }

    /** Throws a Refusal unless one of the signatures in the headers is ours over these exact bytes. */
    static void verify(String secret, Headers headers, byte[] rawBody, long nowSeconds) throws Refusal, GeneralSecurityException {
        String id = headers.getFirst("webhook-id");
        String timestamp = headers.getFirst("webhook-timestamp");
        String signatures = headers.getFirst("webhook-signature");
        if (isEmpty(id) || isEmpty(timestamp) || isEmpty(signatures)) {
            throw new Refusal(400, "missing webhook-id, webhook-timestamp or webhook-signature header");
        }
        if (!timestamp.matches("[0-9]{1,18}")) throw new Refusal(400, "invalid webhook-timestamp");
        long ts = Long.parseLong(timestamp);
        if (nowSeconds - ts > TOLERANCE_SECONDS) throw new Refusal(400, "timestamp too old");
        if (ts - nowSeconds > TOLERANCE_SECONDS) throw new Refusal(400, "timestamp too new");

        byte[] key = Base64.getDecoder().decode(secret.startsWith("whsec_") ? secret.substring("whsec_".length()) : secret);
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        mac.update((id + "." + timestamp + ".").getBytes(StandardCharsets.UTF_8));
        byte[] expected = mac.doFinal(rawBody);
        // Several space-separated signatures during a secret rotation: any one of them will do.
        for (String entry : signatures.split(" ")) {
            String[] parts = entry.split(",", 2);
            if (parts.length != 2 || !parts[0].equals("v1")) continue;
            byte[] given;
            try {
                given = Base64.getDecoder().decode(parts[1]);
            } catch (IllegalArgumentException notBase64) {
                continue;
            }
            if (MessageDigest.isEqual(given, expected)) return; // constant time
        }
        throw new Refusal(401, "no matching signature");
    }

    static boolean isEmpty(String s) {
        return s == null || s.isEmpty();
    }

    // webhook-ids already accepted. A real receiver keeps them in its database (a unique key) for
    // as long as a webhook can come again: 30 days covers retries and a dead-letter redrive.
    static final Set<String> seen = ConcurrentHashMap.newKeySet();

    // The JDK has no JSON parser; a real receiver parses the body with its JSON library here. This
    // example reads only the event's "type" (and a verification's "challenge"), and refuses a body
    // that is not a JSON object.
    static final Pattern TYPE = Pattern.compile("\"type\"\\s*:\\s*\"([^\"\\\\]*)\"");
    static final Pattern CHALLENGE = Pattern.compile("\"challenge\"\\s*:\\s*\"([^\"\\\\]*)\"");

    static String[] handle(String secret, Headers headers, byte[] rawBody) throws Refusal, GeneralSecurityException {
        verify(secret, headers, rawBody, System.currentTimeMillis() / 1000);
        String body = new String(rawBody, StandardCharsets.UTF_8).strip(); // only once the signature is verified
        if (!body.startsWith("{") || !body.endsWith("}")) throw new Refusal(400, "body is not JSON");
        Matcher type = TYPE.matcher(body);
        String eventType = type.find() ? type.group(1) : "?";
        String id = headers.getFirst("webhook-id");
        // The endpoint verification handshake (on subscribing, and when the URL changes): no event to
        // process, only the challenge to echo; not kept in seen, as its retries must be answered too.
        if (eventType.equals("webhook.endpoint.verification")) {
            Matcher challenge = CHALLENGE.matcher(body);
            System.out.println("verification " + id);
            // Quotes and backslashes cannot be in the match, so it is a JSON string as it stands.
            return new String[] {"200", "{\"challenge\":\"" + (challenge.find() ? challenge.group(1) : "") + "\"}", "application/json"};
        }
        // Claim the id, so that two copies arriving together are processed once.
        if (!seen.add(id)) {
            // A replay of an accepted webhook: answer 200 so that the sender stops, but do nothing again.
            System.out.println("duplicate " + id);
            return new String[] {"200", "duplicate"};
        }
        // Here a real receiver puts the event on its queue (docs/receiving-webhooks.md), then answers;
        // if that fails, it removes the id from seen and answers 500, so that the sender's retry tries again.
        System.out.println("processed " + id + " " + eventType);
        return new String[] {"200", "accepted"};
    }

    static void serve(String secret, HttpExchange exchange) throws IOException {
        int status;
        String text;
        String contentType = "text/plain";
        if (!exchange.getRequestMethod().equals("POST")) {
            status = 405;
            text = "POST only";
        } else {
            byte[] rawBody = exchange.getRequestBody().readAllBytes();
            try {
                String[] answer = handle(secret, exchange.getRequestHeaders(), rawBody);
                status = Integer.parseInt(answer[0]);
                text = answer[1];
                if (answer.length > 2) contentType = answer[2];
            } catch (Refusal refusal) {
                status = refusal.status;
                text = refusal.getMessage();
                System.out.println("refused " + status + " " + text);
            } catch (GeneralSecurityException e) {
                e.printStackTrace();
                status = 500;
                text = "internal error";
            }
        }
        byte[] out = text.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("content-type", contentType);
        exchange.sendResponseHeaders(status, out.length);
        try (OutputStream body = exchange.getResponseBody()) {
            body.write(out);
        }
    }

    public static void main(String[] args) throws IOException {
        String secret = System.getenv("WEBHOOK_SECRET");
        if (isEmpty(secret)) {
            System.err.println("Set WEBHOOK_SECRET to the subscription secret (whsec_...).");
            System.exit(2);
        }
        String port = System.getenv("PORT");
        if (isEmpty(port)) port = args.length > 0 ? args[0] : "8000";
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", Integer.parseInt(port)), 0);
        server.createContext("/", exchange -> serve(secret, exchange));
        server.setExecutor(Executors.newFixedThreadPool(8));
        server.start();
        System.out.println("listening on http://127.0.0.1:" + server.getAddress().getPort());
    }
}
