# A webhook receiver with Ruby's standard library only (socket, openssl, json): verifies Standard
# Webhooks signatures over the raw body, refuses timestamps more than 5 minutes away, and
# processes each webhook-id once.
#   WEBHOOK_SECRET=whsec_... PORT=8000 ruby receiver.rb
require "json"
require "openssl"
require "set"
require "socket"

TOLERANCE_SECONDS = 5 * 60

class Refusal < StandardError
  attr_reader :status

  def initialize(status, reason)
    super(reason)
    @status = status
  end
end

# Raises Refusal unless one of the signatures in the headers is ours over these exact bytes.
def verify(secret, headers, raw_body, now = Time.now.to_i)
  id, timestamp, signatures = headers.values_at("webhook-id", "webhook-timestamp", "webhook-signature")
  raise Refusal.new(400, "missing webhook-id, webhook-timestamp or webhook-signature header") if [id, timestamp, signatures].any? { |v| v.nil? || v.empty? }
  raise Refusal.new(400, "invalid webhook-timestamp") unless timestamp.match?(/\A\d+\z/)
  raise Refusal.new(400, "timestamp too old") if now - timestamp.to_i > TOLERANCE_SECONDS
  raise Refusal.new(400, "timestamp too new") if timestamp.to_i - now > TOLERANCE_SECONDS

  key = secret.delete_prefix("whsec_").unpack1("m") # base64
  mac = OpenSSL::HMAC.digest("SHA256", key, "#{id}.#{timestamp}.".b + raw_body)
  expected = [mac].pack("m0")
  # Several space-separated signatures during a secret rotation: any one of them will do.
  signatures.split(" ").each do |entry|
    version, signature = entry.split(",", 2)
    return if version == "v1" && signature && OpenSSL.secure_compare(signature, expected)
  end
  raise Refusal.new(401, "no matching signature")
end

SECRET = ENV["WEBHOOK_SECRET"]
# webhook-ids already accepted. A real receiver keeps them in its database (a unique key) for
# as long as a webhook can come again: 30 days covers retries and a dead-letter redrive.
SEEN = Set.new
SEEN_LOCK = Mutex.new

def handle(headers, raw_body)
  verify(SECRET, headers, raw_body)
  begin
    event = JSON.parse(raw_body) # only once the signature is verified
  rescue JSON::ParserError
    raise Refusal.new(400, "body is not JSON")
  end
  id = headers["webhook-id"]
  # The endpoint verification handshake (on subscribing, and when the URL changes): no event to
  # process, only the challenge to echo; not kept in SEEN, as its retries must be answered too.
  if event["type"] == "webhook.endpoint.verification"
    puts "verification #{id}"
    return [200, { "challenge" => event["data"]["challenge"] }]
  end
  # Claim the id, so that two copies arriving together are processed once.
  unless SEEN_LOCK.synchronize { SEEN.add?(id) }
    # A replay of an accepted webhook: answer 200 so that the sender stops, but do nothing again.
    puts "duplicate #{id}"
    return [200, "duplicate"]
  end
  begin
    # Here a real receiver puts the event on its queue (docs/receiving-webhooks.md), then answers.
    puts "processed #{id} #{event["type"]}"
  rescue StandardError
    SEEN_LOCK.synchronize { SEEN.delete(id) } # not processed: let the sender's retry try again
    raise
  end
  [200, "accepted"]
end

# Ruby's standard library has no HTTP server since 3.0 (WEBrick is a gem), so here is the little
# of HTTP/1.1 a webhook needs: one request per connection. Behind Rack or Rails, call verify with
# request.raw_post (or request.body.read) and the request's headers instead.
REASONS = { 200 => "OK", 400 => "Bad Request", 401 => "Unauthorized", 405 => "Method Not Allowed", 500 => "Internal Server Error" }.freeze

def serve(client)
  method, = client.gets("\r\n")&.split(" ")
  headers = {}
  while (line = client.gets("\r\n")) && line != "\r\n"
    name, value = line.split(":", 2)
    headers[name.strip.downcase] = value.to_s.strip
  end
  raw_body = client.read(headers.fetch("content-length", "0").to_i) || ""
  status, text =
    if method != "POST"
      [405, "POST only"]
    else
      begin
        handle(headers, raw_body)
      rescue Refusal => e
        puts "refused #{e.status} #{e.message}"
        [e.status, e.message]
      rescue StandardError => e
        warn e.full_message
        [500, "internal error"]
      end
    end
  content_type = "text/plain"
  text, content_type = JSON.generate(text), "application/json" if text.is_a?(Hash) # answered as JSON
  client.write("HTTP/1.1 #{status} #{REASONS.fetch(status)}\r\ncontent-type: #{content_type}\r\n" \
               "content-length: #{text.bytesize}\r\nconnection: close\r\n\r\n#{text}")
ensure
  client.close
end

abort "Set WEBHOOK_SECRET to the subscription secret (whsec_...)." unless SECRET
$stdout.sync = true
server = TCPServer.new("127.0.0.1", Integer(ENV["PORT"] || ARGV[0] || 8000))
puts "listening on http://127.0.0.1:#{server.addr[1]}"
loop do
  client = server.accept
  Thread.new(client) { |c| serve(c) }
end
