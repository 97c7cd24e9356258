import AsyncHTTPClient
import Foundation
import Logging
import Metrics
import NIOCore
import NIOHTTP1
import Storage
import WallClock

/// Sends the webhook outbox: due deliveries go out as signed POSTs, at most `concurrency` at a time per
/// endpoint; failures are retried with backoff and jitter until the retry period ends, and an endpoint
/// that keeps failing is disabled. Each attempt checks where the URL leads now (`OutboundPolicy`) and
/// connects to the checked address only. Runs until cancelled.
public actor WebhookSender {
    private let store: WebhookStore
    private let settings: WebhookSettings
    private let logger: Logger
    private let policy: OutboundPolicy
    private let clients: PinnedClients
    /// Deliveries being sent, and how many per endpoint.
    private var inFlight: [String: Task<Void, Never>] = [:]
    private var perEndpoint: [String: Int] = [:]
    private var saturated: Set<String> { Set(perEndpoint.filter { $0.value >= settings.concurrency }.keys) }
    /// Ends the run loop's pause early: new deliveries, an endpoint enabled, an attempt finished.
    private nonisolated let doorbell = Doorbell()
    private let delivered = Counter(label: "senate_live_webhook_deliveries_total", dimensions: [("result", "delivered")])
    private let failed = Counter(label: "senate_live_webhook_deliveries_total", dimensions: [("result", "failed_attempt")])
    private let gaveUp = Counter(label: "senate_live_webhook_deliveries_total", dimensions: [("result", "gave_up")])
    private let disabledGauge = Gauge(label: "senate_live_webhooks_disabled")
    private let pendingGauge = Gauge(label: "senate_live_webhook_deliveries_pending")

    public init(store: WebhookStore, settings: WebhookSettings, logger: Logger) {
        self.store = store
        self.settings = settings
        self.logger = logger
        policy = settings.policy
        clients = PinnedClients(timeout: settings.timeout, connectionsPerHost: settings.concurrency)
    }

    /// New deliveries were queued (or an endpoint enabled): look now rather than at the next tick.
    public nonisolated func poke() { doorbell.ring() }

    public func run() async {
        var nextPrune = ContinuousClock.now
        while !Task.isCancelled {
            if ContinuousClock.now >= nextPrune {
                // The record of finished deliveries is kept `keepDays`, then dropped (hourly).
                _ = try? await store.prune(before: Date().addingTimeInterval(-settings.keepDays * 86_400))
                nextPrune = ContinuousClock.now + .seconds(3600)
            }
            await startDue()
            await clients.closeIdle()
            // Until the next retry is due, a poke, or a second at most.
            let next = (try? await store.nextDue(excluding: Set(inFlight.keys), saturated: saturated))?.timeIntervalSinceNow ?? 1
            // A poke that came while busy ends the pause at once.
            await doorbell.wait(timeout: .milliseconds(Int64(min(1, max(0.05, next)) * 1000)))
        }
        // Shutting down: let the attempts under way finish (each is bounded by the timeout) and be recorded,
        // so a receiver that answered is not sent the same delivery again after the restart.
        for task in inFlight.values { await task.value }
        await clients.shutdown()
    }

    private func startDue() async {
        guard let jobs = try? await store.due(excluding: Set(inFlight.keys), saturated: saturated) else { return }
        if let counts = try? await store.counts() {
            pendingGauge.record(counts.pending)
            disabledGauge.record(counts.disabled)
        }
        for job in jobs where (perEndpoint[job.webhookId] ?? 0) < settings.concurrency {
            perEndpoint[job.webhookId, default: 0] += 1
            inFlight[job.deliveryId] = Task { await self.send(job) }
        }
    }

    private func send(_ job: DeliveryJob) async {
        defer {
            inFlight[job.deliveryId] = nil
            perEndpoint[job.webhookId, default: 1] -= 1
            poke()
        }
        let (statusCode, error, milliseconds) = await post(job)
        let outcome = settings.retryPolicy.outcome(statusCode: statusCode, attempt: job.attempts + 1, createdAt: job.createdAt)
        switch outcome {
        case .delivered: delivered.increment()
        case .gaveUp: gaveUp.increment()
        case .retry: failed.increment()
        }
        do {
            if let reason = try await store.record(job, statusCode: statusCode, error: error, milliseconds: milliseconds, outcome: outcome, maxFailures: settings.maxFailures) {
                logger.warning("webhook disabled", metadata: ["webhook": "\(job.webhookId)", "reason": "\(reason)"])
            }
        } catch {
            logger.error("cannot record a webhook attempt", metadata: ["delivery": "\(job.deliveryId)", "error": "\(error)"])
        }
    }

    /// One signed POST; the status code, or why there was none.
    private func post(_ job: DeliveryJob) async -> (Int?, String?, Int) {
        let started = ContinuousClock.now
        func elapsed() -> Int { Int((ContinuousClock.now - started).nanoseconds / 1_000_000) }
        let target: OutboundTarget
        do { target = try await policy.resolve(try policy.validate(job.url)) } catch {
            return (nil, "\(error)", elapsed())
        }
        var request = HTTPClientRequest(url: target.url.text)
        request.method = .POST
        request.body = .bytes(ByteBuffer(bytes: job.payload))
        let timestamp = Int(Date().timeIntervalSince1970)
        request.headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
        request.headers.add(name: "User-Agent", value: "senate-live")
        request.headers.add(name: "X-SenateLive-Delivery", value: job.deliveryId)
        request.headers.add(name: "X-SenateLive-Event", value: job.type)
        request.headers.add(name: "X-SenateLive-Webhook", value: job.webhookId)
        request.headers.add(name: "X-SenateLive-Timestamp", value: "\(timestamp)")
        request.headers.add(name: "X-SenateLive-Signature", value: Signature.sign(body: job.payload, timestamp: timestamp, secret: job.secret))
        do {
            let response = try await clients.client(for: target).execute(request, timeout: .milliseconds(Int64(settings.timeout * 1000)))
            // What the receiver says is not needed; read a little of it so the connection can be reused.
            _ = try? await response.body.collect(upTo: 64 * 1024)
            return (Int(response.status.code), nil, elapsed())
        } catch {
            return (nil, String(describing: error), elapsed())
        }
    }
}
