// A webhook receiver with the .NET base class library only: verifies Standard Webhooks signatures
// over the raw body, refuses timestamps more than 5 minutes away, and processes each webhook-id once.
//   mcs Receiver.cs -r:System.Runtime.Serialization && WEBHOOK_SECRET=whsec_... PORT=8000 mono Receiver.exe
// (Mono's mcs, as Debian ships it; with the .NET SDK, put it in a console project and `dotnet run`.)
using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Runtime.Serialization;
using System.Runtime.Serialization.Json;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Tasks;

public class Refusal : Exception
{
    public readonly int Status;
    public Refusal(int status, string reason) : base(reason) { Status = status; }
}

[DataContract]
public class WebhookEvent
{
    [DataMember(Name = "id")] public string Id;
    [DataMember(Name = "type")] public string Type;
}

/// The endpoint verification handshake's event; its data, a Challenge, is also the answer.
[DataContract]
public class VerificationEvent
{
    [DataMember(Name = "data")] public Challenge Data;
}

[DataContract]
public class Challenge
{
    [DataMember(Name = "challenge")] public string Value;
}

public static class Receiver
{
    const long ToleranceSeconds = 5 * 60;

    /// Throws a Refusal unless one of the signatures in the headers is ours over these exact bytes.
    public static void Verify(string secret, IDictionary<string, string> headers, byte[] rawBody, long nowSeconds)
    {
        string id, timestamp, signatures;
        headers.TryGetValue("webhook-id", out id);
        headers.TryGetValue("webhook-timestamp", out timestamp);
        headers.TryGetValue("webhook-signature", out signatures);
        if (string.IsNullOrEmpty(id) || string.IsNullOrEmpty(timestamp) || string.IsNullOrEmpty(signatures))
            throw new Refusal(400, "missing webhook-id, webhook-timestamp or webhook-signature header");
        long ts;
        if (timestamp.Length > 18 || !IsDigits(timestamp) || !long.TryParse(timestamp, out ts))
            throw new Refusal(400, "invalid webhook-timestamp");
        if (nowSeconds - ts > ToleranceSeconds) throw new Refusal(400, "timestamp too old");
        if (ts - nowSeconds > ToleranceSeconds) throw new Refusal(400, "timestamp too new");

        byte[] key = Convert.FromBase64String(secret.StartsWith("whsec_") ? secret.Substring("whsec_".Length) : secret);
        byte[] prefix = Encoding.UTF8.GetBytes(id + "." + timestamp + ".");
        byte[] signed = new byte[prefix.Length + rawBody.Length];
        prefix.CopyTo(signed, 0);
        rawBody.CopyTo(signed, prefix.Length);
        byte[] expected;
        using (var hmac = new HMACSHA256(key)) expected = hmac.ComputeHash(signed);
        // Several space-separated signatures during a secret rotation: any one of them will do.
        foreach (string entry in signatures.Split(' '))
        {
            string[] parts = entry.Split(new[] { ',' }, 2);
            if (parts.Length != 2 || parts[0] != "v1") continue;
            byte[] given;
            try { given = Convert.FromBase64String(parts[1]); }
            catch (FormatException) { continue; }
            if (FixedTimeEquals(given, expected)) return;
        }
        throw new Refusal(401, "no matching signature");
    }

    static bool IsDigits(string s)
    {
        foreach (char c in s) if (c < '0' || c > '9') return false;
        return true;
    }

    /// Constant time for equal lengths (CryptographicOperations.FixedTimeEquals on .NET Core 2.1+).
    static bool FixedTimeEquals(byte[] a, byte[] b)
    {
        if (a.Length != b.Length) return false;
        int diff = 0;
        for (int i = 0; i < a.Length; i++) diff |= a[i] ^ b[i];
        return diff == 0;
    }

    // webhook-ids already accepted. A real receiver keeps them in its database (a unique key) for
    // as long as a webhook can come again: 30 days covers retries and a dead-letter redrive.
    static readonly ConcurrentDictionary<string, bool> Seen = new ConcurrentDictionary<string, bool>();

    /// The status, the body and its content type.
    static Tuple<int, string, string> Handle(string secret, IDictionary<string, string> headers, byte[] rawBody)
    {
        Verify(secret, headers, rawBody, DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        WebhookEvent webhookEvent;
        try
        {
            // Only once the signature is verified.
            webhookEvent = (WebhookEvent)new DataContractJsonSerializer(typeof(WebhookEvent)).ReadObject(new MemoryStream(rawBody));
        }
        catch (Exception e) when (e is SerializationException || e is System.Xml.XmlException || e is InvalidCastException)
        {
            throw new Refusal(400, "body is not JSON");
        }
        string id = headers["webhook-id"];
        // The endpoint verification handshake (on subscribing, and when the URL changes): no event to
        // process, only the challenge to echo; not kept in Seen, as its retries must be answered too.
        if (webhookEvent.Type == "webhook.endpoint.verification")
        {
            var verification = (VerificationEvent)new DataContractJsonSerializer(typeof(VerificationEvent)).ReadObject(new MemoryStream(rawBody));
            var answer = new MemoryStream();
            new DataContractJsonSerializer(typeof(Challenge)).WriteObject(answer, verification.Data);
            Console.WriteLine("verification " + id);
            return Tuple.Create(200, Encoding.UTF8.GetString(answer.ToArray()), "application/json");
        }
        // Claim the id, so that two copies arriving together are processed once.
        if (!Seen.TryAdd(id, true))
        {
            // A replay of an accepted webhook: answer 200 so that the sender stops, but do nothing again.
            Console.WriteLine("duplicate " + id);
            return Tuple.Create(200, "duplicate", "text/plain");
        }
        // Here a real receiver puts the event on its queue (docs/receiving-webhooks.md), then answers;
        // if that fails, it removes the id from Seen and answers 500, so that the sender's retry tries again.
        Console.WriteLine("processed " + id + " " + webhookEvent.Type);
        return Tuple.Create(200, "accepted", "text/plain");
    }

    // The base class library's HttpListener cannot listen on port 0 and say which port it got, so
    // here is the little of HTTP/1.1 a webhook needs: one request per connection. In ASP.NET Core,
    // call Verify with the request's headers and its body read to the end as bytes instead.
    static async Task Serve(string secret, TcpClient client)
    {
        using (client)
        using (var stream = client.GetStream())
        {
            var reader = new BinaryReader(stream, Encoding.ASCII);
            string requestLine = ReadLine(reader);
            var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            for (string line = ReadLine(reader); !string.IsNullOrEmpty(line); line = ReadLine(reader))
            {
                int colon = line.IndexOf(':');
                if (colon > 0) headers[line.Substring(0, colon).Trim()] = line.Substring(colon + 1).Trim();
            }
            string length;
            byte[] rawBody = reader.ReadBytes(headers.TryGetValue("content-length", out length) ? int.Parse(length) : 0);

            int status;
            string text;
            string contentType = "text/plain";
            if (requestLine == null || !requestLine.StartsWith("POST "))
            {
                status = 405;
                text = "POST only";
            }
            else
            {
                try
                {
                    var answer = Handle(secret, headers, rawBody);
                    status = answer.Item1;
                    text = answer.Item2;
                    contentType = answer.Item3;
                }
                catch (Refusal refusal)
                {
                    status = refusal.Status;
                    text = refusal.Message;
                    Console.WriteLine("refused " + status + " " + text);
                }
                catch (Exception e)
                {
                    Console.Error.WriteLine(e);
                    status = 500;
                    text = "internal error";
                }
            }
            byte[] body = Encoding.UTF8.GetBytes(text);
            byte[] head = Encoding.ASCII.GetBytes("HTTP/1.1 " + status + " " + Reason(status) +
                "\r\ncontent-type: " + contentType + "\r\ncontent-length: " + body.Length + "\r\nconnection: close\r\n\r\n");
            await stream.WriteAsync(head, 0, head.Length);
            await stream.WriteAsync(body, 0, body.Length);
        }
    }

    static string Reason(int status)
    {
        switch (status)
        {
            case 200: return "OK";
            case 400: return "Bad Request";
            case 401: return "Unauthorized";
            case 405: return "Method Not Allowed";
            default: return "Internal Server Error";
        }
    }

    static string ReadLine(BinaryReader reader)
    {
        var line = new StringBuilder();
        try
        {
            for (char c = reader.ReadChar(); c != '\n'; c = reader.ReadChar()) if (c != '\r') line.Append(c);
        }
        catch (EndOfStreamException) { return line.Length > 0 ? line.ToString() : null; }
        return line.ToString();
    }

    public static void Main(string[] args)
    {
        string secret = Environment.GetEnvironmentVariable("WEBHOOK_SECRET");
        if (string.IsNullOrEmpty(secret))
        {
            Console.Error.WriteLine("Set WEBHOOK_SECRET to the subscription secret (whsec_...).");
            Environment.Exit(2);
        }
        string port = Environment.GetEnvironmentVariable("PORT");
        if (string.IsNullOrEmpty(port)) port = args.Length > 0 ? args[0] : "8000";
        var listener = new TcpListener(IPAddress.Loopback, int.Parse(port));
        listener.Start();
        Console.WriteLine("listening on http://127.0.0.1:" + ((IPEndPoint)listener.LocalEndpoint).Port);
        while (true)
        {
            TcpClient client = listener.AcceptTcpClient();
            Task.Run(() => Serve(secret, client));
        }
    }
}
