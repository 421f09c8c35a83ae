// A webhook receiver with Go's standard library only: verifies Standard Webhooks signatures over
// the raw body, refuses timestamps more than 5 minutes away, and processes each webhook-id once.
//
//	WEBHOOK_SECRET=whsec_... PORT=8000 go run .
package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

const toleranceSeconds = 5 * 60

// refusal is a webhook we do not take, with the status and reason we answer.
type refusal struct {
	status int
	reason string
}

func (r *refusal) Error() string { return r.reason }

var digits = regexp.MustCompile(`^[0-9]+$`)

// verify returns nil when one of the signatures in the headers is ours over these exact bytes.
func verify(secret string, h http.Header, rawBody []byte, now time.Time) error {
	id, timestamp, signatures := h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature")
	if id == "" || timestamp == "" || signatures == "" {
		return &refusal{400, "missing webhook-id, webhook-timestamp or webhook-signature header"}
	}
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil || !digits.MatchString(timestamp) {
		return &refusal{400, "invalid webhook-timestamp"}
	}
	if now.Unix()-ts > toleranceSeconds {
		return &refusal{400, "timestamp too old"}
	}
	if ts-now.Unix() > toleranceSeconds {
		return &refusal{400, "timestamp too new"}
	}

	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return fmt.Errorf("WEBHOOK_SECRET is not base64: %w", err)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + timestamp + "."))
	mac.Write(rawBody)
	expected := mac.Sum(nil)
	// Several space-separated signatures during a secret rotation: any one of them will do.
	for _, entry := range strings.Split(signatures, " ") {
		version, signature, _ := strings.Cut(entry, ",")
		given, err := base64.StdEncoding.DecodeString(signature)
		if version == "v1" && err == nil && hmac.Equal(given, expected) {
			return nil
		}
	}
	return &refusal{401, "no matching signature"}
}

type receiver struct {
	secret string
	// webhook-ids already accepted. A real receiver keeps them in its database (a unique key) for
	// as long as a webhook can come again: 30 days covers retries and a dead-letter redrive.
	mu   sync.Mutex
	seen map[string]bool
}

// handle answers a status, a content type and a body.
func (rc *receiver) handle(h http.Header, rawBody []byte) (int, string, string, error) {
	if err := verify(rc.secret, h, rawBody, time.Now()); err != nil {
		return 0, "", "", err
	}
	var event struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(rawBody, &event); err != nil { // only once the signature is verified
		return 0, "", "", &refusal{400, "body is not JSON"}
	}
	id := h.Get("webhook-id")
	// The endpoint verification handshake (on subscribing, and when the URL changes): no event to
	// process, only the challenge to echo; not kept in rc.seen, as its retries must be answered too.
	if event.Type == "webhook.endpoint.verification" {
		var verification struct {
			Data struct {
				Challenge string `json:"challenge"`
			} `json:"data"`
		}
		if err := json.Unmarshal(rawBody, &verification); err != nil {
			return 0, "", "", &refusal{400, "invalid verification event"}
		}
		answer, _ := json.Marshal(map[string]string{"challenge": verification.Data.Challenge}) // cannot fail
		fmt.Printf("verification %s\n", id)
		return 200, "application/json", string(answer), nil
	}
	// Claim the id, so that two copies arriving together are processed once.
	rc.mu.Lock()
	duplicate := rc.seen[id]
	rc.seen[id] = true
	rc.mu.Unlock()
	if duplicate {
		// A replay of an accepted webhook: answer 200 so that the sender stops, but do nothing again.
		fmt.Printf("duplicate %s\n", id)
		return 200, "text/plain", "duplicate", nil
	}
	// Here a real receiver puts the event on its queue (docs/receiving-webhooks.md), then answers;
	// if that fails, it deletes rc.seen[id] and answers 500, so that the sender's retry tries again.
	fmt.Printf("processed %s %s\n", id, event.Type)
	return 200, "text/plain", "accepted", nil
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("content-type", "text/plain")
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	rawBody, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "could not read the body", http.StatusBadRequest)
		return
	}
	status, contentType, text, err := rc.handle(r.Header, rawBody)
	if ref, ok := err.(*refusal); ok {
		fmt.Printf("refused %d %s\n", ref.status, ref.reason)
		status, text = ref.status, ref.reason
	} else if err != nil {
		log.Print(err)
		status, text = 500, "internal error"
	} else {
		w.Header().Set("content-type", contentType)
	}
	w.WriteHeader(status)
	io.WriteString(w, text)
}

func main() {
	secret := os.Getenv("WEBHOOK_SECRET")
	if secret == "" {
		log.Fatal("Set WEBHOOK_SECRET to the subscription secret (whsec_...).")
	}
	port := os.Getenv("PORT")
	if port == "" && len(os.Args) > 1 {
		port = os.Args[1]
	}
	if port == "" {
		port = "8000"
	}
	listener, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", port))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("listening on http://%s\n", listener.Addr())
	log.Fatal(http.Serve(listener, &receiver{secret: secret, seen: map[string]bool{}}))
}
