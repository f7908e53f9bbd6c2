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
// [Channel.Recv]. Of those, the channel acts on:
//
//   - NODE_HANDLE: the envelope Node uses to pass a handle (a descriptor sent
//     with SCM_RIGHTS) next to a message {"cmd":"NODE_HANDLE","type":...,
//     "msg":...}. The inner "msg" is delivered as the user message, together
//     with the descriptor (see [Channel.RecvFile]), and the channel answers
//     NODE_HANDLE_ACK (or NODE_HANDLE_NACK when no descriptor arrived), as Node
//     does. Without that acknowledgement a Node sender queues every later
//     message forever.
//   - NODE_HANDLE_ACK and NODE_HANDLE_NACK: skipped. A Go sender closes
//     nothing on acknowledgement: the kernel duplicates the descriptor into
//     the socket when [Channel.SendFile] returns.
//
// Every other internal message (cluster's NODE_CLUSTER, for instance) is
// skipped.
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
// A line that is not valid JSON makes Node throw from inside its read
// callback, which kills the process. This package instead returns a
// *[SyntaxError] for that line (naming its offset in the stream) and keeps the
// channel usable: the next Recv returns the next line. Empty and
// whitespace-only lines, on which Node's JSON.parse would throw as well, are
// skipped. A line longer than the size limit ([Options].MaxMessageSize) is
// [ErrTooLarge] and closes the channel; Node has no limit.
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
// closes the socket, no message is sent), 973-981 (isInternal), 378-383
// (NODE_CHANNEL_FD and NODE_CHANNEL_SERIALIZATION_MODE);
// lib/internal/process/pre_execution.js:552-569 (the child reads and deletes
// both variables).
//
// The package works on Unix systems only.
package ipc
