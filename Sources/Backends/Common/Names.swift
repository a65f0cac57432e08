/// `[a-z]([-a-z0-9]*[a-z0-9])?` with a length in `lengths`: DNS labels (Kubernetes namespaces)
/// and the names clouds model on them (GCP service account ids).
func isDNSLabelLike(_ text: String, _ lengths: ClosedRange<Int>) -> Bool {
    guard lengths.contains(text.count), let first = text.first, first.isLowercase, first.isASCII, text.last != "-" else { return false }
    return text.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "-" }
}
