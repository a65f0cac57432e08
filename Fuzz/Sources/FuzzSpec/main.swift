import FuzzSupport

/// The front end (include, resolve, lower) and the linter on a spec and the files it includes,
/// given as a `FileBundle`.
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    SpecTarget.run(fuzzBytes(data, size))
    return 0
}

FuzzDriver.run(testOneInput)
