/**
 * IP Messenger (IPMSG) and Feiq (飞秋) packets: `version:packetNo:user:host:command:text`,
 * one per UDP datagram to port 2425. Pure: bytes in, bytes out.
 *
 * The fields are separated by ":" bytes; the text runs to the end of the datagram or to a NUL
 * byte, after which clients put extensions (group name, file list). Splitting on bytes is
 * exact in every supported encoding: ":" (0x3A) and NUL are never part of a multi-byte
 * character in UTF-8, GBK or GB18030. Classic clients (and Feiq) write GBK on Chinese Windows;
 * the `IPMSG_UTF8OPT` flag in the command marks UTF-8. The protocol is described in the
 * IP Messenger "protocol.txt" and `ipmsg.h` by H. Shirouzu.
 *
 * @module
 */

import { decodeText, encodeText, type TextEncodingName } from "../text/encoding.ts";

/** The UDP port IP Messenger and Feiq listen on. */
export const IPMSG_PORT = 2425;

/** The classic protocol version, the first field of a packet. */
export const IPMSG_VERSION = "1";

/**
 * Command modes (the low 8 bits of the command field) and option flags (the high bits), from
 * `ipmsg.h`. A command is a mode ORed with options, e.g. `SENDMSG | SENDCHECKOPT`.
 */
export const IPMSG_COMMAND = {
  /** ipmsg.h: no operation. */
  NOOPERATION: 0x00,
  /** ipmsg.h: a member enters (broadcast). */
  BR_ENTRY: 0x01,
  /** ipmsg.h: a member leaves (broadcast). */
  BR_EXIT: 0x02,
  /** ipmsg.h: the answer to BR_ENTRY. */
  ANSENTRY: 0x03,
  /** ipmsg.h: absence mode changed (broadcast). */
  BR_ABSENCE: 0x04,
  /** ipmsg.h: a message; the text field holds it. */
  SENDMSG: 0x20,
  /** ipmsg.h: message received (the answer to SENDMSG with SENDCHECKOPT). */
  RECVMSG: 0x21,
  /** ipmsg.h: a sealed message was opened. */
  READMSG: 0x30,
  /** ipmsg.h: a sealed message was deleted unread. */
  DELMSG: 0x31,
  /** ipmsg.h: the answer to READMSG. */
  ANSREADMSG: 0x32,
  /** ipmsg.h: option of SENDMSG: the receiver answers with RECVMSG. */
  SENDCHECKOPT: 0x100,
  /** ipmsg.h: option of SENDMSG: a sealed message. */
  SECRETOPT: 0x200,
  /** ipmsg.h: option of SENDMSG: sent to everyone. */
  BROADCASTOPT: 0x400,
  /** ipmsg.h: option of SENDMSG: an automatic reply (never answered automatically). */
  AUTORETOPT: 0x2000,
  /** ipmsg.h: option of every command: the text fields are UTF-8. */
  UTF8OPT: 0x800000,
} as const;

/** A name of {@linkcode IPMSG_COMMAND}. */
export type IpmsgCommandName = keyof typeof IPMSG_COMMAND;

/** The mode bits of a command field. */
export const IPMSG_MODE_MASK = 0xff;

/** One IPMSG packet. */
export interface IpmsgMessage {
  /** The first field. @default {"1"} */
  version?: string;
  /** The sender's packet number (classic clients: seconds since 1970, then counting up). */
  packetNo: number;
  /** The sender's login name. */
  user: string;
  /** The sender's host name. */
  host: string;
  /** Mode and options, e.g. {@linkcode IPMSG_COMMAND}.SENDMSG. */
  command: number;
  /** The message (or, for entry commands, the nickname); no NUL. */
  text: string;
  /** What follows the NUL after the text (group name, file list); absent when no NUL. */
  extension?: string;
}

/** Options of {@linkcode encodeIpmsg} and {@linkcode decodeIpmsg}. */
export interface IpmsgCodecOptions {
  /**
   * The text encoding of the packet.
   * @default {"utf-8" when the command has IPMSG_COMMAND.UTF8OPT, else "gbk"}
   */
  encoding?: TextEncodingName;
  /**
   * Encoding: throw a TextEncodingError for a character the encoding cannot write instead of
   * writing "?". Decoding: throw for malformed bytes instead of reading U+FFFD.
   * @default {false}
   */
  fatal?: boolean;
}

/** Bytes that are not an IPMSG packet; a TypeError, so callers may catch either. */
export class IpmsgSyntaxError extends TypeError {
  /** Creates the error with a message saying what is wrong with the bytes. */
  constructor(message: string) {
    super(message);
    this.name = "IpmsgSyntaxError";
  }
}

const COLON = 0x3a;
const NUL = 0x00;
const MAX_COMMAND = 0xffff_ffff;

function defaultEncoding(command: number): TextEncodingName {
  return (command & IPMSG_COMMAND.UTF8OPT) !== 0 ? "utf-8" : "gbk";
}

function checkField(name: string, value: unknown, allowEmpty: boolean): string {
  if (typeof value !== "string") throw new TypeError(`${name} must be a string, got ${value}`);
  if (!allowEmpty && value === "") throw new TypeError(`${name} must not be empty`);
  if (value.includes(":") || value.includes("\0")) {
    throw new TypeError(`${name} must not contain ":" or NUL, got ${JSON.stringify(value)}`);
  }
  return value;
}

function checkNumber(name: string, value: unknown, max: number): number {
  if (!Number.isSafeInteger(value) || (value as number) < 0 || (value as number) > max) {
    throw new RangeError(`${name} must be a whole number from 0 to ${max}, got ${value}`);
  }
  return value as number;
}

/**
 * Encodes a packet: `version:packetNo:user:host:command:text`, then `\0extension` when there
 * is an extension. Nothing is appended otherwise (many clients also accept a final NUL: give
 * `extension: ""` for it).
 *
 * @throws {TypeError} When version is empty, or version, user or host contains ":" or NUL,
 * or text contains NUL.
 * @throws {RangeError} When packetNo is not a safe whole number of at least 0, or command is
 * not a whole number from 0 to 4294967295.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeIpmsg, IPMSG_COMMAND } from "./ipmsg.ts";
 * const bytes = encodeIpmsg({
 *   packetNo: 7,
 *   user: "me",
 *   host: "pc",
 *   command: IPMSG_COMMAND.SENDMSG,
 *   text: "你好",
 * });
 * assert.deepEqual(bytes, new Uint8Array([
 *   ...new TextEncoder().encode("1:7:me:pc:32:"),
 *   0xc4, 0xe3, 0xba, 0xc3, // "你好" in gbk
 * ]));
 * ```
 *
 * @param message The packet.
 * @param options Text encoding and strictness.
 * @returns The datagram's bytes.
 */
export function encodeIpmsg(message: IpmsgMessage, options: IpmsgCodecOptions = {}): Uint8Array {
  const version = checkField("version", message.version ?? IPMSG_VERSION, false);
  const packetNo = checkNumber("packetNo", message.packetNo, Number.MAX_SAFE_INTEGER);
  const user = checkField("user", message.user, true);
  const host = checkField("host", message.host, true);
  const command = checkNumber("command", message.command, MAX_COMMAND);
  const { text, extension } = message;
  if (typeof text !== "string") throw new TypeError(`text must be a string, got ${text}`);
  if (text.includes("\0")) throw new TypeError(`text must not contain NUL`);
  if (extension !== undefined && typeof extension !== "string") {
    throw new TypeError(`extension must be a string, got ${extension}`);
  }
  const encoding = options.encoding ?? defaultEncoding(command);
  const body = extension === undefined ? text : `${text}\0${extension}`;
  return encodeText(`${version}:${packetNo}:${user}:${host}:${command}:${body}`, encoding, {
    fatal: options.fatal ?? false,
  });
}

/**
 * Decodes a packet. The text may contain ":"; it ends at the first NUL byte, and what follows
 * that NUL is the `extension`.
 *
 * @throws {IpmsgSyntaxError} When there are fewer than six fields, the version is empty, or
 * packetNo or command is not decimal digits.
 * @throws {RangeError} When packetNo is above 2^53 - 1 or command above 4294967295.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeIpmsg } from "./ipmsg.ts";
 * const bytes = new TextEncoder().encode("1:42:bob:pc:32:at 10:30\0group\0");
 * assert.deepEqual(decodeIpmsg(bytes), {
 *   version: "1",
 *   packetNo: 42,
 *   user: "bob",
 *   host: "pc",
 *   command: 32,
 *   text: "at 10:30",
 *   extension: "group\0",
 * });
 * assert.throws(() => decodeIpmsg(new TextEncoder().encode("1:x:a:b:32:hi")), {
 *   name: "IpmsgSyntaxError",
 *   message: 'IPMSG packetNo must be decimal digits, got "x"',
 * });
 * ```
 *
 * @param bytes The datagram.
 * @param options Text encoding and strictness.
 * @returns The packet, with `extension` only when the datagram has a NUL after the text.
 */
export function decodeIpmsg(
  bytes: Uint8Array,
  options: IpmsgCodecOptions = {},
): IpmsgMessage & { version: string } {
  const fields: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i < 5; i++) {
    const colon = bytes.indexOf(COLON, start);
    if (colon < 0) {
      throw new IpmsgSyntaxError(
        `IPMSG packet must have 6 fields separated by ":", got ${i + 1}`,
      );
    }
    fields.push(bytes.subarray(start, colon));
    start = colon + 1;
  }
  const digits = (name: string, field: Uint8Array, max: number) => {
    const text = decodeText(field, "utf-8");
    if (!/^[0-9]+$/.test(text)) {
      throw new IpmsgSyntaxError(
        `IPMSG ${name} must be decimal digits, got ${JSON.stringify(text)}`,
      );
    }
    if (Number(text) > max) {
      throw new RangeError(`IPMSG ${name} must be at most ${max}, got ${text}`);
    }
    return Number(text);
  };
  if (fields[0].length === 0) throw new IpmsgSyntaxError("IPMSG version must not be empty");
  const packetNo = digits("packetNo", fields[1], Number.MAX_SAFE_INTEGER);
  const command = digits("command", fields[4], MAX_COMMAND);
  const encoding = options.encoding ?? defaultEncoding(command);
  const decode = (field: Uint8Array) => decodeText(field, encoding, { fatal: options.fatal });
  const rest = bytes.subarray(start);
  const nul = rest.indexOf(NUL);
  const message: IpmsgMessage & { version: string } = {
    version: decode(fields[0]),
    packetNo,
    user: decode(fields[2]),
    host: decode(fields[3]),
    command,
    text: decode(nul < 0 ? rest : rest.subarray(0, nul)),
  };
  if (nul >= 0) message.extension = decode(rest.subarray(nul + 1));
  return message;
}
