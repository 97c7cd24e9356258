import AsyncHTTPClient
import Foundation
import Logging
import Metrics
import NIOCore
import Storage

/// Sends the LINE outbox through the Messaging API: a multicast per request (a push when it has one
/// user), each with its `X-Line-Retry-Key`, so a retry after a lost answer is not delivered twice (LINE
/// answers 409). 429 and 5xx back off (after `Retry-After` when given); LINE's "monthly limit" and our
/// own `monthlyBudget` hold requests instead of sending them, and say so in the log and metrics.
public actor LineSender {
    private let store: LineStore
    private let settings: LineSettings
    private let logger: Logger
    private let policy: OutboundPolicy
    private let clients: PinnedClients
    private nonisolated let doorbell = Doorbell()
    /// Recipients of requests in flight, counted against the budget before LINE has answered.
    private var reserved = 0
    private var lastBudgetWarning = ContinuousClock.now - .seconds(3600)
    private let sent = Counter(label: "senate_live_line_messages_total", dimensions: [("result", "sent")])
    private let held = Counter(label: "senate_live_line_messages_total", dimensions: [("result", "held")])
    private let failed = Counter(label: "senate_live_line_messages_total", dimensions: [("result", "failed")])
    private let remaining = Gauge(label: "senate_live_line_budget_remaining")
    /// Requests in flight at once.
    static let concurrency = 8

    public init(store: LineStore, settings: LineSettings, logger: Logger) {
        self.store = store
        self.settings = settings
        self.logger = logger
        policy = OutboundPolicy(allowHosts: [], allowPrivate: settings.allowPrivate)
        clients = PinnedClients(timeout: settings.timeout, connectionsPerHost: Self.concurrency)
    }

    public nonisolated func poke() { doorbell.ring() }

    public func run() async {
        var nextHousekeeping = ContinuousClock.now
        while !Task.isCancelled {
            if ContinuousClock.now >= nextHousekeeping {
                // Finished requests are kept a week, for looking into what was sent.
                try? await store.prune(before: Date().addingTimeInterval(-7 * 86_400))
                await clients.closeIdle()
                nextHousekeeping = ContinuousClock.now + .seconds(3600)
            }
            let requests = (try? await store.due(limit: Self.concurrency * 4)) ?? []
            if requests.isEmpty {
                await recordBudget()
                let next = (try? await store.nextDue())?.timeIntervalSinceNow ?? 1
                await doorbell.wait(timeout: .milliseconds(Int64(min(1, max(0.05, next)) * 1000)))
                continue
            }
            await withTaskGroup(of: Void.self) { group in
                var waiting = requests.makeIterator()
                for _ in 0..<Self.concurrency {
                    guard let request = waiting.next() else { break }
                    group.addTask { await self.send(request) }
                }
                while await group.next() != nil {
                    if !Task.isCancelled, let request = waiting.next() { group.addTask { await self.send(request) } }
                }
            }
        }
        await clients.shutdown()
    }

    private func recordBudget() async {
        guard settings.monthlyBudget > 0, let used = try? await store.used() else { return }
        remaining.record(max(0, settings.monthlyBudget - used))
    }

    private func send(_ request: LineRequest) async {
        let count = request.userIds.count
        if settings.monthlyBudget > 0 {
            let used = (try? await store.used()) ?? 0
            guard used + reserved + count <= settings.monthlyBudget else {
                let reason = "the monthly budget of \(settings.monthlyBudget) messages would be exceeded (\(used) used, \(count) more needed)"
                held.increment(by: Int64(count))
                if ContinuousClock.now - lastBudgetWarning > .seconds(60) {
                    lastBudgetWarning = .now
                    logger.warning("LINE alerts held: monthly budget reached", metadata: ["used": "\(used)", "budget": "\(settings.monthlyBudget)"])
                }
                await record(request, status: nil, .held(reason: reason))
                return
            }
        }
        reserved += count
        // Held until the usage is recorded, so no send in between counts these recipients as unspent.
        defer { reserved -= count }
        let (status, message, retryAfter) = await post(request)
        let outcome = Self.outcome(status: status, message: message, retryAfter: retryAfter, request: request, policy: settings.retryPolicy)
        switch outcome {
        case .sent: sent.increment(by: Int64(count))
        case .held(let reason):
            held.increment(by: Int64(count))
            logger.warning("LINE alerts held", metadata: ["reason": "\(reason)"])
        case .failed(let reason):
            failed.increment(by: Int64(count))
            logger.warning("LINE request failed", metadata: ["status": "\(status.map(String.init) ?? "none")", "reason": "\(reason)"])
        case .retry: break
        }
        await record(request, status: status, outcome)
    }

    private func record(_ request: LineRequest, status: Int?, _ outcome: LineStore.Outcome) async {
        do { try await store.record(request, status: status, outcome: outcome) } catch {
            logger.error("cannot record a LINE request", metadata: ["retryKey": "\(request.retryKey)", "error": "\(error)"])
        }
    }

    /// What LINE's answer means: 200 sent, 409 sent before (the retry key was accepted), 429 with "monthly
    /// limit" held, 429 and 5xx (or none) retried until `retryFor` is over, other statuses failed.
    static func outcome(status: Int?, message: String, retryAfter: String?, request: LineRequest, policy: RetryPolicy, now: Date = Date()) -> LineStore.Outcome {
        switch status {
        case 200?, 409?: return .sent
        case 429? where message.lowercased().contains("monthly limit"): return .held(reason: "LINE: \(message)")
        case nil, 429?, (500..<600)?:
            let wait = retryAfter.flatMap { PushOutcome.retryDelay($0, now: now) } ?? policy.delay(afterAttempt: request.attempts + 1)
            let at = now.addingTimeInterval(wait)
            return at.timeIntervalSince(request.createdAt) < policy.giveUpAfter ? .retry(at: at) : .failed(reason: "gave up: \(message)")
        case let code?: return .failed(reason: "HTTP \(code): \(message)")
        }
    }

    struct Body: Encodable {
        struct Message: Encodable {
            var type = "text"
            var text: String
        }

        enum Recipients: Encodable {
            case one(String), many([String])

            func encode(to encoder: any Encoder) throws {
                var container = encoder.singleValueContainer()
                switch self {
                case .one(let user): try container.encode(user)
                case .many(let users): try container.encode(users)
                }
            }
        }

        var to: Recipients
        var messages: [Message]
    }

    /// One request: the status, LINE's message (or why there was no answer), and `Retry-After`.
    private func post(_ request: LineRequest) async -> (Int?, String, String?) {
        let single = request.userIds.count == 1
        let path = single ? "/v2/bot/message/push" : "/v2/bot/message/multicast"
        do {
            let url = try policy.validate(settings.apiBase.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + path)
            let target = try await policy.resolve(url)
            var http = HTTPClientRequest(url: url.text)
            http.method = .POST
            http.headers.add(name: "Authorization", value: "Bearer \(settings.channelAccessToken)")
            http.headers.add(name: "Content-Type", value: "application/json")
            http.headers.add(name: "X-Line-Retry-Key", value: request.retryKey)
            let body = Body(to: single ? .one(request.userIds[0]) : .many(request.userIds), messages: [.init(text: request.text)])
            http.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(body)))
            let response = try await clients.client(for: target).execute(http, timeout: .milliseconds(Int64(settings.timeout * 1000)))
            let answer = (try? await response.body.collect(upTo: 64 * 1024)).map { String(buffer: $0) } ?? ""
            let message = ((try? JSONSerialization.jsonObject(with: Data(answer.utf8))) as? [String: Any])?["message"] as? String ?? answer
            return (Int(response.status.code), message, response.headers.first(name: "Retry-After"))
        } catch {
            return (nil, "\(error)", nil)
        }
    }
}
