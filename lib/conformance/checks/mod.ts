/**
 * The built-in conformance checks, in run order: plain transfers first, then options, then
 * timing, then checks that send unusual or hostile packets, then writes (with `--writable`).
 * `conformance.ts run` runs these plus the `--plugin` checks; `conformance.ts list` lists them.
 *
 * @module
 */

import type { ConformanceCheck } from "../check.ts";
import rrqBasic from "./rrq_basic.ts";
import rrqEmpty from "./rrq_empty.ts";
import blockBoundary from "./block_boundary.ts";
import newTid from "./new_tid.ts";
import netascii from "./netascii.ts";
import modeCaseInsensitive from "./mode_case_insensitive.ts";
import errorNotFound from "./error_not_found.ts";
import request512 from "./request_512.ts";
import duplicateRequest from "./duplicate_request.ts";
import rollover from "./rollover.ts";
import oackOnlyRequested from "./oack_only_requested.ts";
import optionCaseInsensitive from "./option_case_insensitive.ts";
import blksizeRange from "./blksize_range.ts";
import blksizeHonoured from "./blksize_honoured.ts";
import tsizeRrq from "./tsize_rrq.ts";
import windowsize from "./windowsize.ts";
import timeoutOption from "./timeout_option.ts";
import unknownTid from "./unknown_tid.ts";
import retransmitIdentical from "./retransmit_identical.ts";
import backoff from "./backoff.ts";
import sorcerersApprentice from "./sorcerers_apprentice.ts";
import errorEndsTransfer from "./error_ends_transfer.ts";
import oackRefused from "./oack_refused.ts";
import modeMailRejected from "./mode_mail_rejected.ts";
import modeUnknownRejected from "./mode_unknown_rejected.ts";
import unknownOpcode from "./unknown_opcode.ts";
import malformedRequest from "./malformed_request.ts";
import pathTraversal from "./path_traversal.ts";
import symlinkEscape from "./symlink_escape.ts";
import pathLeak from "./path_leak.ts";
import wrqBasic from "./wrq_basic.ts";
import wrqBoundary from "./wrq_boundary.ts";
import wrqDuplicateData from "./wrq_duplicate_data.ts";
import wrqTsize from "./wrq_tsize.ts";

/**
 * Every built-in check, in run order. Ids are part of the JSON report contract.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BUILTIN_CHECKS } from "./mod.ts";
 * assert.equal(new Set(BUILTIN_CHECKS.map((check) => check.id)).size, BUILTIN_CHECKS.length);
 * assert.equal(BUILTIN_CHECKS[0].id, "rrq-basic");
 * ```
 */
export const BUILTIN_CHECKS: readonly ConformanceCheck[] = Object.freeze([
  rrqBasic,
  rrqEmpty,
  blockBoundary,
  newTid,
  netascii,
  modeCaseInsensitive,
  errorNotFound,
  request512,
  duplicateRequest,
  rollover,
  oackOnlyRequested,
  optionCaseInsensitive,
  blksizeRange,
  blksizeHonoured,
  tsizeRrq,
  windowsize,
  timeoutOption,
  unknownTid,
  retransmitIdentical,
  backoff,
  sorcerersApprentice,
  errorEndsTransfer,
  oackRefused,
  modeMailRejected,
  modeUnknownRejected,
  unknownOpcode,
  malformedRequest,
  pathTraversal,
  symlinkEscape,
  pathLeak,
  wrqBasic,
  wrqBoundary,
  wrqDuplicateData,
  wrqTsize,
]);
