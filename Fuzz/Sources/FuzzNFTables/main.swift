import FuzzSupport
import IR

/// The nftables backend's reader on fuzzed files: one ruleset file per workload (`api.nft`), so the
/// input is a `FileBundle` naming its files (`#file: api.nft`); an input without `#file:` lines is
/// the sample's first workload's file. The sample's own files stand in for those the input leaves
/// out. A file it rejects, it rejects with a `ReadFailure` naming the file.
enum Reader {
    static let target = ReaderTarget(.nftables, mainFile: nil, locatedErrors: true)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    Reader.target.run(fuzzBytes(data, size))
    return 0
}

FuzzDriver.run(testOneInput)
