import CFuzzDriver
import Foundation

/// The `main` of every fuzz target. SwiftPM gives each executable a `main` of its own, so the
/// targets cannot use libFuzzer's; they call its driver instead (`LLVMFuzzerRunDriver`).
public enum FuzzDriver {
    /// Runs libFuzzer with `target` and exits with its status. Built without libFuzzer, the
    /// executable replays the files and folders named on the command line instead, one input
    /// per file, and says what it ran.
    public static func run(_ target: PalisadeFuzzTarget) -> Never {
        // The sanitizers and libFuzzer report crashes themselves; Swift's backtracer would race them.
        setenv("SWIFT_BACKTRACE", "enable=no", 0)
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        let status = palisade_fuzz_run_driver(&argc, &argv, target)
        if status >= 0 { exit(status) }
        exit(replay(CommandLine.arguments.dropFirst().filter { !$0.hasPrefix("-") }, target))
    }

    /// Runs `target` on each file, and on each file of each folder, in name order.
    static func replay(_ paths: [String], _ target: PalisadeFuzzTarget) -> Int32 {
        guard !paths.isEmpty else {
            FileHandle.standardError.write(Data("built without libFuzzer: give files or folders of inputs to replay\n".utf8))
            return 2
        }
        var count = 0
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                FileHandle.standardError.write(Data("no such file: \(path)\n".utf8))
                return 2
            }
            let files =
                isDirectory.boolValue
                ? ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted().map { path + "/" + $0 } : [path]
            for file in files {
                guard let data = FileManager.default.contents(atPath: file) else { continue }
                print("replaying \(file)")
                let bytes = [UInt8](data)
                _ = bytes.withUnsafeBufferPointer { target($0.baseAddress, $0.count) }
                count += 1
            }
        }
        print("replayed \(count) inputs without a crash")
        return 0
    }
}

/// The bytes libFuzzer hands a target.
public func fuzzBytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
    guard let data, size > 0 else { return [] }
    return Array(UnsafeBufferPointer(start: data, count: size))
}

/// Stops the run with `message` when a property every input must keep fails; libFuzzer
/// records the input as a crash.
public func require(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("fuzz property failed: \(message())") }
}
