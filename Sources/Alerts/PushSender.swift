import AsyncHTTPClient
import Foundation
import Logging
import Metrics
import NIOCore
import Storage

/// Sends the push outbox: claims a batch of due deliveries, encrypts each to its subscription (RFC 8291)
/// and POSTs it to the push service with a VAPID token (RFC 8292), `TTL` and `Urgency`, at most
/// `concurrency` at a time over a bounded connection pool, then settles the batch in one transaction.
/// Encryption runs in the batch's child tasks, off this actor, so both cores share it. Runs until
/// cancelled; a batch under way is finished (or released) and settled first.
public actor PushSender {
    private let store: PushStore
    private let settings: PushSettings
    private let vapid: VAPIDKey
    private let logger: Logger
    private let policy: OutboundPolicy
    private let clients: PinnedClients
    /// Each origin's route (or why there is none), looked up again after a minute: push services move, and
    /// a failed lookup is not retried for every batch.
    private var routes: [String: (route: Result<Route, any Error>, made: ContinuousClock.Instant)] = [:]
    /// Origins that answered 429, until when (their waiting deliveries were moved to that time).
    private var paused: [String: Date] = [:]
    private nonisolated let doorbell = Doorbell()
    private let delivered = Counter(label: "senate_live_push_deliveries_total", dimensions: [("result", "delivered")])
    private let retried = Counter(label: "senate_live_push_deliveries_total", dimensions: [("result", "retry")])
    private let gone = Counter(label: "senate_live_push_deliveries_total", dimensions: [("result", "gone")])
    private let failed = Counter(label: "senate_live_push_deliveries_total", dimensions: [("result", "failed")])
    private let pendingGauge = Gauge(label: "senate_live_push_deliveries_pending")
    private let subscriptionsGauge = Gauge(label: "senate_live_push_subscriptions")

    public init(store: PushStore, settings: PushSettings, vapid: VAPIDKey, logger: Logger) {
        self.store = store
        self.settings = settings
        self.vapid = vapid
        self.logger = logger
        policy = settings.policy
        clients = PinnedClients(timeout: settings.timeout, connectionsPerHost: settings.connectionsPerHost)
    }

    /// New deliveries were queued: look now rather than at the next tick.
    public nonisolated func poke() { doorbell.ring() }

    public func run() async {
        // Claims a previous run did not settle (killed mid-batch) go out again.
        do { try await store.releaseClaims() } catch { logger.error("cannot release push claims", metadata: ["error": "\(error)"]) }
        var nextHousekeeping = ContinuousClock.now
        // The next batch, claimed while the tail of the previous one was still being sent.
        var upcoming: [PushJob] = []
        while !Task.isCancelled {
            if ContinuousClock.now >= nextHousekeeping {
                await housekeeping()
                nextHousekeeping = ContinuousClock.now + .seconds(60)
            }
            var jobs = upcoming
            upcoming = []
            if jobs.isEmpty {
                do { jobs = try await store.claim(limit: settings.batch) } catch {
                    logger.error("cannot claim push deliveries", metadata: ["error": "\(error)"])
                    await doorbell.wait(timeout: .seconds(1))
                    continue
                }
            }
            if jobs.isEmpty {
                let next = (try? await store.nextDue())?.timeIntervalSinceNow ?? 1
                await doorbell.wait(timeout: .milliseconds(Int64(min(1, max(0.05, next)) * 1000)))
                continue
            }
            let (results, next) = await send(jobs)
            upcoming = next
            await settleBehind(results)
        }
        if !upcoming.isEmpty { await settleBehind(upcoming.map { ($0, .unsent) }) }
        await settling?.value
        await clients.shutdown()
    }

    /// The batch being settled while the next one is sent: writing a batch's outcomes (a transaction, a
    /// sync to disk) would otherwise leave the connections idle.
    private var settling: Task<Void, Never>?

    /// Settles `results` behind the sending, one batch at a time: the previous batch's settling is awaited
    /// first, so at most one waits and the outcomes are written in order.
    private func settleBehind(_ results: [(job: PushJob, outcome: PushOutcome)]) async {
        await settling?.value
        settling = Task { await self.settle(results) }
    }

    /// Once a minute: old notifications pruned, gauges, stale routes and idle clients dropped.
    private func housekeeping() async {
        try? await store.prune(before: Date().addingTimeInterval(-max(settings.ttl, 86_400)))
        if let counts = try? await store.counts() {
            pendingGauge.record(counts.pending)
            subscriptionsGauge.record(counts.subscriptions)
        }
        let now = Date()
        paused = paused.filter { $0.value > now }
        routes = routes.filter { ContinuousClock.now - $0.value.made < .seconds(60) }
        await clients.closeIdle()
    }

    /// Where one origin's pushes go: its client (to the checked address) and the VAPID header.
    struct Route: Sendable {
        let client: HTTPClient
        let authorization: String
    }

    /// Sends `jobs`, `concurrency` at a time; once cancelled, those not started are released for later.
    /// The batch's origins are looked up first, together, so a push costs no hop back to this actor and a
    /// slow name server delays its own origin's batch only once. When the last push has started, the next
    /// batch is claimed, so the connections do not wait for it; it is returned with the outcomes.
    private func send(_ jobs: [PushJob]) async -> (results: [(job: PushJob, outcome: PushOutcome)], next: [PushJob]) {
        let missing = Set(jobs.map(\.origin)).filter { routes[$0] == nil }
        await withTaskGroup(of: Void.self) { group in
            for origin in missing {
                group.addTask { await self.look(up: origin) }
            }
        }
        let prepared = routes.mapValues(\.route)
        let (store, batch) = (store, settings.batch)
        var claiming: Task<[PushJob], Never>?
        let results = await withTaskGroup(of: (job: PushJob, outcome: PushOutcome).self) { group in
            var waiting = jobs.makeIterator()
            for _ in 0..<max(1, settings.concurrency) {
                guard let job = waiting.next() else { break }
                group.addTask { await self.deliver(job, route: prepared[job.origin]) }
            }
            var results: [(job: PushJob, outcome: PushOutcome)] = []
            results.reserveCapacity(jobs.count)
            while let result = await group.next() {
                results.append(result)
                if !Task.isCancelled, let job = waiting.next() {
                    group.addTask { await self.deliver(job, route: prepared[job.origin]) }
                } else if claiming == nil, !Task.isCancelled {
                    claiming = Task { (try? await store.claim(limit: batch)) ?? [] }
                }
            }
            while let job = waiting.next() { results.append((job, .unsent)) }
            return results
        }
        return (results, await claiming?.value ?? [])
    }

    /// Records the batch's outcomes, in a task of its own, so a shutdown's cancellation does not stop
    /// the write: what was answered is not sent again. A failed write is tried twice more; after that the
    /// claims stay until the next start releases them (and those pushes go again).
    private func settle(_ results: [(job: PushJob, outcome: PushOutcome)]) async {
        for (_, outcome) in results {
            switch outcome {
            case .delivered: delivered.increment()
            case .retry: retried.increment()
            case .gone: gone.increment()
            case .failed: failed.increment()
            case .unsent: break
            }
        }
        let store = store
        for attempt in 1...3 {
            let outcome = await Task { try await store.settle(results) }.result
            guard case .failure(let error) = outcome else { return }
            logger.error("cannot settle push deliveries", metadata: ["count": "\(results.count)", "attempt": "\(attempt)", "error": "\(error)"])
            try? await Task.sleep(for: .seconds(1))
        }
    }

    /// One push: encrypted here (in the caller's child task), sent over its origin's route.
    private nonisolated func deliver(_ job: PushJob, route: Result<Route, any Error>?) async -> (job: PushJob, outcome: PushOutcome) {
        let now = Date()
        guard now < job.expiresAt else { return (job, .failed) }
        let recipient: PushRecipient
        do { recipient = try job.subscription.recipient(allowHTTP: true) } catch { return (job, .gone) }
        do {
            guard let route else { throw OutboundRefusal(.invalidURL, "no route to \(job.origin)") }
            let (client, authorization) = try route.map { ($0.client, $0.authorization) }.get()
            let body = try WebPushEncryption.encrypt(job.payload, to: recipient)
            var request = HTTPClientRequest(url: job.subscription.endpoint)
            request.method = .POST
            request.headers.add(name: "TTL", value: "\(max(0, Int(job.expiresAt.timeIntervalSince(now))))")
            request.headers.add(name: "Urgency", value: job.urgency)
            request.headers.add(name: "Content-Encoding", value: "aes128gcm")
            request.headers.add(name: "Content-Type", value: "application/octet-stream")
            request.headers.add(name: "Authorization", value: authorization)
            request.body = .bytes(ByteBuffer(bytes: body))
            let response = try await client.execute(request, timeout: .milliseconds(Int64(settings.timeout * 1000)))
            // Read what little the service says, so the connection can carry the next push.
            _ = try? await response.body.collect(upTo: 16 * 1024)
            let status = Int(response.status.code)
            let outcome = PushOutcome.classify(status: status, retryAfter: response.headers.first(name: "Retry-After"),
                                               attempt: job.attempts + 1, expiresAt: job.expiresAt, policy: settings.retryPolicy)
            if status == 429, case .retry(let at) = outcome { await pause(job.origin, until: at) }
            if case .failed = outcome {
                logger.warning("push service refused an alert", metadata: ["status": "\(status)", "origin": "\(job.origin)"])
            }
            return (job, outcome)
        } catch let refusal as OutboundRefusal where refusal.code != .hostNotResolvable {
            logger.warning("push endpoint refused by policy", metadata: ["origin": "\(job.origin)", "reason": "\(refusal)"])
            return (job, .failed)
        } catch let error as PushError {
            // The payload does not fit a push record: no retry makes it fit.
            logger.error("push alert cannot be sent", metadata: ["reason": "\(error)"])
            return (job, .failed)
        } catch {
            return (job, PushOutcome.classify(status: nil, retryAfter: nil, attempt: job.attempts + 1, expiresAt: job.expiresAt, policy: settings.retryPolicy))
        }
    }

    /// Finds and keeps `origin`'s route, or why there is none.
    private func look(up origin: String) async {
        let route: Result<Route, any Error>
        do { route = .success(try await self.route(for: origin)) } catch { route = .failure(error) }
        routes[origin] = (route, .now)
    }

    /// The client (to the checked address) and the VAPID header for `origin`.
    private func route(for origin: String) async throws -> Route {
        guard let parsed = URL(string: origin), let scheme = parsed.scheme, let host = parsed.host?.lowercased() else {
            throw OutboundRefusal(.invalidURL, "\(origin) is not an origin")
        }
        let url = OutboundURL(text: origin, scheme: scheme, host: host, port: parsed.port ?? (scheme == "http" ? 80 : 443))
        guard settings.allows(host: host) else { throw OutboundRefusal(.hostNotAllowed, "\(host) is not in alerts.push.allowHosts") }
        let address = try await policy.resolve(host: host, port: url.port, settings: "alerts.push.allowHosts or alerts.push.allowPrivate")
        let client = await clients.client(for: OutboundTarget(url: url, address: address))
        return Route(client: client, authorization: try await vapid.authorization(audience: origin))
    }

    /// A 429 from `origin`: its waiting deliveries move to `date` (once per pause, not per answer), so
    /// the sender neither spins on them nor claims them early.
    private func pause(_ origin: String, until date: Date) async {
        if let current = paused[origin], current >= date.addingTimeInterval(-1) { return }
        paused[origin] = date
        do { try await store.postpone(origin: origin, until: date) } catch {
            logger.error("cannot postpone a push service's deliveries", metadata: ["origin": "\(origin)", "error": "\(error)"])
        }
    }
}
