// Package maactest helps tests that train agents: it runs a trainer for a number of updates and
// returns the learning curves of chosen metrics, so the learning tests of every environment share
// one loop.
package maactest
