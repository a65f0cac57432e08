import FuzzSupport
import IR

/// The Azure backend's reader on fuzzed files: the input is `nsg.json`, or a `FileBundle` of
/// several of the files it reads; the sample's own files stand in for those the input leaves out.
enum Reader {
    static let target = ReaderTarget(.azure, mainFile: "nsg.json")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    Reader.target.run(fuzzBytes(data, size))
    return 0
}

FuzzDriver.run(testOneInput)
