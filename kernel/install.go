package kernel

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/collm/collm/maac/atomicfile"
)

// Debian packages of the notebook side and of the browser tests.
var (
	JupyterPackages   = []string{"jupyter-nbconvert", "jupyter-client", "python3-nbclient", "python3-ipykernel", "jupyter-notebook"}
	TestToolPackages  = []string{"chromium", "chromium-driver", "python3-selenium", "python3-pil"}
	jupyterPyModules  = []string{"nbclient", "nbformat", "nbconvert", "jupyter_client", "ipykernel"}
	testToolPyModules = []string{"selenium", "PIL"}
)

// InstallOptions configures Install and Check.
type InstallOptions struct {
	// Root is the collm checkout notebooks are wired to. Default: FindRoot(".").
	Root string
	// TestTools also installs headless Chromium, chromedriver, Selenium and Pillow, which the
	// browser tests use. Default false.
	TestTools bool
	// Force redoes every step even when it looks done.
	Force bool
	// Log receives one line per step. Default: io.Discard.
	Log io.Writer
}

func (o *InstallOptions) defaults() error {
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.Root == "" {
		root, err := FindRoot(".")
		if err != nil {
			return err
		}
		o.Root = root
	}
	return nil
}

// Component is one piece of the notebook set-up as Check sees it.
type Component struct {
	Name   string
	OK     bool
	Detail string // version or path when OK, what is wrong otherwise
	Fix    string // the command that installs it, when not OK
}

// Python returns the interpreter with Debian's Jupyter packages: $COLLM_PYTHON, else
// /usr/bin/python3 when present (a pyenv or venv python3 first on PATH lacks them), else python3.
func Python() string {
	if p := os.Getenv("COLLM_PYTHON"); p != "" {
		return p
	}
	if _, err := os.Stat("/usr/bin/python3"); err == nil {
		return "/usr/bin/python3"
	}
	return "python3"
}

// Check reports what is installed and what is missing, without changing anything.
func Check(opts InstallOptions) ([]Component, error) {
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	installCmd := "collm kernel install"
	comps := []Component{
		checkGo(),
		checkPyModules("jupyter", jupyterPyModules, JupyterPackages),
		checkTool("gonb", filepath.Join(bin, "gonb"), GoNBVersion, installCmd),
		checkTool("goimports", filepath.Join(bin, "goimports"), "", installCmd),
		checkTool("collm", filepath.Join(bin, "collm"), "", installCmd),
		checkECharts(),
		checkKernelSpec(opts.Root),
		checkBuildCache(opts.Root),
	}
	if opts.TestTools {
		comps = append(comps,
			checkPyModules("selenium+pillow", testToolPyModules, TestToolPackages),
			checkTool("chromium", "chromium", "", aptCommand(TestToolPackages)),
			checkTool("chromedriver", "chromedriver", "", aptCommand(TestToolPackages)))
	}
	return comps, nil
}

// Install sets up everything a notebook needs; every step is skipped when already done, so it is
// safe to re-run and never breaks a working install. Its last step compiles the packages the
// notebooks import into the Go build cache as GoNB compiles a cell (Prebuild), so that the first
// cell of a fresh install does not spend half a minute or more compiling GoMLX.
func Install(opts InstallOptions) error {
	if err := opts.defaults(); err != nil {
		return err
	}
	bin, err := BinDir()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return fmt.Errorf("cannot create %s (%v): set COLLM_CACHE to a writable directory", bin, err)
	}
	step := func(c Component, install func() error) error {
		if c.OK && !opts.Force {
			fmt.Fprintf(opts.Log, "ok       %-15s %s\n", c.Name, c.Detail)
			return nil
		}
		fmt.Fprintf(opts.Log, "install  %-15s\n", c.Name)
		if err := install(); err != nil {
			return fmt.Errorf("%s: %w", c.Name, err)
		}
		return nil
	}
	if c := checkGo(); !c.OK {
		return fmt.Errorf("go toolchain: %s", c.Detail)
	}
	if err := step(checkPyModules("jupyter", jupyterPyModules, JupyterPackages), func() error {
		return aptInstall(opts.Log, JupyterPackages)
	}); err != nil {
		return err
	}
	if opts.TestTools {
		if err := step(testToolsComponent(), func() error { return aptInstall(opts.Log, TestToolPackages) }); err != nil {
			return err
		}
	}
	if err := step(checkTool("gonb", filepath.Join(bin, "gonb"), GoNBVersion, ""), func() error {
		return installGoNB(opts.Log, bin)
	}); err != nil {
		return err
	}
	if err := step(checkTool("goimports", filepath.Join(bin, "goimports"), "", ""), func() error {
		return goInstall(opts.Log, bin, "", GoImportsPkg)
	}); err != nil {
		return err
	}
	// The running binary is always copied: a rebuilt collm must replace the cached one.
	if err := installSelf(bin); err != nil {
		return fmt.Errorf("collm binary: %w", err)
	}
	fmt.Fprintf(opts.Log, "ok       %-15s %s\n", "collm", filepath.Join(bin, "collm"))
	if err := step(checkECharts(), func() error { return fetchECharts(opts.Log) }); err != nil {
		return err
	}
	// The kernelspec is rewritten every time: cheap, and it follows a moved checkout.
	path, err := writeKernelSpec(opts.Root, bin)
	if err != nil {
		return fmt.Errorf("kernelspec: %w", err)
	}
	fmt.Fprintf(opts.Log, "ok       %-15s %s\n", "kernelspec", path)
	web, err := installEChartsWeb()
	if err != nil {
		return fmt.Errorf("kernelspec: %w", err)
	}
	fmt.Fprintf(opts.Log, "ok       %-15s %s\n", "echarts (web)", web)
	// Last, with the kernelspec's environment in place: compile what a notebook's first cell
	// compiles, unless the build cache already holds all of it (collm's own changed packages
	// included, which the check only notes).
	state, err := CheckCache(opts.Root)
	cache := cacheComponent(state, err)
	if err == nil && state.Warm() && len(state.Changed) == 0 && !opts.Force {
		fmt.Fprintf(opts.Log, "ok       %-15s %s\n", cache.Name, cache.Detail)
		return nil
	}
	fmt.Fprintf(opts.Log, "install  %-15s compiling the notebooks' packages as GoNB compiles a cell\n", cache.Name)
	start := time.Now()
	if err := Prebuild(opts.Root); err != nil {
		return fmt.Errorf("%s: %w", cache.Name, err)
	}
	fmt.Fprintf(opts.Log, "ok       %-15s compiled in %.0f s\n", cache.Name, time.Since(start).Seconds())
	return nil
}

// EChartsWebFile is the name of the copy of the ECharts library in the kernelspec directory.
// Jupyter serves a kernelspec's files (classic Notebook, JupyterLab and Notebook 7 alike), so a
// page reaches it at <base_url>kernelspecs/collm/EChartsWebFile: chart outputs load it from there
// when the page lacks the library that the first chart cell of a kernel session carries.
const EChartsWebFile = "echarts-" + EChartsVersion + ".min.js"

// installEChartsWeb copies the cached ECharts library into the kernelspec directory, unless the
// same bytes are already there, and returns the copy's path.
func installEChartsWeb() (string, error) {
	src, err := EChartsPath()
	if err != nil {
		return "", err
	}
	dir, err := KernelDir()
	if err != nil {
		return "", err
	}
	js, err := os.ReadFile(src)
	if err != nil {
		return "", fmt.Errorf("the ECharts library for the notebook pages: %w", err)
	}
	dst := filepath.Join(dir, EChartsWebFile)
	if have, err := os.ReadFile(dst); err == nil && bytes.Equal(have, js) {
		return dst, nil
	}
	if err := atomicfile.WriteFile(dst, js, 0o644); err != nil {
		return "", fmt.Errorf("cannot write %s (%v): set JUPYTER_DATA_DIR to a writable directory", dst, err)
	}
	return dst, nil
}

func testToolsComponent() Component {
	c := checkPyModules("test tools", testToolPyModules, TestToolPackages)
	for _, tool := range []string{"chromium", "chromedriver"} {
		if _, err := exec.LookPath(tool); err != nil {
			c.OK, c.Detail = false, tool+" not found"
		}
	}
	return c
}

// goEnv is the environment of the go commands collm runs.
func goEnv() []string {
	env := os.Environ()
	for k, v := range KernelEnv() {
		env = append(env, k+"="+v)
	}
	return env
}

func checkGo() Component {
	c := Component{Name: "go", Fix: "install Go (https://go.dev/dl) and put it on PATH"}
	out, err := command("go", "version").Output()
	switch {
	case err != nil:
		c.Detail = "go not found or failed: " + errText(err)
	case !strings.Contains(string(out), GoToolchain):
		c.Detail = fmt.Sprintf("go reports %q, want %s (is the Go module proxy reachable?)", strings.TrimSpace(string(out)), GoToolchain)
	default:
		c.OK, c.Detail = true, strings.TrimSpace(string(out))
	}
	return c
}

func checkPyModules(name string, modules, packages []string) Component {
	c := Component{Name: name, Fix: aptCommand(packages)}
	script := "import importlib, sys\nmissing = [m for m in sys.argv[1:] if importlib.util.find_spec(m) is None]\nprint(' '.join(missing))"
	out, err := exec.Command(Python(), append([]string{"-c", "import importlib.util\n" + script}, modules...)...).Output()
	switch {
	case err != nil:
		c.Detail = fmt.Sprintf("%s failed: %s", Python(), errText(err))
	case strings.TrimSpace(string(out)) != "":
		c.Detail = fmt.Sprintf("missing Python modules in %s: %s", Python(), strings.TrimSpace(string(out)))
	default:
		c.OK, c.Detail = true, Python()
	}
	return c
}

// checkTool checks that an executable exists and, when version is set, that `TOOL -V` prints it.
func checkTool(name, path, version, fix string) Component {
	c := Component{Name: name, Fix: fix}
	full, err := exec.LookPath(path)
	if err != nil {
		c.Detail = "not found: " + path
		return c
	}
	if version != "" {
		out, err := exec.Command(full, "-V").Output()
		if err != nil || strings.TrimSpace(string(out)) != version {
			c.Detail = fmt.Sprintf("%s -V reports %q, want %s", full, strings.TrimSpace(string(out)), version)
			return c
		}
	}
	c.OK, c.Detail = true, full
	return c
}

func checkECharts() Component {
	c := Component{Name: "echarts", Fix: "collm kernel install (needs npm: apt-get install -y npm)"}
	path, err := EChartsPath()
	if err != nil {
		c.Detail = err.Error()
		return c
	}
	info, err := os.Stat(path)
	if err != nil || info.Size() < 100_000 {
		c.Detail = "missing: " + path
		return c
	}
	c.OK, c.Detail = true, path
	return c
}

func checkKernelSpec(root string) Component {
	c := Component{Name: "kernelspec", Fix: "collm kernel install"}
	dir, err := KernelDir()
	if err != nil {
		c.Detail = err.Error()
		return c
	}
	spec, err := readKernelSpec(filepath.Join(dir, "kernel.json"))
	switch {
	case err != nil:
		c.Detail = err.Error()
	case spec.Env["COLLM_ROOT"] != root:
		c.Detail = fmt.Sprintf("points to checkout %q, not %q", spec.Env["COLLM_ROOT"], root)
	default:
		if _, err := os.Stat(spec.Argv[0]); err != nil {
			c.Detail = "kernel binary missing: " + spec.Argv[0]
			return c
		}
		if info, err := os.Stat(filepath.Join(dir, EChartsWebFile)); err != nil || info.Size() < 100_000 {
			c.Detail = "the ECharts copy that notebook pages load is missing: " + filepath.Join(dir, EChartsWebFile)
			return c
		}
		c.OK, c.Detail = true, filepath.Join(dir, "kernel.json")
	}
	return c
}

func aptCommand(packages []string) string {
	return "apt-get install -y --no-install-recommends " + strings.Join(packages, " ")
}

func aptInstall(log io.Writer, packages []string) error {
	if _, err := exec.LookPath("apt-get"); err != nil || os.Geteuid() != 0 {
		return fmt.Errorf("missing Debian packages; run as root: %s", aptCommand(packages))
	}
	run := func(args ...string) error {
		cmd := exec.Command("apt-get", args...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("apt-get %s: %v\n%s", strings.Join(args, " "), err, tail(out.String(), 2000))
		}
		return nil
	}
	fmt.Fprintf(log, "         %s\n", aptCommand(packages))
	if err := run("update", "-qq"); err != nil {
		return err
	}
	return run(append([]string{"install", "-y", "-qq", "--no-install-recommends"}, packages...)...)
}

// installGoNB builds GoNB in a throw-away module: `go install MODULE@VERSION` is refused by the
// module proxy for GoNB (it asks for the version list), `go get` of an exact version is not.
func installGoNB(log io.Writer, bin string) error {
	tmp, err := os.MkdirTemp("", "collm-gonb-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	for _, args := range [][]string{
		{"mod", "init", "collm-gonb-install"},
		{"get", "github.com/janpfeifer/gonb@" + GoNBVersion},
	} {
		if err := runGo(log, tmp, "", args...); err != nil {
			return err
		}
	}
	return goInstall(log, bin, tmp, "github.com/janpfeifer/gonb")
}

func goInstall(log io.Writer, bin, dir, pkg string) error {
	return runGo(log, dir, bin, "install", pkg)
}

func runGo(log io.Writer, dir, gobin string, args ...string) error {
	cmd := command("go", args...)
	cmd.Dir = dir
	if gobin != "" {
		cmd.Env = append(cmd.Env, "GOBIN="+gobin)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, tail(string(out), 2000))
	}
	return nil
}

// command returns an exec.Cmd for a go-toolchain command with the kernel environment.
func command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Env = goEnv()
	return cmd
}

func installSelf(bin string) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	dst := filepath.Join(bin, "collm")
	if same, _ := filepath.EvalSymlinks(self); same == dst {
		return nil
	}
	data, err := os.ReadFile(self)
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(dst, data, 0o755)
}

// fetchECharts downloads the ECharts package from the npm registry and keeps dist/echarts.min.js.
func fetchECharts(log io.Writer) error {
	dst, err := EChartsPath()
	if err != nil {
		return err
	}
	if _, err := exec.LookPath("npm"); err != nil {
		return errors.New("npm not found: install Node.js and npm (apt-get install -y npm), then re-run")
	}
	tmp, err := os.MkdirTemp("", "collm-echarts-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	cmd := exec.Command("npm", "pack", "--silent", "echarts@"+EChartsVersion)
	cmd.Dir = tmp
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("npm pack echarts@%s: %v\n%s", EChartsVersion, err, tail(string(out), 2000))
	}
	tgz := filepath.Join(tmp, "echarts-"+EChartsVersion+".tgz")
	js, err := extractFromTgz(tgz, "package/dist/echarts.min.js")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	fmt.Fprintf(log, "         echarts.min.js %d bytes -> %s\n", len(js), dst)
	return atomicfile.WriteFile(dst, js, 0o644)
}

func extractFromTgz(path, name string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil, fmt.Errorf("%s has no %s", path, name)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if h.Name == name {
			return io.ReadAll(io.LimitReader(tr, 64<<20))
		}
	}
}

// kernelSpec is Jupyter's kernel.json.
type kernelSpec struct {
	Argv          []string          `json:"argv"`
	DisplayName   string            `json:"display_name"`
	Language      string            `json:"language"`
	InterruptMode string            `json:"interrupt_mode"`
	Env           map[string]string `json:"env"`
}

func readKernelSpec(path string) (*kernelSpec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("no kernelspec: %v", err)
	}
	var spec kernelSpec
	if err := json.Unmarshal(data, &spec); err != nil || len(spec.Argv) == 0 {
		return nil, fmt.Errorf("corrupt kernelspec %s: %v", path, err)
	}
	return &spec, nil
}

func writeKernelSpec(root, bin string) (string, error) {
	dir, err := KernelDir()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("cannot write the kernelspec (%v): set JUPYTER_DATA_DIR to a writable directory", err)
	}
	goPath, err := exec.LookPath("go")
	if err != nil {
		return "", errors.New("go not found on PATH")
	}
	cache, err := CacheDir()
	if err != nil {
		return "", err
	}
	env := KernelEnv()
	env["COLLM_ROOT"] = root
	env["COLLM_CACHE"] = cache
	// Jupyter does not expand variables in kernel.json: PATH is fixed at install time.
	env["PATH"] = strings.Join([]string{bin, filepath.Dir(goPath), os.Getenv("PATH")}, string(os.PathListSeparator))
	spec := kernelSpec{
		Argv:          []string{filepath.Join(bin, "gonb"), "--kernel", "{connection_file}"},
		DisplayName:   "Go (collm)",
		Language:      "go",
		InterruptMode: "message",
		Env:           env,
	}
	data, err := json.MarshalIndent(spec, "", "  ")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "kernel.json")
	if err := atomicfile.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return "", fmt.Errorf("cannot write %s (%v): set JUPYTER_DATA_DIR to a writable directory", path, err)
	}
	return path, nil
}

func errText(err error) string {
	var exit *exec.ExitError
	if errors.As(err, &exit) && len(exit.Stderr) > 0 {
		return strings.TrimSpace(tail(string(exit.Stderr), 500))
	}
	return err.Error()
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// PrebuildPackages are the packages `collm kernel install` compiles into the Go build cache the
// way GoNB compiles a notebook cell: every package the tutorials import, so that the first cell
// of a fresh install finds GoMLX, the standard library (built with GOEXPERIMENT=simd) and collm
// compiled.
var PrebuildPackages = []string{
	ModulePath + "/envs",
	ModulePath + "/envs/all",
	ModulePath + "/envs/envtest",
	ModulePath + "/envs/reward",
	ModulePath + "/kernel",
	ModulePath + "/maac",
	ModulePath + "/maac/backend",
	ModulePath + "/maac/lm",
	ModulePath + "/maac/tokenizer",
	ModulePath + "/widgets",
	"github.com/gomlx/gomlx/ml/model",
	"github.com/janpfeifer/gonb/gonbui",
}

// prebuildModule is a throw-away copy of the module GoNB compiles a cell in: GoNB (v0.11.5,
// internal/goexec) runs `go mod init gonb_<id>` in $TMPDIR/gonb_<id>, the notebook's first cell
// `!*collm kernel wire` (Wire) points it at the checkout, and each cell becomes a main.go whose
// main starts with flag.Parse(). GoNB then runs goimports, `go get` and `go build -o
// gonb_<id>/gonb_<id>` there, with the kernel's environment (Jupyter's own plus kernel.json's
// "env") and no other flags. The packages' action IDs depend on that environment, the toolchain,
// the build flags and the directories of the packages (the checkout through the replace, the
// module cache), not on the main module: building the same imports here fills the cache entries
// the first cell looks up.
type prebuildModule struct {
	dir, name string
	env       []string
}

func newPrebuildModule(root string) (*prebuildModule, error) {
	dir, err := os.MkdirTemp("", "gonb_collm_prebuild_")
	if err != nil {
		return nil, err
	}
	m := &prebuildModule{dir: dir, name: filepath.Base(dir), env: kernelEnviron(root)}
	if err := m.run(nil, "go", "mod", "init", m.name); err != nil {
		m.remove()
		return nil, err
	}
	if err := Wire(dir, root); err != nil {
		m.remove()
		return nil, err
	}
	var src strings.Builder
	src.WriteString("// A notebook cell importing every package the collm tutorials use, compiled as GoNB compiles a cell.\npackage main\n\nimport (\n\t\"flag\"\n\n")
	for _, pkg := range PrebuildPackages {
		fmt.Fprintf(&src, "\t_ %q\n", pkg)
	}
	src.WriteString(")\n\nfunc main() {\n\tflag.Parse()\n}\n")
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src.String()), 0o644); err != nil {
		m.remove()
		return nil, err
	}
	// GoNB's `go get` before each build: it completes go.mod (the go line) without changing the
	// versions Wire pinned.
	if err := m.run(nil, "go", "get"); err != nil {
		m.remove()
		return nil, err
	}
	return m, nil
}

func (m *prebuildModule) remove() { os.RemoveAll(m.dir) }

// run runs a command in the module with the kernel's environment; stdout goes to out when set.
func (m *prebuildModule) run(out io.Writer, name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Env = m.dir, m.env
	var buf bytes.Buffer
	cmd.Stderr = &buf
	if out != nil {
		cmd.Stdout = out
	} else {
		cmd.Stdout = &buf
	}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %v\n%s", name, strings.Join(args, " "), err, tail(buf.String(), 2000))
	}
	return nil
}

// kernelEnviron is the environment GoNB compiles cells in: this process's environment (Jupyter's,
// when started by `make notebook` or `collm notebook serve`) with the kernelspec's "env" on top,
// as Jupyter starts the kernel. Without an installed kernelspec it is KernelEnv's plus COLLM_ROOT.
func kernelEnviron(root string) []string {
	env := goEnv()
	if dir, err := KernelDir(); err == nil {
		if spec, err := readKernelSpec(filepath.Join(dir, "kernel.json")); err == nil {
			for k, v := range spec.Env {
				env = append(env, k+"="+v)
			}
			return env
		}
	}
	return append(env, "COLLM_ROOT="+root)
}

// Prebuild compiles PrebuildPackages into the Go build cache as GoNB will compile the first cell
// of a notebook (see prebuildModule), so that cell spends seconds compiling rather than a minute.
func Prebuild(root string) error {
	m, err := newPrebuildModule(root)
	if err != nil {
		return err
	}
	defer m.remove()
	return m.run(nil, "go", "build", "-o", filepath.Join(m.dir, m.name))
}

// CacheState says how much of a notebook's first compilation the Go build cache already holds.
type CacheState struct {
	Packages int      // packages the tutorials' imports need (the standard library included)
	Cold     []string // of those, the ones outside the checkout that the first cell would compile
	Changed  []string // collm packages changed since they were compiled: the first cell recompiles them
}

// Warm reports whether everything outside the checkout is compiled: what takes the time.
func (s CacheState) Warm() bool { return len(s.Cold) == 0 }

// CheckCache asks the go command, in the module a notebook compiles in and with the kernel's
// environment, which packages the first cell would have to compile (`go list -deps` staleness:
// a package is stale when the build cache has no result for its action ID).
func CheckCache(root string) (CacheState, error) {
	m, err := newPrebuildModule(root)
	if err != nil {
		return CacheState{}, err
	}
	defer m.remove()
	var out bytes.Buffer
	if err := m.run(&out, "go", "list", "-deps", "-f", `{{if ne .Name "main"}}{{.ImportPath}} {{.Stale}}{{end}}`, "."); err != nil {
		return CacheState{}, err
	}
	var s CacheState
	for _, line := range strings.Split(out.String(), "\n") {
		pkg, stale, ok := strings.Cut(strings.TrimSpace(line), " ")
		if !ok {
			continue
		}
		s.Packages++
		switch {
		case stale != "true":
		case pkg == ModulePath || strings.HasPrefix(pkg, ModulePath+"/"):
			s.Changed = append(s.Changed, pkg)
		default:
			s.Cold = append(s.Cold, pkg)
		}
	}
	if s.Packages == 0 {
		return s, errors.New("go list -deps listed no package")
	}
	return s, nil
}

func checkBuildCache(root string) Component { return cacheComponent(CheckCache(root)) }

// cacheComponent is the check's line for the build cache: OK when everything outside the checkout
// is compiled (collm's own changed packages cost the first cell seconds, and are only noted).
func cacheComponent(s CacheState, err error) Component {
	c := Component{Name: "go build cache", Fix: "collm kernel install (compiles the notebooks' packages once, about a minute)"}
	switch {
	case err != nil:
		c.Detail = "cannot tell: " + strings.ReplaceAll(err.Error(), "\n", " ")
	case !s.Warm():
		c.Detail = fmt.Sprintf("cold: a notebook's first cell would compile %d of the %d packages it imports (%s, ...), half a minute or more",
			len(s.Cold)+len(s.Changed), s.Packages, s.Cold[0])
	default:
		c.OK, c.Detail = true, fmt.Sprintf("warm: the %d packages the notebooks import are compiled", s.Packages)
		if len(s.Changed) > 0 {
			// Editing collm makes its packages stale: the first cell compiles them again, in
			// seconds, and `collm kernel install` does it now. Not a missing component.
			c.Detail = fmt.Sprintf("warm: %d of the %d packages the notebooks import are compiled; %d of collm's are not (changed since: the first cell compiles them in seconds, or re-run install)",
				s.Packages-len(s.Changed), s.Packages, len(s.Changed))
		}
	}
	return c
}
