package load_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/spawnkit/spawnkit/internal/load"
)

func ExampleRun() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "hello")
	}))
	defer srv.Close()
	res, err := load.Run(context.Background(), load.Config{URL: srv.URL, Requests: 50, Concurrency: 5})
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Requests, res.OK, res.Failed)
	// Output: 50 50 0
}
