import FuzzSupport

/// What `palisade compile` does with a spec: the front end, then every target's option checks
/// and emission, then each backend reading its own files back.
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let output = SpecTarget.run(fuzzBytes(data, size))
    guard let policy = output.policy else { return 0 }
    SpecTarget.emitAndRead(policy, sources: output.sources)
    return 0
}

FuzzDriver.run(testOneInput)
