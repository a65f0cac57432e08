/// The closest of `candidates` to `name` by edit distance, when it is close enough to be
/// worth suggesting (distance below 3, and below the length of the name).
public func closestMatch(to name: String, in candidates: some Sequence<String>) -> String? {
    let target = Array(name.lowercased())
    var best: (distance: Int, name: String)?
    for candidate in candidates {
        let distance = editDistance(target, Array(candidate.lowercased()))
        guard distance < 3, distance < max(target.count, 2) else { continue }
        if best == nil || distance < best!.distance || (distance == best!.distance && candidate < best!.name) {
            best = (distance, candidate)
        }
    }
    return best?.name
}

/// `did you mean 'X'?` for the closest candidate, or nil.
public func didYouMean(_ name: String, in candidates: some Sequence<String>) -> String? {
    closestMatch(to: name, in: candidates).map { "did you mean '\($0)'?" }
}

/// Levenshtein distance between two strings, as character arrays.
func editDistance(_ a: [Character], _ b: [Character]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
            current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
        }
        swap(&previous, &current)
    }
    return previous[b.count]
}
