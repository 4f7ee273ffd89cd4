package kernel

import (
	"net"
	"slices"
	"strings"
	"testing"
)

// The server binds 127.0.0.1, fails rather than moving to another port (the printed URL must be
// the server's), and gets --allow-root only when run as root.
func TestServerArgs(t *testing.T) {
	user := ServerArgs(8890, "/nb", false)
	root := ServerArgs(8890, "/nb", true)
	for _, want := range []string{"--ip=127.0.0.1", "--port=8890", "--NotebookApp.port_retries=0", "--notebook-dir=/nb", "--no-browser"} {
		if !slices.Contains(user, want) || !slices.Contains(root, want) {
			t.Errorf("%q or %q lacks %s", user, root, want)
		}
	}
	if slices.Contains(user, "--allow-root") {
		t.Errorf("a user's server gets --allow-root: %q", user)
	}
	if !slices.Contains(root, "--allow-root") {
		t.Errorf("root's server lacks --allow-root: %q", root)
	}
	if user[0] != Python() || user[1] != "-m" || user[2] != "notebook" {
		t.Errorf("argv %q does not start with %s -m notebook", user, Python())
	}
}

func TestNotebookServer(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("JUPYTER_TOKEN", "")
	argv, env, url, err := NotebookServer(ServeOptions{Dir: dir, Port: 8899})
	if err != nil {
		t.Fatal(err)
	}
	token := strings.TrimPrefix(url, "http://127.0.0.1:8899/?token=")
	if token == url || len(token) < 32 {
		t.Errorf("URL %q, want http://127.0.0.1:8899/?token= and a random token", url)
	}
	if !slices.Contains(env, "JUPYTER_TOKEN="+token) {
		t.Error("the token is not in the server's environment")
	}
	if strings.Contains(strings.Join(argv, " "), token) {
		t.Error("the token is on the command line, where every user can read it")
	}
	if !slices.Contains(argv, "--notebook-dir="+dir) {
		t.Errorf("argv %q lacks the notebook directory", argv)
	}
	// The server sees each variable once, the token ours (an empty JUPYTER_TOKEN was set above).
	seen := map[string]bool{}
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if seen[k] {
			t.Errorf("%s is set twice in the server's environment", k)
		}
		seen[k] = true
	}
	// A token given by the user is kept.
	t.Setenv("JUPYTER_TOKEN", "mine")
	if _, _, url, _ := NotebookServer(ServeOptions{Dir: dir, Port: 8899}); url != "http://127.0.0.1:8899/?token=mine" {
		t.Errorf("URL %q ignores JUPYTER_TOKEN", url)
	}
	// Without a port, the first free one from 8888.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	taken := l.Addr().(*net.TCPAddr).Port
	if got, err := freePort(taken, 2); err != nil || got == taken {
		t.Errorf("freePort(%d) = %d, %v: want the next free port", taken, got, err)
	}
	if _, _, _, err := NotebookServer(ServeOptions{Dir: dir + "/missing"}); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("a missing directory: err = %v", err)
	}
}
