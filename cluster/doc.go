// Package cluster runs one network service as several worker processes of
// the same program on one machine: the Go shape of Node.js's cluster
// module, built on package childproc (process management) and package ipc
// (the message channel).
//
// The program calls [Run] from main. In the first process (the primary) Run
// starts [Config].Workers copies of the running executable; in each of those
// copies (a worker) Run calls Config.Worker instead. A worker gets its
// listening socket with [Worker.Listen]: the primary opens every socket once
// and hands the same socket to every worker, so the kernel spreads incoming
// connections over the workers; with Config.ReusePort each worker binds its
// own socket with SO_REUSEPORT instead, and with Config.Sticky the primary
// accepts every connection and passes it to a worker chosen by the
// client's IP.
//
//	func main() {
//		err := cluster.Run(context.Background(), &cluster.Config{
//			Worker: func(ctx context.Context, w *cluster.Worker) error {
//				ln, err := w.Listen("tcp", "127.0.0.1:8000")
//				if err != nil {
//					return err
//				}
//				return cluster.Serve(ctx, &http.Server{Handler: handler}, ln)
//			},
//		})
//		if err != nil {
//			log.Fatal(err)
//		}
//	}
//
// The primary supervises the workers:
//
//   - A worker counts as up once it is ready (its first [Listen], or
//     [Worker.Ready] with Config.ManualReady), not when its process exists.
//   - A worker that exits without being asked to is replaced after a delay
//     that doubles with each recent death; a slot whose workers die
//     Config.CrashLimit times within Config.CrashWindow is given up
//     ([EventCrashLoop], and a "slot given up" record on Config.Logger).
//   - The primary pings every worker over IPC; one that does not answer
//     within Config.HeartbeatTimeout is killed with SIGKILL and replaced.
//   - [Primary.Reload] (and SIGUSR2 under Run) replaces the workers one at a
//     time without refusing a connection: start the replacement, wait until
//     it is ready, then ask the old worker to stop accepting and drain.
//     Workers are started from the executable's path each time, so a new
//     binary installed at that path is picked up (hot upgrade).
//   - SIGTERM, SIGINT or the end of the context drains every worker (at
//     most Config.ShutdownTimeout, then SIGKILL) and Run returns nil.
//
// [Run] and [Start] take the [Config] by pointer and follow the rule of
// every spawnkit package: nil means all defaults (Run needs Config.Worker,
// though), the Config is copied (its slices included) and never modified
// or kept, so changing it afterwards changes nothing; a zero duration or
// limit is the documented default, a negative one turns that limit off
// (each field says what that means), and a negative Workers is an error.
//
// Messages flow both ways: [Primary.Send] and [Primary.Broadcast] reach
// [Worker.Messages]; [Worker.Send] reaches [Primary.Events] as [EventMessage].
//
// The package scales a service over the cores of one machine. It is not a
// distributed system: see README.md for running several machines behind a
// load balancer, for systemd socket activation (the primary adopts the
// sockets in LISTEN_FDS), and for sharing state between workers.
package cluster
