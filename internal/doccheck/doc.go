// Package doccheck holds the tests that keep the documentation true: every
// Go identifier docs/NODE.md names exists, and every Node.js child_process
// and cluster name it must map is there; every [Name] doc link of the
// public packages names a declaration that exists; and every test the
// README and docs/ cite for a promise (pkg.TestX) exists. It has no code of
// its own.
package doccheck
