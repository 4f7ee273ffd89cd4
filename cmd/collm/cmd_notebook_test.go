package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/collm/collm/kernel"
)

// `make notebook` serves the notebooks on 127.0.0.1. The test takes the command the notebook
// target runs from `make -n` (with this test binary standing in for bin/collm, on a free port),
// runs it as make would, lists the notebooks through Jupyter's REST API with the token of the URL
// it printed, and stops it by killing its process group. Run as root, it checks --allow-root.
func TestMakeNotebookServes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Jupyter server")
	}
	for _, tool := range []string{"make", kernel.Python()} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not found", tool)
		}
	}
	if err := exec.Command(kernel.Python(), "-c", "import notebook").Run(); err != nil {
		msg := "Jupyter Notebook is not installed (apt-get install jupyter-notebook)"
		if os.Getenv("COLLM_REQUIRE_TOOLS") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()

	out, err := exec.Command("make", "--no-print-directory", "-n", "-C", root, "notebook",
		"COLLM="+self, fmt.Sprintf("NOTEBOOK_PORT=%d", port)).Output()
	if err != nil {
		t.Fatalf("make -n notebook: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	line := lines[len(lines)-1]
	if want := self + " notebook serve --dir notebooks --port " + fmt.Sprint(port); line != want {
		t.Fatalf("make notebook ends with %q, want %q", line, want)
	}

	cmd := exec.Command("bash", "-c", line)
	cmd.Dir = root
	tmp := t.TempDir()
	cmd.Env = append(os.Environ(), "COLLM_TEST_AS_CLI=1", "JUPYTER_TOKEN=",
		"JUPYTER_DATA_DIR="+filepath.Join(tmp, "data"), "JUPYTER_RUNTIME_DIR="+filepath.Join(tmp, "runtime"),
		"JUPYTER_CONFIG_DIR="+filepath.Join(tmp, "config"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var logMu sync.Mutex
	var log strings.Builder
	cmd.Stderr = writerFunc(func(p []byte) (int, error) {
		logMu.Lock()
		defer logMu.Unlock()
		return log.Write(p)
	})
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	stop := func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	}
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		re := regexp.MustCompile(`http://127\.0\.0\.1:\d+/\?token=\w+`)
		for sc.Scan() {
			logMu.Lock()
			log.WriteString(sc.Text() + "\n")
			logMu.Unlock()
			if u := re.FindString(sc.Text()); u != "" {
				select {
				case urls <- u:
				default:
				}
			}
		}
		io.Copy(io.Discard, stdout)
		done <- cmd.Wait()
	}()
	logText := func() string { logMu.Lock(); defer logMu.Unlock(); return log.String() }
	var url string
	select {
	case url = <-urls:
	case <-time.After(30 * time.Second):
		stop()
		t.Fatalf("no URL printed in 30 s:\n%s", logText())
	}
	if want := fmt.Sprintf("http://127.0.0.1:%d/?token=", port); !strings.HasPrefix(url, want) {
		stop()
		t.Fatalf("printed URL %s, want %s...", url, want)
	}
	token := url[strings.Index(url, "token=")+len("token="):]

	// The server takes a few seconds to listen; then the notebook list must come back.
	var names []string
	deadline := time.Now().Add(60 * time.Second)
	for {
		names, err = listNotebooks(port, token)
		if err == nil || time.Now().After(deadline) {
			break
		}
		select {
		case exit := <-done:
			t.Fatalf("the server exited (%v) before listing the notebooks:\n%s", exit, logText())
		case <-time.After(300 * time.Millisecond):
		}
	}
	// A wrong token is refused: the list is not open to everyone on the machine.
	_, wrongTokenErr := listNotebooks(port, "not-"+token)
	stop()
	if wrongTokenErr == nil {
		t.Error("the server answered a request with a wrong token")
	}
	if err != nil {
		t.Fatalf("GET /api/contents: %v\nserver log:\n%s", err, logText())
	}
	if !strings.Contains(strings.Join(names, " "), "01-quickstart.ipynb") {
		t.Errorf("the notebook list %q lacks 01-quickstart.ipynb", names)
	}
	if os.Geteuid() == 0 && strings.Contains(logText(), "Running as root is not recommended. Use --allow-root") {
		t.Errorf("Jupyter refused root:\n%s", logText())
	}
	if _, err := listNotebooks(port, token); err == nil {
		t.Error("the server still answers after its process group was killed")
	}
	t.Logf("served %v at %s", names, url)
}

// listNotebooks returns the names in the server's root directory, asking with the token.
func listNotebooks(port int, token string) ([]string, error) {
	req, err := http.NewRequest("GET", fmt.Sprintf("http://127.0.0.1:%d/api/contents", port), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "token "+token)
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %s: %.300s", resp.Status, body)
	}
	var dir struct {
		Type    string `json:"type"`
		Content []struct {
			Name string `json:"name"`
			Type string `json:"type"`
		} `json:"content"`
	}
	if err := json.Unmarshal(body, &dir); err != nil {
		return nil, fmt.Errorf("%v: %.300s", err, body)
	}
	var names []string
	for _, c := range dir.Content {
		names = append(names, c.Name)
	}
	return names, nil
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func TestNotebookServeArguments(t *testing.T) {
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"notebook", "serve", "--port", "70000"}, 2, "--port 70000 is not a TCP port"},
		{[]string{"notebook", "serve", "extra"}, 2, `unexpected arguments ["extra"]`},
		{[]string{"notebook", "serve", "--dir", "/nonexistent/notebooks"}, 1, "notebook directory /nonexistent/notebooks does not exist"},
	} {
		code, _, stderr := runEnvsCmd(tt.args...)
		if code != tt.code || !strings.Contains(stderr, tt.want) {
			t.Errorf("collm %s: exit %d, stderr %q; want exit %d and %q", strings.Join(tt.args, " "), code, stderr, tt.code, tt.want)
		}
	}
}
