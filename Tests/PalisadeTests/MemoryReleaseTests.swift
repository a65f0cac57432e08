import Foundation
import Palisade
import Synchronization
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
        let trims = Atomic<Int>(0)
        let count: @Sendable () -> Bool = {
            trims.add(1, ordering: .relaxed)
            return true
        }
        let result = MemoryRelease.trimming(every: .milliseconds(20), trim: count) { () -> Int in
            #expect(trims.load(ordering: .relaxed) == 1)
            Thread.sleep(forTimeInterval: 0.3)
            return 42
        }
        #expect(result == 42)
        let afterBody = trims.load(ordering: .relaxed)
        #expect(afterBody >= 4, "the timer trimmed \(afterBody - 1) times in 300 ms every 20 ms")
        try await Task.sleep(for: .milliseconds(150))
        #expect(trims.load(ordering: .relaxed) <= afterBody + 1, "the timer went on after the body")
    }

    @Test func theTimerTrimsOnlyWhileTheResidentSizeIsAboveTheBudget() {
        let trims = Atomic<Int>(0)
        let size = Atomic<Int>(100)
        let count: @Sendable () -> Bool = {
            trims.add(1, ordering: .relaxed)
            return true
        }
        let resident: @Sendable () -> Int? = { size.load(ordering: .relaxed) }
        MemoryRelease.trimming(every: .milliseconds(10), above: 500, trim: count, resident: resident) {
            Thread.sleep(forTimeInterval: 0.2)
            #expect(trims.load(ordering: .relaxed) == 1, "only the trim before the body: 100 bytes is under the budget")
            size.store(600, ordering: .relaxed)
            Thread.sleep(forTimeInterval: 0.2)
        }
        #expect(trims.load(ordering: .relaxed) >= 4, "the timer trimmed \(trims.load(ordering: .relaxed) - 1) times over the budget")
    }

    @Test func theResidentSizeIsReadOnLinux() {
        #if os(Linux)
            let size = MemoryRelease.residentBytes()
            #expect(size.map { $0 > 1 << 20 && $0 < 1 << 40 } == true, "\(String(describing: size))")
        #endif
    }

    @Test func withoutATrimTheBodyRunsAloneAndItsErrorsPass() {
        struct Failure: Error {}
        let trims = Atomic<Int>(0)
        let none: @Sendable () -> Bool = {
            trims.add(1, ordering: .relaxed)
            return false
        }
        #expect(throws: Failure.self) { try MemoryRelease.trimming(every: .milliseconds(1), trim: none) { () throws -> Int in throw Failure() } }
        #expect(trims.load(ordering: .relaxed) == 1)
    }
}
