import Alerts
import Foundation
import Relay
import Testing

@Suite("Webhook outbox")
struct WebhookStoreTests {
    func store() async throws -> WebhookStore {
        try await WebhookStore.open(path: FileManager.default.temporaryDirectory.appendingPathComponent("webhooks-\(UUID().uuidString).sqlite").path)
    }

    func event(_ seq: Int64, _ type: EventType, bill: String? = nil) -> Event {
        // The tests use agenda items and notices; each gets the data its type requires.
        let data: JSONValue = type == .notice ? .object(["text": .string("n")]) : .object(["itemId": .string("i-\(bill ?? "none")")])
        return try! Event(seq: seq, id: "e\(seq)", channel: "senate", sitting: "s", type: type, at: Date(), data: data,
              subject: bill.map { EventSubject(itemIds: ["i-\($0)"], billIds: [$0]) })
    }

    @Test("filters: channels, types, bills/items/tags, and keywords said")
    func filters() {
        let bill = Webhook.Filter(channels: ["senate"], follow: FollowFilter(billIds: ["b1"]))
        #expect(bill.matches(event(1, .agendaItem, bill: "b1")))
        #expect(!bill.matches(event(2, .agendaItem, bill: "b2")))
        #expect(!bill.matches(event(3, .notice)))
        #expect(Webhook.Filter(types: ["notice"]).matches(event(4, .notice)))
        #expect(!Webhook.Filter(channels: ["parliament"]).matches(event(5, .notice)))
        #expect(FollowFilter(tags: ["budget"]).matches(EventSubject(itemIds: ["x"], tags: ["budget"])))
        let said = try! Event(seq: 6, id: "e6", channel: "senate", sitting: "s", type: .transcriptLine, at: Date(), data: .object([
            "lineId": "L", "text": "พิจารณางบประมาณ", "lang": "th", "start": "2026-12-01T03:00:00Z", "end": "2026-12-01T03:00:04Z", "final": .bool(true),
        ]))
        #expect(Webhook.Filter(follow: FollowFilter(keywords: ["งบประมาณ"])).matches(said))
        #expect(!Webhook.Filter(follow: FollowFilter(keywords: ["ภาษี"])).matches(said))
        #expect(!Webhook.Filter(follow: FollowFilter(keywords: ["งบประมาณ"])).matches(event(7, .notice)))
    }

    @Test("events become deliveries once, with the cursor; failures back off, then disable the endpoint")
    func outbox() async throws {
        let store = try await store()
        let hook = Webhook(id: "w1", url: "http://127.0.0.1:1/", filter: .init(follow: FollowFilter(billIds: ["b1"])), owner: "op", createdAt: Date())
        try await store.create(hook, secret: "0123456789abcdef")
        #expect(try await store.enqueue([event(1, .agendaItem, bill: "b1"), event(2, .agendaItem, bill: "b2")], channel: "senate", through: 2) == 1)
        #expect(try await store.enqueue([event(1, .agendaItem, bill: "b1")], channel: "senate", through: 2) == 0, "an event already queued is not queued twice")
        #expect(try await store.cursor(channel: "senate") == 2)

        var job = try #require(try await store.due().first)
        #expect(job.secret == "0123456789abcdef" && job.attempts == 0)
        #expect(try await store.due(excluding: [job.deliveryId]).isEmpty)
        try await store.record(job, statusCode: 500, error: nil, milliseconds: 3, outcome: .retry(at: Date().addingTimeInterval(60)), maxFailures: 2)
        #expect(try await store.due().isEmpty, "not due before its retry time")
        job = try #require(try await store.due(now: Date().addingTimeInterval(61)).first)
        #expect(job.attempts == 1)
        let reason = try await store.record(job, statusCode: nil, error: "connection refused", milliseconds: 1, outcome: .retry(at: Date()), maxFailures: 2)
        #expect(reason == "2 failed attempts in a row; last: connection refused")
        #expect(try await store.webhook(id: "w1")?.status == .disabled)
        #expect(try await store.due(now: Date().addingTimeInterval(3600)).isEmpty, "nothing goes to a disabled endpoint")
        try await store.enable(id: "w1")
        job = try #require(try await store.due().first)
        try await store.record(job, statusCode: 204, error: nil, milliseconds: 2, outcome: .delivered, maxFailures: 2)
        let delivery = try #require(try await store.deliveries(webhookId: "w1").first)
        #expect(delivery.status == .delivered && delivery.attempts.map(\.statusCode) == [500, nil, 204])
        #expect(try await store.counts() == (pending: 0, disabled: 0))
        #expect(try await store.prune(before: Date().addingTimeInterval(-60)) == 0, "recent deliveries are kept")
        #expect(try await store.prune(before: Date().addingTimeInterval(60)) == 1)
        #expect(try await store.deliveries(webhookId: "w1").isEmpty)
    }

    @Test("backoff doubles to the cap, with jitter between half and all of it; signatures are HMAC-SHA256 over timestamp.body")
    func backoffAndSignature() {
        let policy = RetryPolicy(base: 1, cap: 10, giveUpAfter: 60)
        #expect(policy.delay(afterAttempt: 1, jitter: 1) == 1)
        #expect(policy.delay(afterAttempt: 3, jitter: 1) == 4)
        #expect(policy.delay(afterAttempt: 9, jitter: 1) == 10)
        #expect(policy.delay(afterAttempt: 3, jitter: 0) == 2)
        // Known answer, computed with Python: hmac.new(b"key", b"1700000000.{}", hashlib.sha256).hexdigest()
        #expect(Signature.sign(body: Data("{}".utf8), timestamp: 1_700_000_000, secret: "key")
            == "sha256=9d713ed406bb7076d4123f0dc2c39d2df5c654ed4b0cd56b52c8b4c940bd63ae")
    }
}

@Suite("Outbound policy")
struct OutboundPolicyTests {
    @Test("only public unicast addresses are public")
    func classification() throws {
        for text in ["8.8.8.8", "1.1.1.1", "203.0.114.1", "2606:4700:4700::1111", "2001:4860:4860::8888", "::ffff:8.8.8.8"] {
            #expect(try #require(IPAddress(text)).isPublic, "\(text)")
        }
        for text in ["127.0.0.1", "127.9.9.9", "0.0.0.0", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254",
                     "100.64.0.1", "192.0.2.5", "198.51.100.1", "203.0.113.9", "224.0.0.1", "255.255.255.255", "198.18.0.1",
                     "::", "::1", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1", "2001:db8::1", "::ffff:127.0.0.1",
                     "64:ff9b::a9fe:a9fe", "2002:7f00:0001::1", "::127.0.0.1", "[::1]"] {
            #expect(!(try #require(IPAddress(text), "\(text)")).isPublic, "\(text)")
        }
        #expect(IPAddress("127.1") == nil && IPAddress("2130706433") == nil && IPAddress("0x7f.0.0.1") == nil)
    }

    @Test("URLs: http(s) in any case, no credentials; allowHosts limits the hosts")
    func validation() throws {
        let policy = OutboundPolicy()
        #expect(try policy.validate("HTTPS://Agency.Example/hook?a=1").text == "https://agency.example/hook?a=1")
        for bad in ["ftp://agency.example/x", "https://user:pw@agency.example/", "https://user@agency.example/", "agency.example/hook", "https:///x"] {
            #expect(throws: OutboundRefusal.self, "\(bad)") { try policy.validate(bad) }
        }
        let listed = OutboundPolicy(allowHosts: ["hooks.agency.example"])
        #expect(throws: OutboundRefusal.self) { try listed.validate("https://other.example/") }
        #expect(try listed.validate("https://hooks.agency.example/").host == "hooks.agency.example")
    }

    @Test("addresses: private ones refused unless the host is listed or private addresses are allowed")
    func resolution() async throws {
        let policy = OutboundPolicy()
        for url in ["http://127.0.0.1/", "http://[::1]/", "http://169.254.169.254/", "http://localhost/"] {
            await #expect(throws: OutboundRefusal.self, "\(url)") { try await policy.resolve(try policy.validate(url)) }
        }
        #expect(try await OutboundPolicy(allowPrivate: true).resolve(try policy.validate("http://127.0.0.1:9/")).address == IPAddress("127.0.0.1"))
        let listed = OutboundPolicy(allowHosts: ["127.0.0.1"])
        #expect(try await listed.resolve(try listed.validate("http://127.0.0.1:9/")).address == IPAddress("127.0.0.1"))
        #expect(try await policy.resolve(try policy.validate("http://8.8.8.8/")).address == IPAddress("8.8.8.8"))
    }
}
