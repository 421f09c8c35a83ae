<?php
// A webhook receiver with PHP's standard library only: verifies Standard Webhooks signatures over
// the raw body, refuses timestamps more than 5 minutes away, and processes each webhook-id once.
//   WEBHOOK_SECRET=whsec_... php -S 127.0.0.1:8000 receiver.php
// (or as the script your web server runs for the webhook URL).

const TOLERANCE_SECONDS = 5 * 60;

final class Refusal extends Exception
{
    public function __construct(public readonly int $status, string $reason)
    {
        parent::__construct($reason);
    }
}

/** Throws a Refusal unless one of the signatures in the headers is ours over these exact bytes. */
function verify(string $secret, array $headers, string $rawBody, ?int $now = null): void
{
    $id = $headers['webhook-id'] ?? '';
    $timestamp = $headers['webhook-timestamp'] ?? '';
    $signatures = $headers['webhook-signature'] ?? '';
    if ($id === '' || $timestamp === '' || $signatures === '') {
        throw new Refusal(400, 'missing webhook-id, webhook-timestamp or webhook-signature header');
    }
    if (!ctype_digit($timestamp)) {
        throw new Refusal(400, 'invalid webhook-timestamp');
    }
    $now ??= time();
    if ($now - (int) $timestamp > TOLERANCE_SECONDS) {
        throw new Refusal(400, 'timestamp too old');
    }
    if ((int) $timestamp - $now > TOLERANCE_SECONDS) {
        throw new Refusal(400, 'timestamp too new');
    }

    $key = base64_decode(str_starts_with($secret, 'whsec_') ? substr($secret, strlen('whsec_')) : $secret, true);
    $expected = base64_encode(hash_hmac('sha256', "$id.$timestamp.$rawBody", $key, true));
    // Several space-separated signatures during a secret rotation: any one of them will do.
    foreach (explode(' ', $signatures) as $entry) {
        [$version, $signature] = array_pad(explode(',', $entry, 2), 2, '');
        if ($version === 'v1' && hash_equals($expected, $signature)) {
            return;
        }
    }
    throw new Refusal(401, 'no matching signature');
}

/** One line on the server's standard output (php -S prints its own request log on stderr). */
function say(string $line): void
{
    file_put_contents('php://stdout', $line . PHP_EOL);
}

/**
 * Claims a webhook-id: true the first time, false for a replay. Each request is a fresh PHP run,
 * so accepted ids live outside it: here one file each, created atomically ('x' fails if it exists).
 * A real receiver keeps them in its database (a unique key) for as long as a webhook can come
 * again: 30 days covers retries and a dead-letter redrive.
 */
function claim(string $id): bool
{
    $dir = getenv('WEBHOOK_SEEN_DIR') ?: sys_get_temp_dir() . '/webhook-receiver-seen';
    if (!is_dir($dir) && !@mkdir($dir, 0700, true) && !is_dir($dir)) {
        throw new RuntimeException("cannot create $dir");
    }
    $file = @fopen($dir . '/' . hash('sha256', $id), 'x');
    if ($file === false) {
        return false;
    }
    fclose($file);
    return true;
}

function handle(string $secret, array $headers, string $rawBody): array
{
    verify($secret, $headers, $rawBody);
    try {
        $event = json_decode($rawBody, true, 512, JSON_THROW_ON_ERROR); // only once the signature is verified
    } catch (JsonException) {
        throw new Refusal(400, 'body is not JSON');
    }
    $id = $headers['webhook-id'];
    // The endpoint verification handshake (on subscribing, and when the URL changes): no event to
    // process, only the challenge to echo; not claimed, as its retries must be answered too.
    if (($event['type'] ?? null) === 'webhook.endpoint.verification') {
        say("verification $id");
        header('content-type: application/json');
        return [200, json_encode(['challenge' => $event['data']['challenge'] ?? ''])];
    }
    if (!claim($id)) {
        // A replay of an accepted webhook: answer 200 so that the sender stops, but do nothing again.
        say("duplicate $id");
        return [200, 'duplicate'];
    }
    // Here a real receiver puts the event on its queue (docs/receiving-webhooks.md), then answers;
    // if that fails, it removes the claim and answers 500, so that the sender's retry tries again.
    say("processed $id " . ($event['type'] ?? '?'));
    return [200, 'accepted'];
}

$secret = getenv('WEBHOOK_SECRET');
header('content-type: text/plain');
if (!$secret) {
    http_response_code(500);
    error_log('Set WEBHOOK_SECRET to the subscription secret (whsec_...).');
    exit('not configured');
}
if ($_SERVER['REQUEST_METHOD'] !== 'POST') {
    http_response_code(405);
    exit('POST only');
}
try {
    [$status, $text] = handle($secret, array_change_key_case(getallheaders(), CASE_LOWER), file_get_contents('php://input'));
} catch (Refusal $refusal) {
    [$status, $text] = [$refusal->status, $refusal->getMessage()];
    say("refused $status $text");
}
http_response_code($status);
echo $text;
