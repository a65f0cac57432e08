import Foundation
import Testing

@testable import YAML

/// `YAMLNode.release`: a large document is let go on another thread, a small one at once.
@Suite struct NodeReleaseTests {
    /// A flat document of `count` scalars in a sequence.
    func document(_ count: Int) -> YAMLNode {
        let text = (0..<count).map { "- item\($0)\n" }.joined()
        let result = YAMLLoader.load(bytes: Array(text.utf8), file: "test.yaml")
        return result.root!
    }

    /// Where and when the release callback ran.
    final class Record: @unchecked Sendable {
        let lock = NSLock()
        var thread: pthread_t?
        let done = DispatchSemaphore(value: 0)
        func ran() {
            lock.withLock { thread = pthread_self() }
            done.signal()
        }
    }

    @Test func aSmallDocumentIsLetGoOnTheCallersThreadBeforeReturning() {
        let node = document(10)
        #expect(node.weight < 65_536)
        let record = Record()
        YAMLNode.release(node, released: { record.ran() })
        let thread = record.lock.withLock { record.thread }
        #expect(thread.map { pthread_equal($0, pthread_self()) != 0 } == true)
    }

    @Test func aLargeDocumentIsLetGoOnAnotherThread() {
        let node = document(70_000)
        #expect(node.weight >= 65_536)
        let record = Record()
        YAMLNode.release(node, released: { record.ran() })
        #expect(record.done.wait(timeout: .now() + 60) == .success)
        let thread = record.lock.withLock { record.thread }
        #expect(thread.map { pthread_equal($0, pthread_self()) == 0 } == true)
    }

    @Test func theThresholdIsTheCallersToChoose() {
        let record = Record()
        YAMLNode.release(document(10), weight: 5, released: { record.ran() })
        #expect(record.done.wait(timeout: .now() + 60) == .success)
        let thread = record.lock.withLock { record.thread }
        #expect(thread.map { pthread_equal($0, pthread_self()) == 0 } == true)
    }
}
