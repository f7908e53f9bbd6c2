// Package ipc implements a message channel between processes that is
// wire-compatible with the channel Node.js v20 opens for
// child_process.fork() (and for stdio 'ipc') in its default 'json'
// serialization mode.
//
// # Wire format
//
// The channel is a Unix-domain stream socket (one end of a socketpair).
// Each message is one JSON value followed by a single '\n' byte; this is
// exactly what Node writes (JSON.stringify(message) + '\n', see
// lib/internal/child_process/serialization.js) and what it parses (split on
// '\n', JSON.parse each complete line). Node tells a child which descriptor
// carries the channel with the environment variables NODE_CHANNEL_FD and
// NODE_CHANNEL_SERIALIZATION_MODE; [FromParent] reads them.
//
// Messages are kept as raw JSON ([Message]) until the caller decodes them:
// framing never parses values into Go types, and sending a [Message] or a
// json.RawMessage writes its bytes unchanged.
//
// # Node's internal messages
//
// Node reserves messages that are JSON objects whose "cmd" member is a
// string longer than five characters starting with "NODE_" (isInternal in
// lib/internal/child_process.js). They are never returned by
// [Channel.Recv]. Of those, the channel implements Node's handle protocol
// as Node does it:
//
//   - NODE_HANDLE: the envelope Node uses to pass a handle (a descriptor sent
//     with SCM_RIGHTS) next to a message {"cmd":"NODE_HANDLE","type":...,
//     "msg":...}. The inner "msg" is delivered as the user message, together
//     with the descriptor (see [Channel.RecvFile]). The channel answers
//     NODE_HANDLE_ACK (or NODE_HANDLE_NACK when no descriptor arrived), and
//     the answer is written before RecvFile returns, as Node writes it
//     before it emits 'message': a receiver that exits or closes right
//     after receiving never leaves a Node sender waiting.
//   - NODE_HANDLE_ACK and NODE_HANDLE_NACK: the sender's side. One handle is
//     in flight at a time; every later message waits until it is
//     acknowledged and then goes out in order; a NACK sends the message and
//     its handle again (three times at most, Node's
//     MAX_HANDLE_RETRANSMISSIONS). See [Channel.SendFile].
//   - NODE_SOCKET_GET_COUNT and NODE_SOCKET_NOTIFY_CLOSE: what a Node
//     net.Server asks about the connections it accepted and passed here
//     (server.getConnections(), server.close()). The channel answers
//     NODE_SOCKET_COUNT and NODE_SOCKET_ALL_CLOSED as
//     lib/internal/socket_list.js does, counting the sockets received with
//     that server's key that this process still has open (any descriptor
//     of them, the returned file or a duplicate); NODE_SOCKET_ALL_CLOSED is
//     sent once the last of them is closed, checked every 20 ms.
//
// Every other internal message (cluster's NODE_CLUSTER, for instance) is
// skipped.
//
// The answers are written by the receiving side while it receives, never
// by making Recv wait on the socket (Node's receiver, too, queues its
// answer and reads on). An answer is written before Recv returns when the
// socket has room and no other write is under way; otherwise it waits and
// a goroutine writes it right after the write under way, while Recv goes
// on. Close writes the answers still owed before it closes the socket
// (within its 2 s). While 64 KiB of answers wait because the peer does not
// read, Recv reads nothing more (until the peer reads, the read deadline,
// or Close), so a peer flooding requests costs no memory, and a receive
// bounded by a deadline (childproc's Process.Recv(ctx)) returns on time.
// The acknowledgements of handles this side sent are read by Recv as well:
// a program that sends handles must keep receiving (childproc does).
//
// Two Go peers that send each other handles never deadlock on those
// answers, full sockets or not, as long as both keep receiving: a sender
// writes nothing after a handle but answers until the handle's
// acknowledgement comes back, so the receiver that reads the handle never
// finds the socket it answers on full of messages the other side is
// waiting to read (TestSendFileBothWaysWithFullSockets).
//
// What is not supported of Node's protocol: the "advanced" (V8)
// serialization; NODE_CLUSTER messages (package cluster has its own
// protocol); keeping the server's connection count when a Go program sends
// sockets (a Go sender has no net.Server: SendFile never adds a "key", so
// no NODE_SOCKET_* requests are sent); and the Windows handle types.
//
// # Disconnecting
//
// Node has no disconnect message: process.disconnect() and
// subprocess.disconnect() close the socket, and the other side emits
// 'disconnect' when it reads end-of-file. Likewise [Channel.Close] closes the
// socket, and [Channel.Recv] returns io.EOF when the peer has closed its end.
//
// # Differences from Node
//
// Nesting has no limit, as with Node's JSON.parse (validation costs one bit
// of memory per level); encoding/json, and so [Message.Decode], refuses
// values nested deeper than 10,000 levels, which can still be received and
// forwarded raw.
//
// A line that is not valid JSON makes Node throw from inside its read
// callback, which kills the process. This package instead returns a
// *[SyntaxError] for that line (naming its offset in the stream) and keeps the
// channel usable: the next Recv returns the next line. Empty and
// whitespace-only lines, on which Node's JSON.parse would throw as well, are
// skipped. A line longer than the size limit ([Options].MaxMessageSize) is
// [ErrTooLarge] and closes the channel; Node has no limit, and here a
// negative limit is an error rather than "no limit".
//
// [New] takes its [Options] by pointer as every spawnkit package does: nil
// means all defaults, the Options are copied and never modified or kept,
// a zero field is its default and a negative one is an error naming it.
//
// # References
//
// Line numbers are those of Node.js v20.20.2's built-in sources:
// lib/internal/child_process/serialization.js:136-167 (json mode: split on
// '\n', JSONParse, JSONStringify + '\n'); lib/internal/child_process.js:
// 613-646 (onread: a handle received with a read goes to the next
// NODE_HANDLE message; end-of-file disconnects), 652-716 (NODE_HANDLE_ACK,
// NODE_HANDLE_NACK, retransmission), 808-845 (a sender queues every
// message after a handle until the acknowledgement), 902-945 (disconnect
// waits for that queue, then closes the socket; no message is sent),
// 973-981 (isInternal), 378-383 (NODE_CHANNEL_FD and
// NODE_CHANNEL_SERIALIZATION_MODE), handleConversion (the handle types,
// "key" of a net.Socket, "dgramType" of a dgram.Socket);
// lib/internal/socket_list.js (SocketListReceive);
// lib/internal/process/pre_execution.js:552-569 (the child reads and deletes
// both variables).
//
// The package works on Unix systems only.
package ipc
