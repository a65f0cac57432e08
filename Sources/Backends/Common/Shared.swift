import IR

/// A runtime control of a workload that a target does not enforce, located at the spec key
/// that asked for it (or the workload): `web: no_new_privileges needs …`.
func unenforced(_ workload: Workload, _ key: RuntimeKey, target: TargetName, _ reason: String) -> Gap {
    .runtime(target: target, workload: workload.name, key: key, reason: reason, origin: workload.runtime.origins[key] ?? workload.origin)
}

/// Items in order, cut into runs of at most `limit` whose sizes stay within `budget` (an item
/// larger than the budget gets a run of its own): how numbered templates are filled.
func chunked<Item>(_ items: [Item], limit: Int, budget: Int, size: (Item) -> Int) -> [[Item]] {
    var result: [[Item]] = []
    var current: [Item] = []
    var bytes = 0
    for item in items {
        let itemSize = size(item)
        if !current.isEmpty, current.count == limit || bytes + itemSize > budget {
            result.append(current)
            current = []
            bytes = 0
        }
        current.append(item)
        bytes += itemSize
    }
    if !current.isEmpty { result.append(current) }
    return result
}
