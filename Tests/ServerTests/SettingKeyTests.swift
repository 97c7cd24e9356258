import Foundation
import Testing
@testable import Server

/// The key table (`ServerConfiguration.settingKeys`) is the one declaration of each setting: the same value
/// given in YAML and in the environment must configure the same thing, and the README must list it.
@Suite("Configuration keys: one declaration each")
struct SettingKeyTests {
    static let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("README.md")

    /// `relay.history` + `5000` → "relay:\n  history: 5000\n".
    static func yaml(path: String, value: String) -> String {
        let parts = path.split(separator: ".")
        var text = ""
        for (depth, part) in parts.enumerated() {
            let indent = String(repeating: "  ", count: depth)
            text += depth == parts.count - 1 ? "\(indent)\(part): \(value)\n" : "\(indent)\(part):\n"
        }
        return text
    }

    @Test("paths and variables are unique")
    func unique() {
        let keys = ServerConfiguration.settingKeys
        #expect(Set(keys.map(\.path)).count == keys.count)
        #expect(Set(keys.map(\.variable)).count == keys.count)
    }

    @Test("each key set through its variable equals the same value set in YAML, and differs from the default", arguments: ServerConfiguration.settingKeys.map(\.path))
    func environmentMatchesYAML(_ path: String) throws {
        let key = try #require(ServerConfiguration.settingKeys.first { $0.path == path })
        var fromEnvironment = ServerConfiguration()
        try fromEnvironment.apply(environment: [key.environmentName: key.example.environment])
        let fromFile = try ServerConfiguration(yaml: Self.yaml(path: key.path, value: key.example.yaml))
        #expect(fromEnvironment == fromFile, "\(key.environmentName)=\(key.example.environment) against \(key.path): \(key.example.yaml)")
        #expect(fromEnvironment != ServerConfiguration(), "the example of \(key.path) must change something")
    }

    @Test("a bad value names the variable")
    func badValue() throws {
        var configuration = ServerConfiguration()
        #expect(throws: ConfigurationError.self) { try configuration.apply(environment: ["SENATE_LIVE_HISTORY": "many"]) }
        do { try configuration.apply(environment: ["SENATE_LIVE_COMPRESSION": "maybe"]) } catch let error as ConfigurationError {
            #expect(error.description.contains("SENATE_LIVE_COMPRESSION"))
        }
    }

    @Test("the README's configuration table names every key and its variable")
    func readmeListsEveryKey() throws {
        let text = try String(contentsOf: Self.readme, encoding: .utf8)
        let section = try #require(text.components(separatedBy: "\n## Configuration\n").dropFirst().first)
        let table = section.split(separator: "\n").drop { !$0.hasPrefix("| YAML") }.prefix { $0.hasPrefix("|") }.joined(separator: "\n")
        #expect(table.count > 1000)
        for key in ServerConfiguration.settingKeys {
            #expect(table.contains("`\(key.path)`"), "README lacks \(key.path)")
            #expect(table.contains("`\(key.environmentName)`"), "README lacks \(key.environmentName)")
        }
    }

    @Test("a misspelt or unknown YAML key is an error naming it and what is known there")
    func unknownKey() {
        for (text, key) in [("hls:\n  parTarget: 0.5\n", "hls.parTarget"), ("relay:\n  stor: sqlite\n", "relay.stor"), ("colour: red\n", "colour")] {
            do {
                _ = try ServerConfiguration(yaml: text)
                Issue.record("\(key) was accepted")
            } catch let error as ConfigurationError {
                #expect(error.description.contains(key), "\(error)")
            } catch {
                Issue.record("\(error)")
            }
        }
        do { _ = try ServerConfiguration(yaml: "hls:\n  parTarget: 0.5\n") } catch {
            #expect("\(error)".contains("partTarget"), "the known keys are listed")
        }
    }

    @Test("a value of the wrong kind names its path; empty file and tls: {} work")
    func wrongKind() throws {
        do {
            _ = try ServerConfiguration(yaml: "relay:\n  history: lots\n")
            Issue.record("accepted")
        } catch let error as ConfigurationError {
            #expect(error.description.contains("relay.history") && error.description.contains("lots"))
        }
        #expect(try ServerConfiguration(yaml: "") == ServerConfiguration())
        #expect(try ServerConfiguration(yaml: "http:\n  tls: {}\n").http.tls == ServerConfiguration.TLS())
        #expect(try ServerConfiguration(yaml: "channels:\n  - slug: senate\n").channels == [ServerConfiguration.Channel(slug: "senate")])
    }

    @Test("a key or section left empty (key:, ~, null) keeps the default, as a missing key does")
    func nullKeepsDefault() throws {
        let text = "dataDirectory:\nlogLevel: ~\nhttp:\n  headerTimeout: null\nwebhooks:\nroles:\nchannels:\n"
        #expect(try ServerConfiguration(yaml: text) == ServerConfiguration())
        #expect(throws: ConfigurationError.self) { try ServerConfiguration(yaml: "colour:\n") }
    }
}
