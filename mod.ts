/**
 * tftpkit: TFTP (RFC 1350, 2347, 2348, 2349, 7440, 3617) for Deno.
 *
 * - {@linkcode tftpGet} / {@linkcode tftpPut} / {@linkcode tftpGetBytes}: the client.
 * - {@linkcode serveTftp}: a server for a directory or a handler.
 * - {@linkcode Sender}, {@linkcode Receiver}, {@linkcode admitRequest},
 *   {@linkcode openServerTransfer}: the sans-IO engine underneath, for your own drivers and
 *   simulations.
 * - {@linkcode encodePacket} / {@linkcode decodePacket}: the strict wire codec.
 *
 * @example
 * ```ts ignore
 * import { serveTftp, tftpGet } from "./mod.ts";
 * await using server = serveTftp({ root: "./public", hostname: "127.0.0.1", port: 0 });
 * await tftpGet(`tftp://127.0.0.1:${server.addr.port}/hello.txt`, "hello.txt");
 * ```
 *
 * @module
 */

export * from "./lib/tftp/packet/mod.ts";
export * from "./lib/tftp/engine/mod.ts";
export * from "./lib/tftp/errors.ts";
export * from "./lib/tftp/url.ts";
export * from "./lib/tftp/trace.ts";
export * from "./lib/tftp/server_path.ts";
export * from "./lib/tftp/client.ts";
export * from "./lib/tftp/server.ts";
export * from "./lib/tftp/server_limits.ts";
export * from "./lib/tftp/handler.ts";
export * from "./lib/udp/impair.ts";
export * from "./lib/udp/impair_rules.ts";
export * from "./lib/pcap/format.ts";
export * from "./lib/pcap/writer.ts";
export * from "./lib/ip/ipv4.ts";
export * from "./lib/ip/ports.ts";
export * from "./lib/ip/host_port.ts";
export * from "./lib/text/mod.ts";
export * from "./lib/tcp/errors.ts";
export * from "./lib/tcp/frame.ts";
export * from "./lib/tcp/server.ts";
export * from "./lib/tcp/client.ts";
export * from "./lib/tcp/url.ts";
export * from "./lib/tcp/request_log.ts";
export * from "./lib/tcp/echo.ts";
export * from "./lib/tcp/chat.ts";
export * from "./lib/tcp/chat_server.ts";
export * from "./lib/udp_tools/mod.ts";
export * from "./lib/conformance/mod.ts";
export * from "./lib/jobs/mod.ts";
