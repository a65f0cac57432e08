import Backends
import FuzzSupport
import IR

/// The Kubernetes backend's reader on fuzzed files: the input is `manifests.yaml`, or a `FileBundle` of
/// several of the files it reads; the sample's own files stand in for those the input leaves out.
/// A file it rejects, it rejects with a `ReadFailure` naming the file.
enum Reader {
    static let target = ReaderTarget(.kubernetes, mainFile: "manifests.yaml", locatedErrors: true)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    Reader.target.run(fuzzBytes(data, size))
    return 0
}

FuzzDriver.run(testOneInput)
