import Foundation

/// Standard error for the command line, which imports no Foundation.
public enum StandardStreams {
    /// Writes `text` to standard error as it is, unbuffered.
    public static func writeError(_ text: String) {
        guard !text.isEmpty else { return }
        FileHandle.standardError.write(Data(text.utf8))
    }
}
