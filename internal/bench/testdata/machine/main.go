// Command machine prints bench.Machine(), the header of a comparison run;
// TestSourceStateStamped builds it with -buildvcs=true.
package main

import (
	"fmt"

	"github.com/spawnkit/spawnkit/internal/bench"
)

func main() { fmt.Println(bench.Machine()) }
