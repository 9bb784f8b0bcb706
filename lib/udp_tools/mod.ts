/**
 * UDP tools: an echo server, a two-way text chat (UTF-8, GBK, GB18030), sending to broadcast
 * addresses and collecting the replies, and the IP Messenger / Feiq packet format.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeIpmsg, encodeIpmsg, IPMSG_COMMAND, resolveBroadcastHost } from "./mod.ts";
 * const message = { packetNo: 1, user: "me", host: "pc", command: IPMSG_COMMAND.SENDMSG, text: "你好" };
 * assert.deepEqual(decodeIpmsg(encodeIpmsg(message)), { version: "1", ...message });
 * assert.equal(resolveBroadcastHost("<broadcast>"), "255.255.255.255");
 * ```
 *
 * @module
 */

export * from "./broadcast.ts";
export * from "./chat.ts";
export * from "./echo.ts";
export * from "./ipmsg.ts";
