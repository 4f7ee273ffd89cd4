package kernel

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Pinned versions of the notebook stack (see ../shared/STACK.md).
const (
	GoToolchain    = "go1.27.3"
	GoNBVersion    = "v0.11.5"
	GoImportsPkg   = "golang.org/x/tools/cmd/goimports@v0.50.0"
	EChartsVersion = "5.6.0"
	// KernelName is the Jupyter kernelspec name notebooks use in their metadata.
	KernelName = "collm"
	// ModulePath is the module path of this repository.
	ModulePath = "github.com/collm/collm"
)

// KernelEnv returns the environment every collm process needs: the pinned toolchain, SIMD kernels
// of the pure-Go backend, and the CPU backend using every core without auto-installing plugins.
func KernelEnv() map[string]string {
	return map[string]string{
		"GOTOOLCHAIN":           GoToolchain,
		"GOEXPERIMENT":          "simd",
		"GOMLX_BACKEND":         "go:parallelism=-1",
		"GOMLX_NO_AUTO_INSTALL": "1",
	}
}

// CacheDir is where collm keeps downloaded and built tools (GoNB, goimports, the collm binary,
// the ECharts JS): $COLLM_CACHE, else the user cache directory + "/collm".
func CacheDir() (string, error) {
	if dir := os.Getenv("COLLM_CACHE"); dir != "" {
		return filepath.Abs(dir)
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory (%v): set COLLM_CACHE to a writable directory", err)
	}
	return filepath.Join(base, "collm"), nil
}

// BinDir is the directory of the tools collm installs; the kernel puts it first on PATH.
func BinDir() (string, error) {
	cache, err := CacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(cache, "bin"), nil
}

// EChartsPath is where `collm kernel install` stores echarts.min.js for offline charts.
func EChartsPath() (string, error) {
	cache, err := CacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(cache, "echarts", "echarts-"+EChartsVersion+".min.js"), nil
}

// JupyterDataDir is Jupyter's data directory: $JUPYTER_DATA_DIR, else ~/.local/share/jupyter.
func JupyterDataDir() (string, error) {
	if dir := os.Getenv("JUPYTER_DATA_DIR"); dir != "" {
		return filepath.Abs(dir)
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("no home directory (%v): set JUPYTER_DATA_DIR", err)
	}
	return filepath.Join(home, ".local", "share", "jupyter"), nil
}

// KernelDir is the kernelspec directory of the collm kernel.
func KernelDir() (string, error) {
	data, err := JupyterDataDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(data, "kernels", KernelName), nil
}

// FindRoot returns the collm checkout: $COLLM_ROOT when set (the kernel sets it), else the first
// directory at or above start whose go.mod declares module github.com/collm/collm.
func FindRoot(start string) (string, error) {
	if root := os.Getenv("COLLM_ROOT"); root != "" {
		if !isCollmModule(root) {
			return "", fmt.Errorf("COLLM_ROOT=%s is not a collm checkout (no go.mod with module %s)", root, ModulePath)
		}
		return filepath.Abs(root)
	}
	dir, err := filepath.Abs(start)
	if err != nil {
		return "", err
	}
	for {
		if isCollmModule(dir) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("not inside a collm checkout: run from the repository or set COLLM_ROOT")
		}
		dir = parent
	}
}

func isCollmModule(dir string) bool {
	f, err := os.Open(filepath.Join(dir, "go.mod"))
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fields := strings.Fields(sc.Text()); len(fields) == 2 && fields[0] == "module" {
			return fields[1] == ModulePath
		}
	}
	return false
}
