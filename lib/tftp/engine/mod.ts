/**
 * The sans-IO transfer engine: sender, receiver, server admission and timing. Pure: events
 * in, datagrams and events out; no sockets, no clock.
 *
 * @module
 */

export * from "./types.ts";
export * from "./timing.ts";
export * from "./transfer.ts";
export type { Rollover } from "./_block.ts";
export * from "./sender.ts";
export * from "./receiver.ts";
export * from "./admission.ts";
