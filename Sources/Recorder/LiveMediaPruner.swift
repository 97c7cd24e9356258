import Foundation

/// Deletes live segments older than the retention window. Sittings hold hard links to their segments,
/// so this frees only media that no kept sitting uses; init segments (small, maybe still current) stay.
enum LiveMediaPruner {
    static func prune(_ folders: [URL], olderThan cutoff: Date) {
        for folder in folders {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
            for name in names where name.hasSuffix(".m4s") {
                let path = folder.appendingPathComponent(name).path
                if let modified = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date, modified < cutoff {
                    try? FileManager.default.removeItem(atPath: path)
                }
            }
        }
    }
}
