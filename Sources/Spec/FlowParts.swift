import IR

/// How the front end splits a large file's flows to decode and lower them at once on the cores.
enum FlowParts {
    /// A part holds at least this many flows, so a file is split from twice as many on.
    static let minimumFlows = 4_096
    /// At most this many parts a file.
    static let maximumParts = 8

    /// The parts of `count` flows when each holds at least `minimum`: one range when there are
    /// fewer than twice as many.
    static func ranges(_ count: Int, minimum: Int) -> [Range<Int>] {
        Concurrently.ranges(count, parts: min(maximumParts, count / max(1, minimum)))
    }
}
