import Alerts
import ArgumentParser
import Foundation

/// `senate-live push-import FILE --data-dir DIR`: stores Web Push subscriptions in bulk, each line the
/// body `POST /api/v1/push/subscriptions` takes (`{"subscription", "follow", "lang"?}`). For moving
/// subscriptions from another system, and for the push benchmark. Run it with the server stopped.
struct PushImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "push-import", abstract: "Store Web Push subscriptions from a JSON-lines file.")

    struct Line: Decodable {
        var subscription: PushSubscription
        var follow: PushFollow
        var lang: String?
    }

    @Argument(help: "JSON lines: {\"subscription\": {endpoint, keys: {p256dh, auth}}, \"follow\": {billIds, itemIds, tags, keywords, channels}, \"lang\"}.")
    var file: String

    @Option(name: .long, help: "The server's data directory (push.sqlite is there).")
    var dataDir = "data"

    @Flag(name: .long, help: "Take http endpoints (as alerts.push.allowPrivate does).")
    var allowHTTP = false

    func run() async throws {
        let store = try await PushStore.open(path: dataDir + "/push.sqlite")
        let text = try String(contentsOfFile: file, encoding: .utf8)
        var batch: [(PushSubscription, PushFollow, String)] = []
        var stored = 0
        for (number, line) in text.split(separator: "\n").enumerated() {
            let entry: Line
            do {
                entry = try JSONDecoder().decode(Line.self, from: Data(line.utf8))
                _ = try entry.subscription.recipient(allowHTTP: allowHTTP)
            } catch {
                throw ValidationError("line \(number + 1): \(error)")
            }
            guard !entry.follow.isEmpty else { throw ValidationError("line \(number + 1): follow names nothing") }
            let lang = entry.lang.flatMap { PushNotification.languages.contains($0) ? $0 : nil } ?? "th"
            batch.append((entry.subscription, entry.follow, lang))
            if batch.count == 5000 {
                stored += try await store.subscribe(batch).count
                batch.removeAll(keepingCapacity: true)
            }
        }
        stored += try await store.subscribe(batch).count
        print("stored \(stored) subscriptions; \(try await store.subscriptionCount()) in all")
    }
}
