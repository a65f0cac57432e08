import FuzzSupport
import IR

/// The Swarm backend's reader on fuzzed files: the input is `stack.yaml`, or a `FileBundle` of
/// several of the files it reads; the sample's own files stand in for those the input leaves out.
enum Reader {
    static let target = ReaderTarget(.swarm, mainFile: "stack.yaml")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    Reader.target.run(fuzzBytes(data, size))
    return 0
}

FuzzDriver.run(testOneInput)
