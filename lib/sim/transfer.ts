/**
 * Runs a real client machine against a real server (admission + transfer machine) over a
 * {@linkcode SimNetwork}, in virtual time. Used by the test matrix and by anyone who wants
 * to watch the protocol under loss without sockets. Bounded in steps and virtual time.
 *
 * @module
 */

import { encodePacket } from "../tftp/packet/encode.ts";
import { OPCODE } from "../tftp/packet/constants.ts";
import type { TftpOptions } from "../tftp/packet/packet.ts";
import type { TftpError } from "../tftp/errors.ts";
import {
  admitRequest,
  openServerTransfer,
  type ServerTransferOptions,
} from "../tftp/engine/admission.ts";
import type { TransferConfig } from "../tftp/engine/transfer.ts";
import { Receiver } from "../tftp/engine/receiver.ts";
import { Sender } from "../tftp/engine/sender.ts";
import {
  type Peer,
  samePeer,
  type TransferMachine,
  type TransferStats,
} from "../tftp/engine/types.ts";
import { type LinkProfile, type NetworkCounters, SimNetwork } from "./network.ts";
import type { SimInjector } from "./hostile.ts";
import { concatBytes } from "../bytes.ts";

/** One side's ending. */
export interface SimOutcome {
  /** `complete`, `failed`, or `running` when the simulation hit its bounds first. */
  readonly status: "complete" | "failed" | "running";
  /** The error when failed. */
  readonly error?: TftpError;
  /** Counters when the machine ended. */
  readonly stats?: TransferStats;
}

/** What {@linkcode simulateTransfer} reports. */
export interface SimResult {
  /** The client machine's ending. */
  readonly client: SimOutcome;
  /** The server transfer machine's ending (`running` if none was started). */
  readonly server: SimOutcome;
  /** Bytes the receiving side delivered, concatenated. */
  readonly received: Uint8Array;
  /** Virtual milliseconds until both sides closed (or the bound). */
  readonly elapsedMs: number;
  /** Loop iterations used. */
  readonly steps: number;
  /** What the network did. */
  readonly network: NetworkCounters;
  /** Transfer machines the server started (more than 1 means a duplicate request leaked). */
  readonly serverTransfers: number;
}

/** Settings of one simulated transfer. */
export interface SimOptions {
  /** `get` (client downloads) or `put` (client uploads). */
  kind: "get" | "put";
  /** The file content the sending side offers. */
  data: Uint8Array;
  /** Seed for the network's faults. */
  seed: number;
  /** Options the client asks for. @default {{}} */
  requestOptions?: TftpOptions;
  /** Client timing. @default {{}} */
  client?: TransferConfig;
  /** Server limits and timing. @default {{}} */
  server?: ServerTransferOptions;
  /** Faults from client to server. @default {{}} */
  up?: LinkProfile;
  /** Faults from server to client. @default {{}} */
  down?: LinkProfile;
  /** Size of the chunks the sending side offers. @default {4096} */
  chunkBytes?: number;
  /** Virtual time bound. @default {3_600_000} */
  maxVirtualMs?: number;
  /** Loop bound. @default {5_000_000} */
  maxSteps?: number;
  /**
   * Sees every datagram sent and may add datagrams of its own (forged or from strangers),
   * delivered past the network's faults; see {@linkcode HostileInjector}. It must not inject
   * to the request port (port 69).
   * @default {undefined}
   */
  inject?: SimInjector;
}

const CLIENT: Peer = { hostname: "127.0.0.1", port: 50000 };
const SERVER: Peer = { hostname: "127.0.0.1", port: 69 };

function outcomeOf(machine: TransferMachine | undefined, log: SimOutcome | undefined): SimOutcome {
  return log ?? { status: machine ? "running" : "running" };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/**
 * Runs one transfer to its end (or its bounds) and reports both sides.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { simulateTransfer } from "./transfer.ts";
 * const data = new Uint8Array(1024).fill(7);
 * const result = simulateTransfer({ kind: "get", data, seed: 1, down: { loss: 0.2 } });
 * assert.equal(result.client.status, "complete");
 * assert.deepEqual(result.received, data);
 * ```
 */
export function simulateTransfer(options: SimOptions): SimResult {
  const net = new SimNetwork(options.seed, {
    up: options.up ?? {},
    down: options.down ?? {},
    isUpstream: (from) => samePeer(from, CLIENT),
  });
  const chunkBytes = options.chunkBytes ?? 4096;
  const maxVirtualMs = options.maxVirtualMs ?? 3_600_000;
  const maxSteps = options.maxSteps ?? 5_000_000;
  const request = {
    opcode: options.kind === "get" ? OPCODE.RRQ : OPCODE.WRQ,
    filename: "file.bin",
    mode: "octet",
    options: options.requestOptions ?? {},
  } as const;
  const opening = { server: SERVER, request };
  const client: TransferMachine = options.kind === "get"
    ? new Receiver(0, opening, options.client)
    : new Sender(0, opening, options.client);
  const machines = new Map<number, TransferMachine>([[CLIENT.port, client]]);
  const outcomes = new Map<TransferMachine, SimOutcome>();
  const received: Uint8Array[] = [];
  const offered = new Map<TransferMachine, number>();
  let server: TransferMachine | undefined;
  let serverTransfers = 0;
  let firstRequest: Uint8Array = new Uint8Array(0);
  let now = 0;
  let steps = 0;

  const send = (from: Peer, to: Peer, bytes: Uint8Array): void => {
    net.send(now, from, to, bytes);
    for (const extra of options.inject?.onSend(now, { from, to, bytes }) ?? []) {
      net.deliverAt(now + Math.max(0, extra.delayMs), extra.from, extra.to, extra.bytes);
    }
  };

  const feedAndDrain = (): void => {
    for (const [port, machine] of machines) {
      if (machine instanceof Sender) {
        let at = offered.get(machine) ?? 0;
        while (machine.wantsData && steps < maxSteps) {
          if (at >= options.data.length) {
            machine.finish(now);
            break;
          }
          machine.offer(now, options.data.subarray(at, at + chunkBytes));
          at += chunkBytes;
        }
        offered.set(machine, at);
      }
      for (let t = machine.pollTransmit(); t; t = machine.pollTransmit()) {
        send({ hostname: "127.0.0.1", port }, t.to, t.bytes);
      }
      for (let e = machine.pollEvent(); e; e = machine.pollEvent()) {
        if (e.type === "data") received.push(e.data);
        else if (e.type === "complete") {
          outcomes.set(machine, { status: "complete", stats: e.stats });
        } else if (e.type === "failed") {
          outcomes.set(machine, { status: "failed", error: e.error, stats: e.stats });
        }
      }
    }
  };

  const deliver = (from: Peer, to: Peer, bytes: Uint8Array): void => {
    if (samePeer(to, SERVER)) {
      const admission = admitRequest(from, bytes);
      if (admission.kind === "reply") send(SERVER, from, admission.bytes);
      if (admission.kind !== "request") return;
      // A request repeated from the same client port starts one transfer, not two: while
      // that transfer runs, and also after it ended when the bytes are identical (the network
      // can deliver a duplicate late). A different request (the retry without options after
      // ERROR 8) is served.
      if (server && samePeer(admission.request.peer, CLIENT)) {
        if (!server.isClosed || sameBytes(bytes, firstRequest)) return;
      }
      firstRequest = bytes;
      server = openServerTransfer(now, admission.request, {
        fileSize: options.data.length,
        ...options.server,
      });
      serverTransfers++;
      machines.set(40000 + serverTransfers, server);
      return;
    }
    // Every machine lives at 127.0.0.1: a datagram to another host reaches none of them.
    const machine = to.hostname === CLIENT.hostname ? machines.get(to.port) : undefined;
    options.inject?.onArrive?.(
      now,
      { from, to, bytes },
      machine !== undefined && !machine.isClosed,
    );
    if (machine) machine.handleDatagram(now, from, bytes);
  };

  feedAndDrain();
  while (steps++ < maxSteps) {
    for (const d of net.takeDue(now)) deliver(d.from, d.to, d.bytes);
    for (const machine of machines.values()) {
      const deadline = machine.pollTimeout();
      if (deadline !== undefined && deadline <= now) machine.handleTimeout(now);
    }
    feedAndDrain();
    let next = net.nextArrival();
    for (const machine of machines.values()) {
      const deadline = machine.pollTimeout();
      if (deadline !== undefined && (next === undefined || deadline < next)) next = deadline;
    }
    if (next === undefined || next > maxVirtualMs) break;
    now = Math.max(now, next);
  }
  void encodePacket;
  return {
    client: outcomeOf(client, outcomes.get(client)),
    server: outcomeOf(server, server && outcomes.get(server)),
    received: concatBytes(received),
    elapsedMs: now,
    steps,
    network: net.counters,
    serverTransfers,
  };
}
