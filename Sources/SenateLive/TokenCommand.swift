import ArgumentParser
import Foundation
import Server

/// `senate-live token --role operator --channel senate`: prints a signed bearer token.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "token", abstract: "Mint a bearer token (signed with auth.secret / SENATE_LIVE_AUTH_SECRET).")

    @Option(name: .long, help: "operator (publishes to its channels, manages its webhooks), admin (everything) or viewer.")
    var role: Principal.Role = .operator

    @Option(name: .long, help: "A channel the token may publish to (repeat for several; * for all).")
    var channel: [String] = []

    @Option(name: .long, help: "Who the token is for (the JWT subject).")
    var subject = "operator"

    @Option(name: .long, help: "Lifetime in hours.")
    var hours = 24.0

    @Option(name: .long, help: "YAML configuration file holding auth.secret.")
    var config: String?

    func run() async throws {
        let configuration = try ServerConfiguration.load(file: config, environment: ProcessInfo.processInfo.environment)
        guard !configuration.auth.secret.isEmpty else {
            throw ValidationError("no secret: set auth.secret in the config file or SENATE_LIVE_AUTH_SECRET")
        }
        guard role != .operator || !channel.isEmpty else { throw ValidationError("an operator token needs at least one --channel") }
        let authority = await TokenAuthority(secret: configuration.auth.secret)
        print(try await authority.mint(Principal(subject: subject, role: role, channels: channel), lifetime: hours * 3600))
    }
}

extension Principal.Role: ExpressibleByArgument {}
