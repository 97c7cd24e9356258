/// A playlist request with LL-HLS delivery directives (`_HLS_msn`, `_HLS_part`).
public struct BlockingRequest: Sendable, Equatable {
    public var msn: Int
    /// nil: wait for the whole segment `msn`.
    public var part: Int?

    public init(msn: Int, part: Int? = nil) {
        self.msn = msn
        self.part = part
    }

    /// Parses the query values; nil when there is no directive. `_HLS_part` without `_HLS_msn` is an error.
    public static func parse(msn: String?, part: String?) throws -> BlockingRequest? {
        guard let msn else {
            if part != nil { throw HLSError(.badRequest, "_HLS_part needs _HLS_msn") }
            return nil
        }
        guard let number = Int(msn), number >= 0 else { throw HLSError(.badRequest, "_HLS_msn must be a non-negative integer") }
        guard let part else { return BlockingRequest(msn: number) }
        guard let index = Int(part), index >= 0 else { throw HLSError(.badRequest, "_HLS_part must be a non-negative integer") }
        return BlockingRequest(msn: number, part: index)
    }
}
