import Foundation
import Palisade
import Testing

/// The heap trimming of `compile`'s targets (`MemoryRelease`): glibc's `malloc_trim` is found,
/// and the timer trims while the body runs, and only then.
@Suite struct MemoryReleaseTests {
    @Test func theCLibraryTrimIsFoundOnLinux() {
        #if os(Linux)
            #expect(MemoryRelease.trim())
        #endif
    }

    @Test func theHeapIsTrimmedBeforeAndWhileTheBodyRunsAndNotAfter() async throws {
        let trims = Counter(0)
        let count: @Sendable () -> Bool = {
            trims.add(1)
            return true
        }
        let result = MemoryRelease.trimming(every: .milliseconds(20), trim: count) { () -> Int in
            // The first trim is made before the body starts; on a loaded machine the timer's
            // first may come before this line runs.
            #expect(trims.value >= 1)
            Thread.sleep(forTimeInterval: 0.3)
            return 42
        }
        #expect(result == 42)
        let afterBody = trims.value
        #expect(afterBody >= 4, "the timer trimmed \(afterBody - 1) times in 300 ms every 20 ms")
        try await Task.sleep(for: .milliseconds(150))
        #expect(trims.value == afterBody, "the timer went on after the body")
    }

    @Test func theTimerTrimsOnlyWhileTheResidentSizeIsAboveTheBudget() {
        let trims = Counter(0)
        let size = Counter(100)
        // A trim that works: it brings the process back under the budget.
        let count: @Sendable () -> Bool = {
            trims.add(1)
            size.set(400)
            return true
        }
        let resident: @Sendable () -> Int? = { size.value }
        MemoryRelease.trimming(every: .milliseconds(10), above: 500, trim: count, resident: resident) {
            Thread.sleep(forTimeInterval: 0.2)
            #expect(trims.value == 1, "only the trim before the body: the process is under the budget")
            for _ in 0..<10 {
                size.set(600)
                Thread.sleep(forTimeInterval: 0.04)
            }
        }
        #expect(trims.value >= 4, "the timer trimmed \(trims.value - 1) times over the budget")
    }

    /// A trim that leaves the process over the budget (more is live than the budget) is the
    /// timer's last: what it gives back is only faulted in again.
    @Test func theTimerStopsOnceATrimCannotKeepTheBudget() {
        let trims = Counter(0)
        let size = Counter(100)
        let count: @Sendable () -> Bool = {
            trims.add(1)
            return true
        }
        let resident: @Sendable () -> Int? = { size.value }
        MemoryRelease.trimming(every: .milliseconds(10), above: 500, trim: count, resident: resident) {
            size.set(600)
            Thread.sleep(forTimeInterval: 0.3)
            size.set(100)
            Thread.sleep(forTimeInterval: 0.05)
            size.set(600)
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(trims.value == 2, "the trim before the body and one by the timer, not \(trims.value - 2) more")
    }

    @Test func theResidentSizeIsReadOnLinux() {
        #if os(Linux)
            let size = MemoryRelease.residentBytes()
            #expect(size.map { $0 > 1 << 20 && $0 < 1 << 40 } == true, "\(String(describing: size))")
        #endif
    }

    @Test func withoutATrimTheBodyRunsAloneAndItsErrorsPass() {
        struct Failure: Error {}
        let trims = Counter(0)
        let none: @Sendable () -> Bool = {
            trims.add(1)
            return false
        }
        #expect(throws: Failure.self) { try MemoryRelease.trimming(every: .milliseconds(1), trim: none) { () throws -> Int in throw Failure() } }
        #expect(trims.value == 1)
    }
}

/// An integer shared between the test and the trimming timer's thread, behind a lock.
final class Counter: @unchecked Sendable {
    private var count: Int
    private let lock = NSLock()

    init(_ count: Int) { self.count = count }

    var value: Int {
        lock.lock()
        defer { lock.unlock() }
        return count
    }

    func add(_ amount: Int) {
        lock.lock()
        count += amount
        lock.unlock()
    }

    func set(_ value: Int) {
        lock.lock()
        count = value
        lock.unlock()
    }
}
