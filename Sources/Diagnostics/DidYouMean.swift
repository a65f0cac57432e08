/// The closest of `candidates` to `name` by edit distance, when it is close enough to be
/// worth suggesting (distance below 3, and below the length of the name).
///
/// Called once per unknown name with every name defined, so it stays cheap: names whose
/// lengths differ by three or more (at least three edits apart) are skipped before any
/// distance is computed, and a distance stops being computed once it reaches three. A long
/// name (a 1 MB key) therefore costs nothing against short candidates.
public func closestMatch(to name: String, in candidates: some Sequence<String>) -> String? {
    let target = Array(name.lowercased().unicodeScalars)
    var best: (distance: Int, name: String)?
    for candidate in candidates {
        let lowered = candidate.lowercased()
        guard abs(lowered.unicodeScalars.count - target.count) < 3 else { continue }
        let distance = editDistance(target, Array(lowered.unicodeScalars), atMost: 3)
        guard distance < 3, distance < max(target.count, 2) else { continue }
        if let current = best, (current.distance, current.name) <= (distance, candidate) { continue }
        best = (distance, candidate)
    }
    return best?.name
}

/// `did you mean 'X'?` for the closest candidate, or nil.
public func didYouMean(_ name: String, in candidates: some Sequence<String>) -> String? {
    closestMatch(to: name, in: candidates).map { "did you mean '\($0)'?" }
}

/// Levenshtein distance between two strings, as character arrays.
func editDistance(_ a: [Character], _ b: [Character]) -> Int {
    editDistance(Array(String(a).unicodeScalars), Array(String(b).unicodeScalars))
}

/// Levenshtein distance between two strings, as arrays of Unicode scalars; with `atMost`,
/// any distance from `atMost` up is returned as `atMost`, as soon as a row of the table
/// shows it (a row's smallest entry never shrinks from one row to the next).
func editDistance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar], atMost limit: Int = .max) -> Int {
    if a.isEmpty { return min(b.count, limit) }
    if b.isEmpty { return min(a.count, limit) }
    // Plain `while` loops over Ints: this runs for every candidate of every unknown name, and
    // range iteration is slow in debug builds.
    var previous = [Int](repeating: 0, count: b.count + 1)
    var current = [Int](repeating: 0, count: b.count + 1)
    var j = 0
    while j <= b.count {
        previous[j] = j
        j += 1
    }
    var i = 1
    while i <= a.count {
        current[0] = i
        var rowMinimum = i
        j = 1
        while j <= b.count {
            let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
            let value = min(previous[j] + 1, current[j - 1] + 1, substitution)
            current[j] = value
            if value < rowMinimum { rowMinimum = value }
            j += 1
        }
        if rowMinimum >= limit { return limit }
        swap(&previous, &current)
        i += 1
    }
    return min(previous[b.count], limit)
}
