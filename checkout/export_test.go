package checkout

// IsBackground reports whether a store or cluster call was made for the
// gateway's own work rather than for a request.
var IsBackground = isBackground
