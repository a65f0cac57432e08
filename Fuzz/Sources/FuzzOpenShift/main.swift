import Backends
import FuzzSupport
import IR

/// The OpenShift backend's reader on fuzzed files: the input is `manifests.yaml`, or a `FileBundle` of
/// several of the files it reads; the sample's own files stand in for those the input leaves out.
enum Reader {
    static let target = ReaderTarget(.openshift, mainFile: "manifests.yaml")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    Reader.target.run(fuzzBytes(data, size))
    return 0
}

FuzzDriver.run(testOneInput)
