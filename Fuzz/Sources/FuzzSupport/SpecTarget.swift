import Analysis
import Backends
import Diagnostics
import IR
import Lint
import Spec

/// The front end on a fuzzed spec (a `FileBundle`: the spec and the files it includes), with
/// the properties every spec keeps: it compiles to a policy or to errors, every error points
/// into a file that was read, and every diagnostic renders.
public enum SpecTarget {
    public static let mainFile = "spec.yaml"

    /// Compiles the spec, checks the properties, lints the policy when it compiles.
    @discardableResult
    public static func run(_ bytes: [UInt8]) -> SpecCompiler.Output {
        let bundle = FileBundle(bytes, main: mainFile)
        let output = SpecCompiler.compile(path: bundle.top, fileSystem: bundle)
        checkDiagnostics(output.diagnostics, sources: output.sources, readable: output.readable)
        require(output.policy != nil || output.hasErrors, "no policy and no error")
        require(output.policy == nil || !output.hasErrors, "a policy despite errors")
        if let policy = output.policy { _ = Linter.lint(policy) }
        return output
    }

    /// Every error is located on a line of a file that was read, and every diagnostic renders.
    public static func checkDiagnostics(_ diagnostics: [Diagnostic], sources: SourceFiles, readable: Bool) {
        for diagnostic in diagnostics where diagnostic.severity == .error {
            if diagnostic.code == .unreadableFile && !readable { continue }
            guard let range = diagnostic.range else {
                require(false, "\(diagnostic.code.rawValue) has no location: \(diagnostic.message)")
                return
            }
            guard let file = sources[range.file] else {
                require(false, "\(diagnostic.code.rawValue) points into '\(range.file)', which was not read: \(diagnostic.message)")
                return
            }
            require(range.start <= range.end, "\(diagnostic.code.rawValue) ends before it starts: \(range)")
            // The line a diagnostic names is a line of its file, as the renderer splits it.
            require(
                range.start.line >= 1 && file.line(range.start.line) != nil,
                "\(diagnostic.code.rawValue) at \(range), which is not a line of the file")
        }
        _ = DiagnosticRenderer(sources: sources).render(diagnostics)
    }

    /// Every target's validation and emission on `policy`, and each backend reading its own
    /// files back: errors are located, and a backend reads whatever it wrote.
    public static func emitAndRead(_ policy: Policy, sources: SourceFiles) {
        for backend in BackendRegistry.all {
            let outcome = TargetEmitter.emit(policy, with: backend)
            checkDiagnostics(outcome.diagnostics, sources: sources, readable: true)
            guard let emission = outcome.emission else {
                require(outcome.error != nil, "\(backend.target.rawValue) emitted nothing and gave no error")
                continue
            }
            do {
                _ = try backend.read(emission.files, policy: policy)
            } catch {
                require(false, "\(backend.target.rawValue) cannot read its own files: \(error)")
            }
        }
    }
}
