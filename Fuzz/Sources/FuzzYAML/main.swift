import Diagnostics
import FuzzSupport
import YAML

/// The YAML loader on any bytes: one document as a spec is read, and a stream of documents as
/// the OpenShift reader reads manifests; every diagnostic it gives renders.
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = fuzzBytes(data, size)
    var sources = SourceFiles()
    sources.add(SourceFile(path: "input.yaml", text: String(decoding: bytes, as: UTF8.self)))
    let document = YAMLLoader.load(bytes: bytes, file: "input.yaml")
    _ = DiagnosticRenderer(sources: sources).render(document.diagnostics)
    let stream = YAMLLoader.loadStream(text: String(decoding: bytes, as: UTF8.self), file: "input.yaml")
    _ = DiagnosticRenderer(sources: sources).render(stream.diagnostics)
    return 0
}

FuzzDriver.run(testOneInput)
