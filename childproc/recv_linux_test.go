package childproc_test

import (
	"context"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/spawnkit/spawnkit/childproc"
	"github.com/spawnkit/spawnkit/internal/testkit"
	"github.com/spawnkit/spawnkit/ipc"
)

func init() {
	// never-reads MODE never reads its channel (fd 3). Once the parent's
	// write has begun (data waits in the socket), it sends, raw:
	//   handle: one NODE_HANDLE envelope with a descriptor, which the
	//     parent must acknowledge;
	//   flood: NODE_HANDLE envelopes without a descriptor, each of which
	//     the parent must answer with a NACK, far more than 64 KiB of
	//     answers.
	// Then it waits to be killed.
	testkit.RegisterHelper("never-reads", func(args []string) int {
		for {
			n, err := unix.IoctlGetInt(ipc.ChildFD, unix.SIOCINQ)
			if err != nil {
				return 1
			}
			if n > 0 {
				break
			}
			time.Sleep(time.Millisecond)
		}
		switch args[0] {
		case "handle":
			msg := []byte(`{"cmd":"NODE_HANDLE","type":"net.Native","msg":"h"}` + "\n")
			if err := syscall.Sendmsg(ipc.ChildFD, msg, syscall.UnixRights(0), nil, 0); err != nil {
				return 1
			}
		case "flood":
			line := `{"cmd":"NODE_HANDLE","type":"net.Native","msg":"lost"}` + "\n"
			os.NewFile(ipc.ChildFD, "ipc").WriteString(strings.Repeat(line, 20_000))
		}
		time.Sleep(time.Hour)
		return 0
	})
}

// TestRecvCtxBoundsAnswerToChildThatNeverReads: Recv's ctx bounds the
// whole call, also the answers it owes the child (NODE_HANDLE_ACK and
// NACK) when the child reads nothing and the parent's socket to it is
// full (a Send of 8 MiB is blocked in its write the whole time).
func TestRecvCtxBoundsAnswerToChildThatNeverReads(t *testing.T) {
	for _, mode := range []string{"handle", "flood"} {
		t.Run(mode, func(t *testing.T) {
			p, err := childproc.Spawn(context.Background(), testkit.Executable(t), []string{mode}, &childproc.Options{
				IPCRecv:  true,
				ExtraEnv: []string{testkit.HelperEnvFor(t, "never-reads")},
				Stdin:    childproc.Ignore, Stdout: childproc.Ignore, Stderr: childproc.Inherit,
			})
			require.NoError(t, err)
			sent := make(chan error, 1)
			go func() { sent <- p.Send(ipc.Message(strconv.Quote(strings.Repeat("x", 8<<20)))) }()

			recv := func(d time.Duration) (ipc.Message, error) {
				t.Helper()
				type result struct {
					m   ipc.Message
					err error
				}
				ctx, cancel := context.WithTimeout(context.Background(), d)
				defer cancel()
				done := make(chan result, 1)
				go func() {
					m, err := p.Recv(ctx)
					done <- result{m, err}
				}()
				select {
				case r := <-done:
					return r.m, r.err
				case <-time.After(d + 30*time.Second):
					p.Kill()
					<-done
					t.Fatalf("Recv still blocked 30 s after its ctx ended")
					return nil, nil
				}
			}
			if mode == "handle" {
				m, err := recv(30 * time.Second)
				require.NoError(t, err)
				assert.Equal(t, `"h"`, m.String())
			}
			_, err = recv(300 * time.Millisecond)
			require.ErrorIs(t, err, context.DeadlineExceeded)
			select {
			case err := <-sent:
				t.Fatalf("the Send of 8 MiB to a child that never reads returned %v", err)
			default:
			}

			require.NoError(t, p.Kill())
			require.ErrorIs(t, <-sent, childproc.ErrDisconnected)
			var ee *childproc.ExitError
			require.ErrorAs(t, p.Wait(), &ee)
			assert.Equal(t, syscall.SIGKILL, ee.Signal)
			go func() {
				for {
					if _, err := p.Recv(context.Background()); err != nil {
						return
					}
				}
			}()
			collect(t, p)
		})
	}
}
