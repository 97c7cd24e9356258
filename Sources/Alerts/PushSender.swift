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
    /// Checked addresses per origin, looked up again after a minute (RFC 8030 services move).
    private var targets: [String: (target: OutboundTarget, checked: ContinuousClock.Instant)] = [:]
    /// The `Authorization` header per origin, signed again after an hour (valid for twelve).
    private var authorizations: [String: (header: String, made: ContinuousClock.Instant)] = [:]
    /// Origins that answered 429, until when.
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
        var nextPrune = ContinuousClock.now
        while !Task.isCancelled {
            if ContinuousClock.now >= nextPrune {
                try? await store.prune(before: Date().addingTimeInterval(-max(settings.ttl, 86_400)))
                if let counts = try? await store.counts() {
                    pendingGauge.record(counts.pending)
                    subscriptionsGauge.record(counts.subscriptions)
                }
                nextPrune = ContinuousClock.now + .seconds(60)
            }
            let now = Date()
            paused = paused.filter { $0.value > now }
            let jobs: [PushJob]
            do { jobs = try await store.claim(now: now, limit: settings.batch, pausedOrigins: Set(paused.keys)) } catch {
                logger.error("cannot claim push deliveries", metadata: ["error": "\(error)"])
                await doorbell.wait(timeout: .seconds(1))
                continue
            }
            if jobs.isEmpty {
                await clients.closeIdle()
                let next = (try? await store.nextDue())?.timeIntervalSinceNow ?? 1
                await doorbell.wait(timeout: .milliseconds(Int64(min(1, max(0.05, next)) * 1000)))
                continue
            }
            let results = await send(jobs)
            await settle(results)
        }
        await clients.shutdown()
    }

    /// Where one origin's pushes go this batch: the checked address, its client, the VAPID header.
    struct Route: Sendable {
        let client: HTTPClient
        let authorization: String
    }

    /// Sends `jobs`, `concurrency` at a time; once cancelled, those not started are released for later.
    /// Each origin's route is looked up once for the batch, so a push costs no hop back to this actor.
    private func send(_ jobs: [PushJob]) async -> [(job: PushJob, outcome: PushOutcome)] {
        var routes: [String: Result<Route, any Error>] = [:]
        for origin in Set(jobs.map(\.origin)) {
            do { routes[origin] = .success(try await route(for: origin)) } catch { routes[origin] = .failure(error) }
        }
        let prepared = routes
        return await withTaskGroup(of: (job: PushJob, outcome: PushOutcome).self) { group in
            var waiting = jobs.makeIterator()
            for _ in 0..<max(1, settings.concurrency) {
                guard let job = waiting.next() else { break }
                group.addTask { await self.deliver(job, route: prepared[job.origin]) }
            }
            var results: [(job: PushJob, outcome: PushOutcome)] = []
            results.reserveCapacity(jobs.count)
            while let result = await group.next() {
                results.append(result)
                if !Task.isCancelled, let job = waiting.next() { group.addTask { await self.deliver(job, route: prepared[job.origin]) } }
            }
            while let job = waiting.next() { results.append((job, .retry(at: Date()))) }
            return results
        }
    }

    /// Records the batch's outcomes. In a task of its own, so a shutdown's cancellation does not stop
    /// the write: what was answered is not sent again.
    private func settle(_ results: [(job: PushJob, outcome: PushOutcome)]) async {
        for (job, outcome) in results {
            switch outcome {
            case .delivered: delivered.increment()
            case .retry: retried.increment()
            case .gone: gone.increment()
            case .failed: failed.increment()
            }
            if case .failed = outcome { logger.debug("push delivery failed", metadata: ["subscription": "\(job.subscriptionId)"]) }
        }
        let store = store
        let outcome = await Task { try await store.settle(results) }.result
        if case .failure(let error) = outcome {
            // Left claimed: the next start releases them, and they go out again.
            logger.error("cannot settle push deliveries", metadata: ["count": "\(results.count)", "error": "\(error)"])
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
        } catch {
            return (job, PushOutcome.classify(status: nil, retryAfter: nil, attempt: job.attempts + 1, expiresAt: job.expiresAt, policy: settings.retryPolicy))
        }
    }

    /// The client (to the checked address) and the VAPID header for `origin`, from the caches when fresh.
    private func route(for origin: String) async throws -> Route {
        let target: OutboundTarget
        if let cached = targets[origin], ContinuousClock.now - cached.checked < .seconds(60) {
            target = cached.target
        } else {
            guard let parsed = URL(string: origin), let scheme = parsed.scheme, let host = parsed.host?.lowercased() else {
                throw OutboundRefusal(.invalidURL, "\(origin) is not an origin")
            }
            let url = OutboundURL(text: origin, scheme: scheme, host: host, port: parsed.port ?? (scheme == "http" ? 80 : 443))
            guard policy.allowHosts.isEmpty || policy.allowHosts.contains(host) else {
                throw OutboundRefusal(.hostNotAllowed, "\(host) is not in alerts.push.allowHosts")
            }
            let address = try await policy.resolve(host: host, port: url.port, settings: "alerts.push.allowHosts or alerts.push.allowPrivate")
            target = OutboundTarget(url: url, address: address)
            targets[origin] = (target, .now)
        }
        let client = await clients.client(for: target)
        if let cached = authorizations[origin], ContinuousClock.now - cached.made < .seconds(3600) {
            return Route(client: client, authorization: cached.header)
        }
        let header = try await vapid.authorization(audience: origin)
        authorizations[origin] = (header, .now)
        return Route(client: client, authorization: header)
    }

    private func pause(_ origin: String, until date: Date) {
        paused[origin] = max(paused[origin] ?? date, date)
    }
}
