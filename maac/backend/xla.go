//go:build xla

package backend

// Built with -tags xla (needs cgo), collm also offers GoMLX's XLA backend, selected with
// GOMLX_BACKEND=xla:/abs/path/to/pjrt_plugin.so, e.g. the CUDA plugin that JAX's
// jax-cuda13-pjrt installs (see README, "GPU"). The plugin auto-installer is not imported: it
// downloads, and offline it exits.
import _ "github.com/gomlx/go-xla/compute/xla"
