// The virtual-kubelet peer of bench/peers.ts: tools/peers/build.ts copies this
// folder into the cache and builds it there, so go.sum is made and kept there.
module picokubelet.local/peers/virtual-kubelet

go 1.26.0

require github.com/virtual-kubelet/virtual-kubelet v1.14.1
