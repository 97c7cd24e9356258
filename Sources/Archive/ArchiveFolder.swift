import Foundation

/// The archive on disk: one folder per sitting under `root`,
/// `{sitting}/index.m3u8`, `{sitting}/{rendition}/{init-g.mp4, msn.m4s, index.m3u8}`, `transcript.vtt`,
/// `chapters.json`, `recording.mp4`. Media files are hard links to the live path's files (a copy when
/// the file system cannot link), so the sitting keeps its media when the live folder is pruned.
public struct ArchiveFolder: Sendable {
    public let root: URL

    public init(root: URL) {
        self.root = root
    }

    /// A sitting id as a folder name: letters, digits, `-` and `_` only, so no id leaves `root`.
    public static func isValid(sitting: String) -> Bool {
        (1...128).contains(sitting.utf8.count) && sitting.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x2D || byte == 0x5F
        }
    }

    public func folder(_ sitting: String) -> URL { root.appendingPathComponent(sitting, isDirectory: true) }

    /// Links (or copies) `names` from `source` into the sitting's `rendition` folder; files already there
    /// are kept. Returns the names that could not be brought over.
    public func bringMedia(_ names: [String], from source: URL, sitting: String, rendition: String) throws -> [String] {
        let target = folder(sitting).appendingPathComponent(rendition, isDirectory: true)
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        var missing: [String] = []
        for name in names {
            let from = source.appendingPathComponent(name).path, to = target.appendingPathComponent(name).path
            if FileManager.default.fileExists(atPath: to) { continue }
            if link(from, to) == 0 { continue }
            if errno == ENOENT { missing.append(name); continue }
            do { try FileManager.default.copyItem(atPath: from, toPath: to) } catch { missing.append(name) }
        }
        return missing
    }

    /// Writes `data` to a file of the sitting via a temporary name and a rename.
    public func write(_ data: Data, to name: String, sitting: String) throws {
        let url = folder(sitting).appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp")
        try data.write(to: temporary)
        guard rename(temporary.path, url.path) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }

    /// A file of a sitting if it exists. `components` come from the URL: each must be a plain name.
    public func existingFile(sitting: String, _ components: [String]) -> URL? {
        guard Self.isValid(sitting: sitting), !components.isEmpty,
              components.allSatisfy({ !$0.isEmpty && !$0.hasPrefix(".") && !$0.contains("/") && !$0.contains("\\") }) else { return nil }
        let url = components.reduce(folder(sitting)) { $0.appendingPathComponent($1) }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue else { return nil }
        return url
    }

    /// Deletes a sitting's folder.
    public func remove(sitting: String) throws {
        guard Self.isValid(sitting: sitting) else { return }
        let url = folder(sitting)
        if FileManager.default.fileExists(atPath: url.path) { try FileManager.default.removeItem(at: url) }
    }
}
