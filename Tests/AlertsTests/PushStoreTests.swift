import Alerts
import Crypto
import Foundation
import Relay
import Testing
import WallClock

@Suite("Push outbox: subscriptions, matching, claims and settling")
struct PushStoreTests {
    func store() async throws -> PushStore {
        try await PushStore.open(path: FileManager.default.temporaryDirectory.appendingPathComponent("push-\(UUID().uuidString).sqlite").path)
    }

    static func subscription(_ name: String) throws -> PushSubscription {
        let key = P256.KeyAgreement.PrivateKey().publicKey.x963Representation
        return try PushSubscription(endpoint: "https://push.example.net/send/\(name)", p256dh: Base64URL.encode(key),
                                    auth: Base64URL.encode((0..<16).map { _ in UInt8.random(in: 0...255) }))
    }

    static let state: ChannelState = {
        var state = ChannelState()
        state.agenda = [AgendaItem(id: "i1", number: "3", title: "ร่างพระราชบัญญัติงบประมาณ", billId: "b1", tags: ["budget"])]
        return state
    }()

    /// When the test's events happen: now (to the millisecond, as event times are written), since events
    /// older than the TTL alert nobody.
    static let at = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 * 1000).rounded() / 1000)

    func event(_ seq: Int64, _ type: EventType, data: JSONValue, subject: EventSubject? = nil) throws -> Event {
        try Event(seq: seq, id: "e\(seq)", channel: "senate", sitting: "s", type: type, at: Self.at, data: data, subject: subject)
    }

    func taken(_ seq: Int64) throws -> Event {
        try event(seq, .agendaItem, data: .object(["itemId": "i1"]), subject: EventSubject(itemIds: ["i1"], billIds: ["b1"], tags: ["budget"]))
    }

    func said(_ seq: Int64, _ text: String, lineId: String) throws -> Event {
        try event(seq, .transcriptLine, data: .object([
            "lineId": .string(lineId), "text": .string(text), "speaker": "นายสมชาย", "lang": "th",
            "start": "2027-01-15T08:00:00Z", "end": "2027-01-15T08:00:05Z", "final": .bool(true),
        ]))
    }

    @Test("a bill's followers get one alert each (following the bill and its tag is still one); the cursor moves with it")
    func billFollowers() async throws {
        let store = try await store()
        try await store.subscribe(try Self.subscription("a"), follow: PushFollow(billIds: ["b1"], tags: ["budget"]), lang: "th")
        try await store.subscribe(try Self.subscription("b"), follow: PushFollow(channels: ["senate"], itemIds: ["i1"]), lang: "en")
        try await store.subscribe(try Self.subscription("c"), follow: PushFollow(channels: ["parliament"], billIds: ["b1"]), lang: "th")
        try await store.subscribe(try Self.subscription("d"), follow: PushFollow(billIds: ["b9"]), lang: "th")
        #expect(try await store.enqueue([try taken(5)], channel: "senate", through: 5, state: Self.state, ttl: 600) == 2)
        #expect(try await store.enqueue([try taken(5)], channel: "senate", through: 5, state: Self.state, ttl: 600) == 0, "an event is queued once")
        #expect(try await store.cursor(channel: "senate") == 5)

        let jobs = try await store.claim(limit: 10)
        #expect(jobs.count == 2)
        #expect(try await store.claim(limit: 10).isEmpty, "claimed deliveries are not handed out twice")
        let payloads = try jobs.map { try JSONDecoder().decode(PushNotification.self, from: $0.payload) }.sorted { $0.lang < $1.lang }
        #expect(payloads.map(\.lang) == ["en", "th"])
        #expect(payloads[0].title == "3. ร่างพระราชบัญญัติงบประมาณ" && payloads[0].body == "Taken up now")
        #expect(payloads[1].body == "เริ่มพิจารณาแล้วขณะนี้" && payloads[1].url == "/watch/senate?at=\(ISO8601.format(Self.at))")
        #expect(jobs.allSatisfy { $0.urgency == "high" && $0.ttl == 600 })
    }

    @Test("an event older than the TTL (the follower catching up after an outage) alerts nobody")
    func staleEvents() async throws {
        let store = try await store()
        try await store.subscribe(try Self.subscription("a"), follow: PushFollow(billIds: ["b1"]), lang: "th")
        let later = Self.at.addingTimeInterval(601)
        #expect(try await store.enqueue([try taken(5)], channel: "senate", through: 5, state: Self.state, ttl: 600, now: later) == 0)
        #expect(try await store.cursor(channel: "senate") == 5, "passed over, not stuck")
        #expect(try await store.enqueue([try taken(6)], channel: "senate", through: 6, state: Self.state, ttl: 600,
                                        now: Self.at.addingTimeInterval(599)) == 1)
    }

    @Test("a keyword said inside a Thai sentence alerts exactly its followers, once per line however often it is corrected")
    func keywordFollowers() async throws {
        let store = try await store()
        try await store.subscribe(try Self.subscription("budget"), follow: PushFollow(keywords: ["งบประมาณ", "ประจำปี"]), lang: "th")
        try await store.subscribe(try Self.subscription("tax"), follow: PushFollow(keywords: ["ภาษี"]), lang: "th")
        try await store.subscribe(try Self.subscription("wallet"), follow: PushFollow(keywords: ["Digital Wallet"]), lang: "th")
        let line = try said(7, "ที่ประชุมพิจารณางบประมาณรายจ่ายประจำปี", lineId: "L1")
        #expect(try await store.enqueue([line], channel: "senate", through: 7, state: Self.state, ttl: 600) == 1, "two keywords of one follower: one alert")
        let again = try said(8, "ที่ประชุมพิจารณางบประมาณรายจ่ายประจำปี (แก้ไข)", lineId: "L1")
        #expect(try await store.enqueue([again], channel: "senate", through: 8, state: Self.state, ttl: 600) == 0, "the same line again: no second alert")
        let latin = try said(9, "เรื่อง DIGITAL WALLET ของรัฐบาล", lineId: "L2")
        #expect(try await store.enqueue([latin], channel: "senate", through: 9, state: Self.state, ttl: 600) == 1)
        let jobs = try await store.claim(limit: 10)
        #expect(Set(jobs.map(\.subscription.endpoint)) == ["https://push.example.net/send/budget", "https://push.example.net/send/wallet"])
        let budget = try JSONDecoder().decode(PushNotification.self, from: try #require(jobs.first { $0.subscription.endpoint.hasSuffix("budget") }).payload)
        #expect(budget.title == "นายสมชาย" && budget.body.contains("งบประมาณ") && budget.type == "transcript.line" && budget.url.hasSuffix("at=2027-01-15T08:00:00.000Z"))
    }

    @Test("a corrected line that now says a keyword more alerts that keyword's followers, with the corrected text, and nobody twice")
    func correctedLine() async throws {
        let store = try await store()
        try await store.subscribe(try Self.subscription("budget"), follow: PushFollow(keywords: ["งบประมาณ"]), lang: "th")
        try await store.subscribe(try Self.subscription("tax"), follow: PushFollow(keywords: ["ภาษี"]), lang: "th")
        #expect(try await store.enqueue([try said(7, "พิจารณางบประมาณ", lineId: "L1")], channel: "senate", through: 7, state: Self.state, ttl: 600) == 1)
        let first = try await store.claim(limit: 10)
        try await store.settle(first.map { ($0, .delivered) })
        #expect(try await store.enqueue([try said(8, "พิจารณางบประมาณและภาษี", lineId: "L1")], channel: "senate", through: 8, state: Self.state, ttl: 600) == 1)
        let second = try await store.claim(limit: 10)
        #expect(second.map(\.subscription.endpoint) == ["https://push.example.net/send/tax"], "the budget follower was alerted already")
        let payload = try JSONDecoder().decode(PushNotification.self, from: try #require(second.first).payload)
        #expect(payload.body == "พิจารณางบประมาณและภาษี")
        #expect(try await store.enqueue([try said(9, "พิจารณางบประมาณและภาษี", lineId: "L1")], channel: "senate", through: 9, state: Self.state, ttl: 600) == 0)
    }

    @Test("a 429 postpones the push service's waiting deliveries; a shutdown's unsent ones are released without an attempt")
    func postponeAndUnsent() async throws {
        let store = try await store()
        for name in ["a", "b"] { try await store.subscribe(try Self.subscription(name), follow: PushFollow(billIds: ["b1"]), lang: "th") }
        #expect(try await store.enqueue([try taken(1)], channel: "senate", through: 1, state: Self.state, ttl: 600) == 2)
        try await store.postpone(origin: "https://push.example.net", until: Date().addingTimeInterval(30))
        #expect(try await store.claim(limit: 10).isEmpty)
        let jobs = try await store.claim(now: Date().addingTimeInterval(31), limit: 10)
        #expect(jobs.count == 2)
        try await store.settle(jobs.map { ($0, .unsent) })
        let again = try await store.claim(now: Date().addingTimeInterval(31), limit: 10)
        #expect(again.count == 2 && again.allSatisfy { $0.attempts == 0 })
    }

    @Test("settling: delivered leaves, a retry waits for its time, gone removes the subscription, a crash's claims are released")
    func settling() async throws {
        let store = try await store()
        for name in ["a", "b", "c", "d"] { try await store.subscribe(try Self.subscription(name), follow: PushFollow(billIds: ["b1"]), lang: "th") }
        #expect(try await store.enqueue([try taken(1)], channel: "senate", through: 1, state: Self.state, ttl: 600) == 4)
        let jobs = try await store.claim(limit: 10).sorted { $0.subscription.endpoint < $1.subscription.endpoint }
        try await store.settle([(jobs[0], .delivered), (jobs[1], .retry(at: Date().addingTimeInterval(30))), (jobs[2], .gone)])
        #expect(try await store.subscriptionCount() == 3, "the gone subscription is removed")
        #expect(try await store.claim(limit: 10).isEmpty, "d is still claimed, b waits for its retry")
        let later = try await store.claim(now: Date().addingTimeInterval(31), limit: 10)
        #expect(later.map(\.subscription.endpoint) == [jobs[1].subscription.endpoint] && later[0].attempts == 1)
        // d was claimed and never settled (the process died): the next start releases it.
        try await store.releaseClaims()
        let again = try await store.claim(now: Date().addingTimeInterval(31), limit: 10)
        #expect(Set(again.map(\.subscription.endpoint)) == [jobs[1].subscription.endpoint, jobs[3].subscription.endpoint])
        #expect(try await store.unsubscribe(endpoint: jobs[3].subscription.endpoint))
        #expect(try await !store.unsubscribe(endpoint: jobs[3].subscription.endpoint))
        #expect(try await store.counts() == (pending: 1, subscriptions: 2))
    }

    @Test("a subscription stored again replaces what it follows; the VAPID key is made once and kept")
    func replaceAndKey() async throws {
        let store = try await store()
        let subscription = try Self.subscription("a")
        #expect(try await store.subscribe(subscription, follow: PushFollow(billIds: ["b1"]), lang: "th").created)
        #expect(try await !store.subscribe(subscription, follow: PushFollow(billIds: ["b2"]), lang: "th").created)
        #expect(try await store.follow(endpoint: subscription.endpoint) == PushFollow(billIds: ["b2"]))
        #expect(try await store.enqueue([try taken(1)], channel: "senate", through: 1, state: Self.state, ttl: 600) == 0)
        let first = try await store.vapidKey(configured: "", subject: "mailto:a@b").publicKey
        #expect(try await store.vapidKey(configured: "", subject: "mailto:a@b").publicKey == first)
        #expect(throws: PushError.self) { try VAPIDKey(privateKey: "not-a-key", subject: "mailto:a@b") }
    }

    @Test("a push service's answers: 2xx delivered, 404/410 gone, 429 after Retry-After, 5xx backs off until the TTL, others fail")
    func outcomes() {
        let policy = RetryPolicy(base: 1, cap: 300, giveUpAfter: 600)
        let now = Date(timeIntervalSince1970: 1_800_000_000), expires = now.addingTimeInterval(600)
        func classify(_ status: Int?, _ retryAfter: String? = nil, attempt: Int = 1, expiresAt: Date? = nil) -> PushOutcome {
            PushOutcome.classify(status: status, retryAfter: retryAfter, attempt: attempt, expiresAt: expiresAt ?? expires, policy: policy, now: now, jitter: 1)
        }
        #expect(classify(201) == .delivered)
        #expect(classify(410) == .gone && classify(404) == .gone)
        #expect(classify(429, "7") == .retry(at: now.addingTimeInterval(7)))
        #expect(classify(429, "Fri, 15 Jan 2027 08:00:20 GMT") == .retry(at: Date(timeIntervalSince1970: 1_800_000_020)))
        #expect(classify(503, attempt: 3) == .retry(at: now.addingTimeInterval(4)))
        #expect(classify(nil) == .retry(at: now.addingTimeInterval(1)))
        #expect(classify(503, expiresAt: now.addingTimeInterval(0.5)) == .failed, "no retry past the alert's TTL")
        #expect(classify(400) == .failed && classify(403) == .failed && classify(413) == .failed && classify(301) == .failed)
    }

    @Test("subscriptions are checked: https endpoint (http only when allowed), a P-256 key on the curve, 16-byte auth")
    func malformed() throws {
        let good = try Self.subscription("a")
        #expect(throws: PushError.self) { try PushSubscription(endpoint: "http://push.example.net/x", p256dh: good.keys.p256dh, auth: good.keys.auth) }
        _ = try PushSubscription(endpoint: "http://127.0.0.1:9/x", p256dh: good.keys.p256dh, auth: good.keys.auth, allowHTTP: true)
        #expect(throws: PushError.self) { try PushSubscription(endpoint: "https://user:pw@push.example.net/x", p256dh: good.keys.p256dh, auth: good.keys.auth) }
        #expect(throws: PushError.self, "the host as pinned must be the host as sent") {
            try PushSubscription(endpoint: "https://Push.Example.net/x", p256dh: good.keys.p256dh, auth: good.keys.auth)
        }
        let explicitPort = try PushSubscription(endpoint: "https://push.example.net:443/x", p256dh: good.keys.p256dh, auth: good.keys.auth)
        #expect(try explicitPort.recipient().audience == "https://push.example.net", "the VAPID audience is the origin, without the default port")
        #expect(throws: PushError.self) { try PushSubscription(endpoint: good.endpoint, p256dh: "BAAA", auth: good.keys.auth) }
        #expect(throws: PushError.self) { try PushSubscription(endpoint: good.endpoint, p256dh: good.keys.p256dh, auth: "AAAA") }
        var offCurve = Base64URL.decode(good.keys.p256dh)!
        offCurve[64] ^= 0x01
        #expect(throws: PushError.self) { try PushSubscription(endpoint: good.endpoint, p256dh: Base64URL.encode(offCurve), auth: good.keys.auth) }
    }
}
