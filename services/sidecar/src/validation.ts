/** Checks on values that arrive over the wire; each failing RPC answers INVALID_ARGUMENT. */
const WORKER_ID = /^[\x21-\x7e]{1,128}$/;

export function validWorkerId(id: string): boolean {
  return WORKER_ID.test(id);
}
