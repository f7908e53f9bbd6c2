//go:build !unix

package bench

import "errors"

func osexecSetsidTrue() error { return errors.ErrUnsupported }
