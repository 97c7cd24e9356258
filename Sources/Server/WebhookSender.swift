import Alerts
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
import Metrics

/// Sends the webhook outbox: due deliveries go out as signed POSTs, at most `concurrency` at a time per
/// endpoint; failures are retried with backoff and jitter until the retry period ends, and an endpoint
/// that keeps failing is disabled. Runs until cancelled.
actor WebhookSender {
    private let store: WebhookStore
    private let settings: ServerConfiguration.WebhookSettings
    private let logger: Logger
    private let session: URLSession
    /// Deliveries being sent, and how many per endpoint.
    private var inFlight: [String: Task<Void, Never>] = [:]
    private var perEndpoint: [String: Int] = [:]
    private var saturated: Set<String> { Set(perEndpoint.filter { $0.value >= settings.concurrency }.keys) }
    /// The run loop's pause: resumed by a poke or by its timer (`napGeneration` tells stale timers apart).
    private var napping: CheckedContinuation<Void, Never>?
    private var napGeneration = 0
    private var poked = false
    private let delivered = Counter(label: "senate_live_webhook_deliveries_total", dimensions: [("result", "delivered")])
    private let failed = Counter(label: "senate_live_webhook_deliveries_total", dimensions: [("result", "failed_attempt")])
    private let gaveUp = Counter(label: "senate_live_webhook_deliveries_total", dimensions: [("result", "gave_up")])
    private let disabledGauge = Gauge(label: "senate_live_webhooks_disabled")
    private let pendingGauge = Gauge(label: "senate_live_webhook_deliveries_pending")

    init(store: WebhookStore, settings: ServerConfiguration.WebhookSettings, logger: Logger) {
        self.store = store
        self.settings = settings
        self.logger = logger
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = settings.timeout
        configuration.timeoutIntervalForResource = settings.timeout
        configuration.httpMaximumConnectionsPerHost = max(1, settings.concurrency)
        configuration.urlCache = nil
        // Redirects are not followed: a receiver could otherwise send the signed POST to a host the
        // allow-list refuses. A 3xx counts as a failed attempt.
        session = URLSession(configuration: configuration, delegate: RefuseRedirects(), delegateQueue: nil)
    }

    /// New deliveries were queued (or an endpoint enabled): look now rather than at the next tick.
    nonisolated func poke() { Task { await self.wakeUp() } }

    private func wakeUp(generation: Int? = nil) {
        guard generation == nil || generation == napGeneration else { return }
        if let napping {
            self.napping = nil
            napping.resume()
        } else if generation == nil {
            poked = true
        }
    }

    /// Pauses up to `seconds`, less if poked (a poke that came while busy ends the next pause at once).
    private func nap(_ seconds: Double) async {
        if poked { poked = false; return }
        napGeneration += 1
        let generation = napGeneration
        await withCheckedContinuation { continuation in
            napping = continuation
            Task {
                try? await Task.sleep(for: .seconds(seconds))
                await self.wakeUp(generation: generation)
            }
        }
    }

    func run() async {
        var nextPrune = ContinuousClock.now
        while !Task.isCancelled {
            if ContinuousClock.now >= nextPrune {
                // The record of finished deliveries is kept `keepDays`, then dropped (hourly).
                _ = try? await store.prune(before: Date().addingTimeInterval(-settings.keepDays * 86_400))
                nextPrune = ContinuousClock.now + .seconds(3600)
            }
            await startDue()
            // Until the next retry is due, a poke, or a second at most.
            let next = (try? await store.nextDue(excluding: Set(inFlight.keys), saturated: saturated))?.timeIntervalSinceNow ?? 1
            await nap(min(1, max(0.05, next)))
        }
        // Shutting down: let the attempts under way finish (each is bounded by the timeout) and be recorded,
        // so a receiver that answered is not sent the same delivery again after the restart.
        for task in inFlight.values { await task.value }
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
        let success = statusCode.map { (200..<300).contains($0) } ?? false
        let outcome: WebhookStore.Outcome
        if success {
            outcome = .delivered
            delivered.increment()
        } else if Date().timeIntervalSince(job.createdAt) >= settings.retryFor {
            outcome = .gaveUp
            gaveUp.increment()
        } else {
            outcome = .retry(at: Date().addingTimeInterval(settings.retryPolicy.delay(afterAttempt: job.attempts + 1)))
            failed.increment()
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
        guard let url = URL(string: job.url) else { return (nil, "invalid url", 0) }
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.httpBody = job.payload
        let timestamp = Int(Date().timeIntervalSince1970)
        request.setValue("application/json; charset=utf-8", forHTTPHeaderField: "Content-Type")
        request.setValue("senate-live", forHTTPHeaderField: "User-Agent")
        request.setValue(job.deliveryId, forHTTPHeaderField: "X-SenateLive-Delivery")
        request.setValue(job.type, forHTTPHeaderField: "X-SenateLive-Event")
        request.setValue(job.webhookId, forHTTPHeaderField: "X-SenateLive-Webhook")
        request.setValue("\(timestamp)", forHTTPHeaderField: "X-SenateLive-Timestamp")
        request.setValue(Signature.sign(body: job.payload, timestamp: timestamp, secret: job.secret), forHTTPHeaderField: "X-SenateLive-Signature")
        let started = ContinuousClock.now
        do {
            let (_, response) = try await session.data(for: request)
            let elapsed = Int((ContinuousClock.now - started).nanoseconds / 1_000_000)
            return ((response as? HTTPURLResponse)?.statusCode, nil, elapsed)
        } catch {
            let elapsed = Int((ContinuousClock.now - started).nanoseconds / 1_000_000)
            return (nil, (error as NSError).localizedDescription, elapsed)
        }
    }
}

/// Refuses every redirect: the 3xx answer itself is what the sender sees.
final class RefuseRedirects: NSObject, URLSessionTaskDelegate, Sendable {
    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void) {
        completionHandler(nil)
    }
}
