import Backends
import FuzzSupport
import IR

/// The OpenShift backend's reader on fuzzed files: the input is `manifests.yaml`, or a `FileBundle` of
/// several of the files it reads; the sample's own files stand in for those the input leaves out.
enum Reader {
    /// The CEL the reader evaluates reaches two known problems (`KnownIssues`); the patterns of
    /// the generated admission policies are let through.
    static let regexCalls = KnownIssues.regexCalls(in: Samples.files(of: OpenShiftBackend()).values.flatMap { $0.map(\.contents) })
    static let target = ReaderTarget(.openshift, mainFile: "manifests.yaml") { text in
        KnownIssues.celBacktrackingRegex(text, known: regexCalls)
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    Reader.target.run(fuzzBytes(data, size))
    return 0
}

FuzzDriver.run(testOneInput)
