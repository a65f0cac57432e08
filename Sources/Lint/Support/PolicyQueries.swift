import IR

// Questions about a policy that several rules ask.

/// The label a finding about a flow uses as its subject: `flow:NAME`, or `flow:#N`.
func subject(of flow: Flow) -> String { "flow:\(flow.name ?? "#\(flow.index + 1)")" }

/// Whether a set of external peers holds every IPv4 or every IPv6 address.
func isEveryAddress(_ set: ExternalSet) -> Bool { set.addresses.v4.isFull || set.addresses.v6.isFull }
