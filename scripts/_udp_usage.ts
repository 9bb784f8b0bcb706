/**
 * The help text of the `udp` command line (`udp.ts --help`). Pure.
 *
 * @module
 */

import { IPMSG_PORT } from "../lib/udp_tools/ipmsg.ts";
import {
  DEFAULT_CHAT_PORT,
  DEFAULT_ECHO_PORT,
  DEFAULT_IPMSG_NAME,
  DEFAULT_LISTEN_PORT,
  DEFAULT_WAIT_MS,
} from "./_udp_args.ts";

/**
 * The help text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { udpUsage } from "./_udp_usage.ts";
 * assert.ok(udpUsage().includes("udp.ts ipmsg  <host> <text>"));
 * ```
 *
 * @returns The text, ending with a line feed.
 */
export function udpUsage(): string {
  return `udp.ts: UDP tools: echo server, listener, sender (broadcast too), chat, IP Messenger

Usage:
  udp.ts echo   [--host H] [--port P] [--quiet]
  udp.ts listen [--host H] [--port P] [--encoding E] [--reply TEXT] [--count N]
  udp.ts send   <host:port> <text> [--encoding E] [--wait S] [--count N] [--host H] [--port P]
  udp.ts chat   <host:port> [--host H] [--port P] [--encoding E]
  udp.ts chat   --listen [--host H] [--port P] [--encoding E]
  udp.ts ipmsg  <host> <text> [--port P] [--user U] [--from-host NAME] [--encoding E]

echo    Sends every datagram back to its sender, byte for byte (RFC 862); one line per
        datagram on stderr unless --quiet.
listen  Prints each datagram as "HOST:PORT: TEXT" (control characters shown as \\xHH);
        with --reply, answers each sender with TEXT (so "send" to a broadcast address sees
        who is there).
send    Sends <text> as one datagram to <host:port> ([v6]:port for IPv6). The host may be
        "<broadcast>" (255.255.255.255, this link) or a directed broadcast address such as
        192.168.1.255. Then prints the replies as listen does, for --wait seconds; says
        "no replies" on stderr when none came.
chat    Each line typed on stdin goes to the peer as one datagram (without the line feed)
        while the datagrams that arrive are printed as listen does; end of stdin ends it.
        With --listen: waits for peers and answers whoever spoke last.
ipmsg   Sends one IP Messenger / Feiq message (IPMSG_SENDMSG) to <host> on UDP port 2425;
        <host> may be "<broadcast>". Prints nothing when sent.

Servers (echo, listen, chat --listen) print "listening on HOST:PORT" on stdout when ready;
SIGINT or SIGTERM stops them.

Options:
  --host H             Address to listen on (default 0.0.0.0; "::" for IPv6); send and chat
                       <host:port>: local address to bind (default: chosen for the peer)
  --port P             Port to listen on; 0 picks a free one (default: echo ${DEFAULT_ECHO_PORT}, listen
                       ${DEFAULT_LISTEN_PORT}, chat --listen ${DEFAULT_CHAT_PORT}); send and chat <host:port>: local port
                       (default 0); ipmsg: the destination port (default ${IPMSG_PORT})
  --encoding E         Text encoding on the wire: utf-8, gbk or gb18030 (default utf-8; ipmsg
                       gbk)
  --reply TEXT         listen: answer each datagram with TEXT
  --count N            listen: stop after N datagrams; send: stop after N replies
  --wait S             send: seconds to wait for replies (default ${DEFAULT_WAIT_MS / 1000})
  --user U             ipmsg: user name sent (default ${DEFAULT_IPMSG_NAME})
  --from-host NAME     ipmsg: host name sent (default ${DEFAULT_IPMSG_NAME})
  -q, --quiet          echo: no line per datagram
  -h, --help           Show this help

Exit status:
  0    Done; send: with or without replies; servers: stopped by SIGINT or SIGTERM
  1    Could not listen, resolve the host or send (no route, say)
  2    Usage error: unknown command or option, missing or extra argument, bad number,
       address or encoding, text the encoding cannot write
  130  send, chat <host:port>: interrupted by SIGINT (143: by SIGTERM)
`;
}
