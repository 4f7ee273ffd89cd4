package main

import (
	"os"
	"testing"
)

// TestMain lets this test binary stand in for the collm executable: with COLLM_TEST_AS_CLI set
// it runs the command line in its arguments, as the workers of `collm compare` need.
func TestMain(m *testing.M) {
	if os.Getenv("COLLM_TEST_AS_CLI") != "" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}
