/**
 * The TFTP wire format: constants, packet shapes, strict codec, option negotiation and
 * netascii. Pure: no I/O.
 *
 * @module
 */

export * from "./constants.ts";
export * from "./packet.ts";
export * from "./encode.ts";
export * from "./decode.ts";
export * from "./options.ts";
export * from "./netascii.ts";
