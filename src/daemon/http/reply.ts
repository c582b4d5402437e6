// Answers: JSON with Docker's headers, and errors as Docker words them —
// `{"message": …}` — with netplumb's own key beside it saying which error
// class it was and its fields, so that a netplumb client throws the same class.
import type { ServerResponse } from 'node:http';
import {
  AddressInUseError,
  ConflictError,
  DaemonRunningError,
  KernelError,
  LockTimeoutError,
  NoSuchObjectError,
  PoolExhaustedError,
  RequestError,
  ValidationError,
} from '../../core/errors.js';
import { errorToWire, type WireError } from '../../core/error-wire.js';

export interface ErrorAnswer {
  status: number;
  message: string;
  netplumb: WireError;
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = Buffer.from(`${JSON.stringify(value)}\n`);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': body.length });
  res.end(body);
}

export function sendEmpty(res: ServerResponse, status: number): void {
  res.writeHead(status, status === 204 ? {} : { 'Content-Length': 0 });
  res.end();
}

export function sendText(res: ServerResponse, status: number, text: string, type = 'text/plain; charset=utf-8'): void {
  const body = Buffer.from(text);
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': body.length });
  res.end(body);
}

export function sendError(res: ServerResponse, a: ErrorAnswer): void {
  sendJson(res, a.status, { message: a.message, netplumb: a.netplumb });
}

function statusOf(e: unknown): number {
  if (e instanceof RequestError) return e.status;
  if (e instanceof ValidationError) return 400;
  if (e instanceof NoSuchObjectError) return 404;
  // Docker forbids removing a network in use and connecting twice (403); taken names and ports conflict (409).
  if (e instanceof ConflictError) return e.reason === 'in-use' || e.reason === 'already-connected' ? 403 : 409;
  if (e instanceof AddressInUseError || e instanceof PoolExhaustedError || e instanceof DaemonRunningError) return 409;
  if (e instanceof LockTimeoutError) return 503;
  if (e instanceof KernelError) return 500;
  return 500;
}

/** Status, message and class of any error a handler threw. */
export function errorAnswer(e: unknown): ErrorAnswer {
  return { status: statusOf(e), message: e instanceof Error ? e.message : String(e), netplumb: errorToWire(e) };
}
