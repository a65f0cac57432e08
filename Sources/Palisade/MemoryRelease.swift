import Foundation

/// Gives the pages the heap holds free back to the system, where the C library can (glibc's
/// `malloc_trim`, looked up at run time: Swift's Glibc module does not declare it); elsewhere it
/// does nothing.
///
/// glibc keeps what a thread frees in that thread's arena for its later allocations, and a
/// large estate's targets free a lot as they go: a text grown by doubling leaves each smaller
/// buffer behind, a plan is dropped once its files are written, and the front end's YAML nodes
/// once the IR is built. With two targets at a time, the resident size then follows each
/// arena's high-water mark rather than what is live: on the 10,000-workload benchmark spec the
/// compile of all eight targets peaked at 405–438 MB resident with about 330 MB live.
public enum MemoryRelease {
    /// Trims the heap; true when the C library has `malloc_trim` (glibc).
    @discardableResult
    public static func trim() -> Bool {
        guard let mallocTrim else { return false }
        _ = mallocTrim(0)
        return true
    }

    /// `body`'s result, the heap trimmed (`trim`) before it and, while it runs, every
    /// `interval` at which the process's resident size (`resident`) is at least `above` bytes,
    /// from a timer on another thread, none after `body` returns: `body` is the targets'
    /// concurrent emission, whose frees no single point in the pipeline follows. Without glibc (`trim` false), `body` alone.
    /// `trim` and `resident` are the system's unless a test counts the calls. The cost is the
    /// pages given back and faulted in again, so a compile that stays small never pays it: on
    /// the 10,000-workload benchmark spec, trimming at every tick cost about 0.4 s of system
    /// time.
    ///
    /// With a budget (`above` more than 0), the timer stops after a trim that leaves the process
    /// at `above` or more: what is live is then more than the budget, which trimming cannot
    /// keep, and every page it gives back is faulted in again (at 20,000 workloads, trimming on
    /// every tick more than doubled the page faults and cost about 15% of the processor time).
    public static func trimming<Result>(
        every interval: DispatchTimeInterval, above: Int = 0, trim: @escaping @Sendable () -> Bool = trim,
        resident: @escaping @Sendable () -> Int? = residentBytes, _ body: () throws -> Result
    ) rethrows -> Result {
        guard trim() else { return try body() }
        let timer = DispatchSource.makeTimerSource(queue: .global(qos: .utility))
        timer.schedule(deadline: .now() + interval, repeating: interval)
        let stoppedTrimming = Flag()
        timer.setEventHandler {
            guard !stoppedTrimming.isSet else { return }
            if let size = resident(), size < above { return }
            _ = trim()
            if above > 0, let size = resident(), size >= above { stoppedTrimming.set() }
        }
        // Dispatch runs the cancel handler once no event handler runs or will: waiting for it,
        // no trim starts or goes on after the body.
        let stopped = DispatchSemaphore(value: 0)
        timer.setCancelHandler { stopped.signal() }
        timer.resume()
        defer {
            timer.cancel()
            stopped.wait()
        }
        return try body()
    }

    /// A flag the timer's handler sets and reads: a source's handler runs one call at a time,
    /// so the flag needs no lock.
    private final class Flag: @unchecked Sendable {
        private(set) var isSet = false
        func set() { isSet = true }
    }

    /// The process's resident size in bytes (the second field of `/proc/self/statm`, in
    /// pages), or nil where that file is not there.
    public static func residentBytes() -> Int? {
        #if canImport(Glibc)
            let file = open("/proc/self/statm", O_RDONLY)
            guard file >= 0 else { return nil }
            defer { close(file) }
            var buffer = [UInt8](repeating: 0, count: 128)
            let count = buffer.withUnsafeMutableBytes { read(file, $0.baseAddress, $0.count) }
            guard count > 0 else { return nil }
            let fields = buffer[..<count].split(separator: UInt8(ascii: " "))
            guard fields.count > 1, let pages = Int(String(decoding: fields[1], as: UTF8.self)) else { return nil }
            return pages * sysconf(Int32(_SC_PAGESIZE))
        #else
            return nil
        #endif
    }

    /// glibc's `malloc_trim(pad)`, looked up once; nil without glibc.
    private static let mallocTrim: (@convention(c) (Int) -> Int32)? = {
        #if canImport(Glibc)
            guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "malloc_trim") else { return nil }
            return unsafeBitCast(symbol, to: (@convention(c) (Int) -> Int32).self)
        #else
            return nil
        #endif
    }()
}
