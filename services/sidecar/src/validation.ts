/** Checks on values that arrive over the wire; each failing RPC answers INVALID_ARGUMENT. */
const WORKER_ID = /^[\x21-\x7e]{1,128}$/;

/** What every RPC answers, with INVALID_ARGUMENT, when validWorkerId fails. */
export const INVALID_WORKER_ID = 'worker_id must be 1..128 printable characters';

export function validWorkerId(id: string): boolean {
  return WORKER_ID.test(id);
}
